"""The field base class and the scalar fields: one submitted value (or a few) to a typed value."""

from __future__ import annotations

import copy
import datetime
import decimal
import enum
import ipaddress
import math
import re
import socket
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Literal, TypeVar
from urllib.parse import urlsplit

from ._context import Context
from ._declaration import Kind, called_bound, check_option, check_range
from ._tree import JSONArray, Node
from .errors import FormDefinitionError, FormDefinitionTypeError, ValidationError

__all__ = [
    "Field",
    "StringField",
    "PasswordField",
    "IntegerField",
    "FloatField",
    "DecimalField",
    "BooleanField",
    "EmailField",
    "IPField",
    "URLField",
    "PhoneField",
    "ChoiceField",
    "MultipleChoiceField",
    "CheckBoxField",
    "DateField",
    "TimeField",
    "DateTimeField",
    "EnumField",
]

T = TypeVar("T")
N = TypeVar("N", int, float, decimal.Decimal, datetime.date, datetime.datetime, datetime.time)
E = TypeVar("E", bound=enum.Enum)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")


_MUTABLE = (list, dict, set)
"""Defaults of these types are copied for every use."""


class Field(Generic[T]):
    """One form field. Subclass it and override :meth:`convert` to make a custom field.

    ``convert`` receives the submitted text, already decoded from UTF-8, bounded in length,
    stripped (unless ``strip=False``) and known to be non-empty; it returns the typed value or
    raises :class:`ValidationError`. Missing or empty input never reaches it: an optional
    field then yields ``default`` and a required one the ``"required"`` error.

    ``messages`` overrides the catalog's wording by error code, e.g.
    ``{"required": "Enter a host", "invalid": "Not a host name"}``.
    """

    name: str = ""
    nested: ClassVar[bool] = False
    """True for fields that read a group of names (``FormField``, ``ListField``)."""
    redisplay: ClassVar[bool] = True
    """Whether the submitted text may be shown again (``form.submitted``, JSON error details);
    false for passwords and uploads."""

    def __init__(
        self,
        *,
        required: bool = True,
        default: T | None = None,
        strip: bool = True,
        messages: Mapping[str, str] | None = None,
    ) -> None:
        self.required = required
        self._default = default
        self.strip = strip
        self.messages: Mapping[str, str] = dict(messages or {})

    @property
    def default(self) -> T | None:
        """What an optional field left empty yields.

        A list, dict or set is copied each time, so that changing one form's data never
        changes the next form's default.
        """
        default = self._default
        return copy.deepcopy(default) if isinstance(default, _MUTABLE) else default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name or '(unbound)'}>"

    def convert(self, text: str) -> T:
        """Turn non-empty submitted text into the field's value, or raise ValidationError."""
        raise NotImplementedError(f"{type(self).__name__} must override convert()")

    def _read(self, node: Node, files: Node, key: str | int, path: str, context: Context) -> Any:
        """The value of this field in ``node``, whose submitted values sit under ``key``.

        Single-valued fields take the last value submitted, as Tornado's get_argument does.
        This runs for every field of every form, so :func:`_submitted` is written out here.
        """
        values = node.get(key, ())
        if values.__class__ is not list:
            values = _leaf(values, single=True)
        text = self._text(values[-1], context) if values else None
        if not text:
            if self.required:
                raise ValidationError(code="required")
            return self.default
        return self.convert(text)

    def _text(self, raw: object, context: Context) -> str | None:
        """Decode one raw value (bytes, str or a JSON scalar), bounded before anything else."""
        if type(raw) is bytes:
            if len(raw) > context.limits.max_value_length:
                raise _too_long(context)
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ValidationError(code="encoding") from None
        elif type(raw) is str:
            if len(raw) > context.limits.max_value_length:
                raise _too_long(context)
            if not raw.isascii():
                try:
                    raw.encode("utf-8")
                except UnicodeEncodeError:  # lone surrogates, e.g. from JSON "\ud800"
                    raise ValidationError(code="encoding") from None
            text = raw
        else:
            return self._other_text(raw, context)
        return text.strip() if self.strip else text

    def _other_text(self, raw: object, context: Context) -> str | None:
        """The rarer inputs: None, JSON numbers and booleans, subclasses of bytes and str."""
        if raw is None:
            return None
        if isinstance(raw, bytes):
            return self._text(bytes(raw), context)
        if isinstance(raw, str):
            return self._text(str(raw), context)
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, int | float):
            # A JSON number: int-to-text is quadratic, so a huge one is refused before writing it
            # out (above 16**limit it has more digits than the limit) or when Python refuses it.
            if isinstance(raw, int) and raw.bit_length() > 4 * context.limits.max_value_length:
                raise _too_long(context)
            try:
                text = repr(raw)
            except ValueError:  # more digits than sys.get_int_max_str_digits()
                raise _too_long(context) from None
            return self._text(text, context)
        raise ValidationError(code="structure")


def _too_long(context: Context) -> ValidationError:
    """The error of a value longer than ``Limits.max_value_length``."""
    return ValidationError(code="too_long", params={"max": context.limits.max_value_length})


def _submitted(node: Node, key: str | int, *, single: bool = False) -> Sequence[object]:
    """The values submitted under ``key``: a leaf, never a group of other names."""
    values = node.get(key, ())
    return values if values.__class__ is list else _leaf(values, single=single)


def _leaf(values: object, *, single: bool = False) -> Sequence[object]:
    """Submitted values as a sequence: a group of other names is refused, a bare value is one.

    A field of ``single`` value also refuses a JSON array.
    """
    # A group node is exactly a dict (an upload object may subclass dict).
    if values.__class__ is dict or (single and values.__class__ is JSONArray):
        raise ValidationError(code="structure")
    if isinstance(values, list | tuple):
        return values
    return (values,)


def _check_bounds(value: N, low: N | None, high: N | None) -> N:
    if low is not None and value < low:
        raise ValidationError(code="too_small", params={"min": low})
    if high is not None and value > high:
        raise ValidationError(code="too_large", params={"max": high})
    return value


class _Bounded(Field[N]):
    """A field whose values lie between ``min_value`` and ``max_value``, each optional.

    A bound is a value, or a function of no arguments called at each validation
    (``DateField(min_value=datetime.date.today)``). What the function returns is checked then:
    a wrong type or NaN raises :class:`FormDefinitionTypeError`, the declaration's mistake; a
    low end above the high one refuses every value.
    """

    _BOUND: ClassVar[Kind]
    """What a bound may be."""

    def __init__(
        self,
        *,
        min_value: N | Callable[[], N | None] | None = None,
        max_value: N | Callable[[], N | None] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        owner = type(self).__name__
        for name, bound in (("min_value", min_value), ("max_value", max_value)):
            check_option(owner, name, bound, self._BOUND, callables=True)
            if bound is not None and not callable(bound):
                self._check_bound(name, bound)
        check_range(owner, self._BOUND, ("min_value", min_value), ("max_value", max_value), callables=True)
        self.min_value: N | Callable[[], N | None] | None = min_value
        self.max_value: N | Callable[[], N | None] | None = max_value

    def _check_bound(self, name: str, bound: Any) -> None:
        """Refuse a bound of the right type that values still cannot be compared with."""

    def _bound(self, name: str, bound: Any) -> Any:
        """The bound ``name`` now: ``bound`` itself, or what it returns if it is a function."""
        if bound is None or not callable(bound):
            return bound
        value = called_bound(type(self).__name__, name, bound, self._BOUND)
        if value is not None:
            self._check_bound(name, value)
        return value

    def _within(self, value: N) -> N:
        """``value``, or the error of a value outside the bounds as they are now."""
        low: N | None = self._bound("min_value", self.min_value)
        high: N | None = self._bound("max_value", self.max_value)
        return _check_bounds(value, low, high)


class StringField(Field[str]):
    """Text of ``min_length``..``max_length`` characters, optionally matching ``pattern`` in full.

    ``pattern`` is matched with ``fullmatch`` (a trailing newline never slips through) and, when
    given as a string, compiled with ``re.ASCII`` so ``\\d`` means 0-9 only. Lengths are checked
    before the pattern, so a pattern that can backtrack needs a ``max_length``. Control
    characters are refused; ``multiline=True`` allows CR and LF.
    """

    def __init__(
        self,
        *,
        min_length: int = 0,
        max_length: int | None = None,
        pattern: str | re.Pattern[str] | None = None,
        multiline: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        check_range("StringField", int, ("min_length", min_length), ("max_length", max_length), minimum=0)
        check_option("StringField", "pattern", pattern, (str, re.Pattern))
        self.min_length = min_length
        self.max_length = max_length
        try:
            self.pattern = re.compile(pattern, re.ASCII) if isinstance(pattern, str) else pattern
        except re.error as exc:
            raise FormDefinitionError(
                f"pattern {pattern!r} is not a regular expression: {exc}", owner="StringField"
            ) from exc
        self._control = _CONTROL if multiline else _CONTROL_OR_NEWLINE

    def convert(self, text: str) -> str:
        if self.max_length is not None and len(text) > self.max_length:
            raise ValidationError(code="too_long", params={"max": self.max_length})
        if len(text) < self.min_length:
            raise ValidationError(code="too_short", params={"min": self.min_length})
        if not text.isprintable() and self._control.search(text):  # isprintable: a fast pre-check
            raise ValidationError(code="control_characters")
        if self.pattern is not None and self.pattern.fullmatch(text) is None:
            raise ValidationError(code="pattern")
        return text


class PasswordField(StringField):
    """A :class:`StringField` never shown back: left out of ``form.submitted`` and of error details.

    Not stripped unless ``strip=True``: leading and trailing spaces may be part of a password.
    """

    redisplay = False

    def __init__(self, *, strip: bool = False, **options: Any) -> None:
        super().__init__(strip=strip, **options)


class IntegerField(_Bounded[int]):
    """A whole number in ASCII digits (no full-width digits, no ``1_000``), within bounds."""

    _BOUND = int
    _SYNTAX: ClassVar[re.Pattern[str]] = re.compile(r"[-+]?[0-9]{1,30}", re.ASCII)

    def convert(self, text: str) -> int:
        if len(text) > 31 or not ((text.isascii() and text.isdigit()) or self._SYNTAX.fullmatch(text)):
            raise ValidationError(code="not_integer")
        value = int(text)
        low, high = self.min_value, self.max_value
        # The common case: constant bounds (a bool is refused when declared), the value within.
        if (low is None or (isinstance(low, int) and value >= low)) and (
            high is None or (isinstance(high, int) and value <= high)
        ):
            return value
        return self._within(value)


_DECIMAL_SYNTAX = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class FloatField(_Bounded[float]):
    """A finite decimal number (exponent allowed, ``nan`` and ``inf`` refused), within bounds."""

    _BOUND = (int, float)
    _SYNTAX: ClassVar[re.Pattern[str]] = re.compile(
        r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]{1,3})?", re.ASCII
    )

    def convert(self, text: str) -> float:
        if len(text) > 64 or self._SYNTAX.fullmatch(text) is None:
            raise ValidationError(code="not_number")
        value = float(text)
        if not math.isfinite(value):
            raise ValidationError(code="not_number")
        return self._within(value)


class DecimalField(_Bounded[decimal.Decimal]):
    """An exact decimal (no exponent), with optional ``max_digits``, ``decimal_places`` and bounds."""

    _BOUND = (decimal.Decimal, int)

    def __init__(
        self,
        *,
        min_value: decimal.Decimal | Callable[[], decimal.Decimal | None] | None = None,
        max_value: decimal.Decimal | Callable[[], decimal.Decimal | None] | None = None,
        max_digits: int | None = None,
        decimal_places: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **options)
        check_option("DecimalField", "max_digits", max_digits, int, minimum=1)
        check_option("DecimalField", "decimal_places", decimal_places, int, minimum=0)
        self.max_digits = max_digits
        self.decimal_places = decimal_places

    def convert(self, text: str) -> decimal.Decimal:
        if len(text) > 64 or _DECIMAL_SYNTAX.fullmatch(text) is None:
            raise ValidationError(code="not_number")
        value = decimal.Decimal(text)
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)  # finite by the syntax above
        places = max(0, -exponent)
        digits = len(value.as_tuple().digits)
        if self.decimal_places is not None and places > self.decimal_places:
            raise ValidationError(code="too_many_places", params={"max": self.decimal_places})
        if self.max_digits is not None and max(digits, places) > self.max_digits:
            raise ValidationError(code="too_many_digits", params={"max": self.max_digits})
        return self._within(value)


class BooleanField(Field[bool]):
    """A single checkbox or yes/no value; absent means ``False``.

    Optional by default. ``required=True`` means it must be true (an "I agree" box). It takes
    no ``default``: a browser leaves an unchecked box out of the post, so a default of ``True``
    could never be unchecked. Where absence differs from false (a JSON API), use
    ``ChoiceField([True, False], required=False, default=True)``.
    """

    TRUE: ClassVar[frozenset[str]] = frozenset({"1", "true", "on", "yes", "y"})
    FALSE: ClassVar[frozenset[str]] = frozenset({"0", "false", "off", "no", "n"})

    def __init__(self, *, required: bool = False, **options: Any) -> None:
        if options.get("default") is not None and options["default"] is not False:
            raise FormDefinitionError(
                "takes no default: an unchecked box is absent from a post, so absent is False",
                owner=type(self).__name__,
            )
        super().__init__(required=required, **options)

    def _read(self, node: Node, files: Node, key: str | int, path: str, context: Context) -> bool:
        values = _submitted(node, key, single=True)
        text = self._text(values[-1], context) if values else None
        value = self.convert(text) if text else False
        if self.required and not value:
            raise ValidationError(code="required")
        return value

    def convert(self, text: str) -> bool:
        lowered = text.lower()
        if lowered in self.TRUE:
            return True
        if lowered in self.FALSE:
            return False
        raise ValidationError(code="boolean")


_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    # Domain labels of 1-63 letters, digits and hyphens, not ending in a hyphen (the lookbehind
    # spares the backtracking of "{0,61}[A-Za-z0-9]"), the last one starting with a letter.
    r"@(?:[A-Za-z0-9][A-Za-z0-9-]{0,62}(?<!-)\.)+[A-Za-z][A-Za-z0-9-]{0,62}(?<!-)",
    re.ASCII,
)


class EmailField(Field[str]):
    """An ASCII address ``local@domain.tld`` (at most 254 characters); the domain is lowercased."""

    _PATTERN: ClassVar[re.Pattern[str]] = _EMAIL

    def convert(self, text: str) -> str:
        # The pattern allows exactly one "@"; the local part before it has at most 64 characters.
        if (
            len(text) > 254
            or self._PATTERN.fullmatch(text) is None
            or (len(text) > 65 and text.index("@") > 64)
        ):
            raise ValidationError(code="email")
        return text if text.islower() else lower_domain(text)


def lower_domain(address: str) -> str:
    """``address`` with its domain lowercased (the local part is case-sensitive)."""
    at = address.index("@")
    return address[: at + 1] + address[at + 1 :].lower()


_inet_aton = socket.inet_aton
_inet_ntoa = socket.inet_ntoa


class IPField(Field[ipaddress.IPv4Address | ipaddress.IPv6Address]):
    """An IP address (``version=4``, ``6`` or ``None`` for either) parsed by :mod:`ipaddress`.

    ASCII only (no full-width digits), no leading zeros, no IPv6 zone (``%eth0``).
    """

    def __init__(self, *, version: int | None = None, **options: Any) -> None:
        super().__init__(**options)
        if version not in (None, 4, 6):
            raise FormDefinitionError(f"version must be 4, 6 or None, not {version!r}", owner="IPField")
        self.version = version
        self._code = {None: "ip", 4: "ipv4", 6: "ipv6"}[version]

    def convert(self, text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        if self.version != 6 and len(text) <= 15:
            # A strict dotted quad (four decimal octets without leading zeros, what ipaddress
            # accepts) is exactly a text that inet_ntoa writes back unchanged; inet_aton alone is
            # lenient ("1", "0x7f.1", "1.2.3.4 junk"). Several times faster than ipaddress.
            try:
                packed = _inet_aton(text)
            except (OSError, ValueError):  # ValueError: NUL or characters outside ASCII
                pass
            else:
                if _inet_ntoa(packed) == text:
                    return ipaddress.IPv4Address(int.from_bytes(packed, "big"))
        if self.version == 4 or ":" not in text or len(text) > 45 or not text.isascii() or "%" in text:
            raise ValidationError(code=self._code)
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            raise ValidationError(code=self._code) from None


_HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", re.ASCII)


class URLField(Field[str]):
    """An absolute URL with a scheme from ``schemes`` and a valid host; no spaces or controls."""

    def __init__(
        self, *, schemes: Iterable[str] = ("http", "https"), max_length: int = 2048, **options: Any
    ) -> None:
        super().__init__(**options)
        self.schemes = frozenset(scheme.lower() for scheme in schemes)
        self.max_length = max_length

    def convert(self, text: str) -> str:
        if len(text) > self.max_length or _CONTROL_OR_NEWLINE.search(text) or " " in text:
            raise ValidationError(code="url")
        try:
            parts = urlsplit(text)
            host = parts.hostname
            parts.port  # noqa: B018 -- raises ValueError on a bad port
        except ValueError:
            raise ValidationError(code="url") from None
        if parts.scheme.lower() not in self.schemes or not host or not _valid_host(host):
            raise ValidationError(code="url")
        return text


def _valid_host(host: str) -> bool:
    """A DNS name (international names through IDNA) or an IP address."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    return len(ascii_host) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels)


class PhoneField(Field[str]):
    """A phone number matching ``pattern`` in full once spaces and hyphens are removed.

    The default accepts 6-15 digits with an optional ``+``. :attr:`CN_MOBILE` is the pattern
    of a mainland-China mobile number: ``PhoneField(pattern=PhoneField.CN_MOBILE)``.
    """

    CN_MOBILE: ClassVar[str] = r"(?:\+?86)?1[3-9][0-9]{9}"
    INTERNATIONAL: ClassVar[str] = r"\+?[0-9]{6,15}"

    def __init__(self, *, pattern: str = INTERNATIONAL, **options: Any) -> None:
        super().__init__(**options)
        self.pattern = re.compile(pattern, re.ASCII)

    def convert(self, text: str) -> str:
        compact = text.replace(" ", "").replace("-", "")
        if len(compact) > 32 or self.pattern.fullmatch(compact) is None:
            raise ValidationError(code="phone")
        return compact


class ChoiceField(Field[T]):
    """One of ``choices``: values, or ``(value, label)`` pairs; matched on ``str(value)``.

    A ``True`` or ``False`` choice also matches ``true`` or ``false``, its JSON spelling.
    """

    def __init__(self, choices: Iterable[Any], **options: Any) -> None:
        super().__init__(**options)
        if isinstance(choices, str | bytes) or not isinstance(choices, Iterable):
            raise FormDefinitionTypeError(
                f"choices must be a list of values or (value, label) pairs, not {choices!r}",
                owner=type(self).__name__,
            )
        pairs = [item if isinstance(item, tuple) else (item, str(item)) for item in choices]
        if not pairs:
            raise FormDefinitionError("choices must not be empty", owner=type(self).__name__)
        self.choices: list[tuple[T, str]] = pairs
        self._by_text: dict[str, T] = {str(value): value for value, _ in pairs}
        for text in ("True", "False"):
            if isinstance(self._by_text.get(text), bool):
                self._by_text.setdefault(text.lower(), self._by_text[text])

    def convert(self, text: str) -> T:
        try:
            return self._by_text[text]
        except KeyError:
            raise ValidationError(code="choice") from None


class MultipleChoiceField(Field[list[T]]):
    """Several of ``choices`` (a group of checkboxes sharing one name), duplicates dropped.

    Required means at least one is checked; ``min_choices`` and ``max_choices`` bound the count.
    """

    def __init__(
        self,
        choices: Iterable[Any],
        *,
        min_choices: int = 0,
        max_choices: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        check_range(
            type(self).__name__, int, ("min_choices", min_choices), ("max_choices", max_choices), minimum=0
        )
        self._single: ChoiceField[T] = ChoiceField(choices)
        self.choices = self._single.choices
        self._by_text = self._single._by_text
        self.min_choices = min_choices
        self.max_choices = max_choices

    def _read(self, node: Node, files: Node, key: str | int, path: str, context: Context) -> list[T] | None:
        values = node.get(key, ())
        if values.__class__ is not list:
            values = _leaf(values)
        if len(values) > context.limits.max_entries:
            raise ValidationError(code="too_many_choices", params={"max": context.limits.max_entries})
        chosen: list[T] = []
        by_text = self._by_text
        limit = context.limits.max_value_length
        strip = self.strip
        for raw in values:
            text: str | None
            if type(raw) is bytes and len(raw) <= limit and raw.isascii():  # the common case
                text = raw.decode().strip() if strip else raw.decode()
            else:
                text = self._text(raw, context)
            if text:
                if text not in by_text:  # ChoiceField.convert, written out for a group of values
                    raise ValidationError(code="choice")
                value = by_text[text]
                if value not in chosen:
                    chosen.append(value)
        if not chosen:
            if self.required:
                raise ValidationError(code="required")
            return self.default if self.default is not None else []
        if len(chosen) < self.min_choices:
            raise ValidationError(code="too_few_choices", params={"min": self.min_choices})
        if self.max_choices is not None and len(chosen) > self.max_choices:
            raise ValidationError(code="too_many_choices", params={"max": self.max_choices})
        return chosen


CheckBoxField = MultipleChoiceField
"""The tutorial's name for :class:`MultipleChoiceField`."""


class DateField(_Bounded[datetime.date]):
    """A calendar date written ``YYYY-MM-DD``, within optional bounds (dates, not datetimes)."""

    _BOUND = datetime.date
    _SYNTAX: ClassVar[re.Pattern[str]] = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

    def _check_bound(self, name: str, bound: Any) -> None:
        if isinstance(bound, datetime.datetime):  # a date subclass that refuses comparison with dates
            raise FormDefinitionTypeError(
                f"{name} must be a date, not a datetime: {bound!r}", owner=type(self).__name__
            )

    def convert(self, text: str) -> datetime.date:
        if len(text) != 10 or self._SYNTAX.fullmatch(text) is None:
            raise ValidationError(code="date")
        try:
            value = datetime.date.fromisoformat(text)
        except ValueError:
            raise ValidationError(code="date") from None
        return self._within(value)


class TimeField(_Bounded[datetime.time]):
    """A time of day ``HH:MM`` (00:00 to 23:59), as ``<input type=time>`` sends it, within bounds.

    ``seconds=True`` also takes ``HH:MM:SS`` (what the input sends with ``step=1``). ASCII digits
    only, no leap second, no fraction and no offset: the value and the bounds are naive times.
    """

    _BOUND = datetime.time
    _SYNTAX: ClassVar[re.Pattern[str]] = re.compile(
        r"([01][0-9]|2[0-3]):([0-5][0-9])(?::([0-5][0-9]))?", re.ASCII
    )

    def __init__(
        self,
        *,
        min_value: datetime.time | Callable[[], datetime.time | None] | None = None,
        max_value: datetime.time | Callable[[], datetime.time | None] | None = None,
        seconds: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **options)
        if not isinstance(seconds, bool):
            raise FormDefinitionTypeError(
                f"seconds must be True or False, not {seconds!r}", owner="TimeField"
            )
        self.seconds = seconds
        self._format = "HH:MM[:SS]" if seconds else "HH:MM"

    def _check_bound(self, name: str, bound: Any) -> None:
        if bound.tzinfo is not None:
            raise FormDefinitionTypeError(
                f"{name} must be a time without tzinfo, as submitted times are: {bound!r}",
                owner=type(self).__name__,
            )

    def convert(self, text: str) -> datetime.time:
        match = self._SYNTAX.fullmatch(text) if len(text) <= 8 else None
        if match is None or (match[3] is not None and not self.seconds):
            raise ValidationError(code="time", params={"format": self._format})
        return self._within(datetime.time(int(match[1]), int(match[2]), int(match[3] or 0)))


class DateTimeField(_Bounded[datetime.datetime]):
    """An instant written in ISO 8601, ``YYYY-MM-DDTHH:MM[:SS[.ffffff]]`` then ``Z`` or ``+HH:MM``.

    Always timezone-aware. A time without an offset (what ``<input type=datetime-local>`` sends)
    is read in ``timezone`` (a :class:`datetime.tzinfo` such as ``zoneinfo.ZoneInfo("Asia/Taipei")``)
    and refused with the code ``"timezone"`` when there is none. In ``timezone``, a local time the
    clocks skip (spring forward) is refused with ``"nonexistent_time"``; one they show twice (fall
    back) is the first of the two instants, as RFC 5545 (iCalendar) reads it and Python's
    ``fold=0`` does. With a ``timezone`` every value is converted to it, so all values of a form
    share one zone whatever offset the client wrote; without one, the submitted offset is kept.
    Bounds are aware datetimes, compared as instants.
    """

    _BOUND = datetime.datetime
    _SYNTAX: ClassVar[re.Pattern[str]] = re.compile(
        r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?"
        r"(?:([Zz])|([-+])([01][0-9]|2[0-3]):([0-5][0-9]))?",
        re.ASCII,
    )

    def __init__(
        self,
        *,
        min_value: datetime.datetime | Callable[[], datetime.datetime | None] | None = None,
        max_value: datetime.datetime | Callable[[], datetime.datetime | None] | None = None,
        timezone: datetime.tzinfo | None = None,
        **options: Any,
    ) -> None:
        super().__init__(min_value=min_value, max_value=max_value, **options)
        check_option("DateTimeField", "timezone", timezone, datetime.tzinfo)
        self.timezone = timezone

    def _check_bound(self, name: str, bound: Any) -> None:
        if bound.utcoffset() is None:
            raise FormDefinitionTypeError(
                f"{name} must be an aware datetime (with tzinfo), not {bound!r}", owner=type(self).__name__
            )

    def convert(self, text: str) -> datetime.datetime:
        match = self._SYNTAX.fullmatch(text) if len(text) <= 32 else None
        if match is None:
            raise ValidationError(code="datetime", params={"format": "YYYY-MM-DDTHH:MM"})
        year, month, day, hour, minute, second = (int(part or 0) for part in match.group(1, 2, 3, 4, 5, 6))
        microsecond = int((match[7] or "0").ljust(6, "0"))
        zulu, sign, zone = match[8], match[9], self.timezone
        try:
            local = datetime.datetime(year, month, day, hour, minute, second, microsecond)
            if zulu:
                value = local.replace(tzinfo=datetime.UTC)
            elif sign:
                offset = datetime.timedelta(hours=int(match[10]), minutes=int(match[11]))
                value = local.replace(tzinfo=datetime.timezone(-offset if sign == "-" else offset))
            elif zone is None:
                raise ValidationError(code="timezone")
            else:
                value = local.replace(tzinfo=zone)  # fold=0: the first instant of a repeated hour
                if value.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != local:
                    raise ValidationError(code="nonexistent_time", params={"timezone": str(zone)})
            if zone is not None:
                value = value.astimezone(zone)
        except (ValueError, OverflowError):  # no such day or hour; beyond year 1 or 9999 once moved
            raise ValidationError(code="datetime", params={"format": "YYYY-MM-DDTHH:MM"}) from None
        return self._within(value)


class EnumField(Field[E]):
    """A member of ``enum_class``, submitted as ``str(member.value)``, or its name with ``by="name"``.

    Anything else is refused with the ``"choice"`` code, like :class:`ChoiceField`. ``choices``
    lists ``(text, label)`` per member for templates: the text a form submits (an ``<option>``'s
    value) and a label from ``labels``, else the member's ``label`` attribute if it is text,
    else its name made readable (``DARK_RED`` is "Dark red").
    """

    def __init__(
        self,
        enum_class: type[E],
        *,
        by: Literal["value", "name"] = "value",
        labels: Mapping[E, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        owner = type(self).__name__
        if not (isinstance(enum_class, type) and issubclass(enum_class, enum.Enum)):
            raise FormDefinitionTypeError(
                f"enum_class must be an Enum class, not {enum_class!r}", owner=owner
            )
        if by not in ("value", "name"):
            raise FormDefinitionError(f"by must be 'value' or 'name', not {by!r}", owner=owner)
        members = list(enum_class)
        names = dict(labels or {})
        if not members or not set(names) <= set(members):
            raise FormDefinitionError(
                f"{enum_class.__name__} has no members" if not members else f"labels of non-members: {names}",
                owner=owner,
            )
        self.enum_class = enum_class
        self.by = by
        self._by_text: dict[str, E] = {}
        self.choices: list[tuple[str, str]] = []
        for member in members:
            text = member.name if by == "name" else str(member.value)
            if text in self._by_text:
                raise FormDefinitionError(
                    f"{member!r} and {self._by_text[text]!r} are both submitted as {text!r}", owner=owner
                )
            self._by_text[text] = member
            self.choices.append((text, names.get(member) or _label(member)))

    def convert(self, text: str) -> E:
        try:
            return self._by_text[text]
        except KeyError:
            raise ValidationError(code="choice") from None


def _label(member: enum.Enum) -> str:
    """A member's own ``label`` if it is text, else its name made readable: ``DARK_RED``, "Dark red"."""
    label = getattr(member, "label", None)
    return label if isinstance(label, str) else member.name.replace("_", " ").capitalize()

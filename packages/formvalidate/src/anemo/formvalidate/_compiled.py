"""The field loop of a Form class, written out once per class as straight-line Python.

:meth:`Form._clean_fields` is the reference: for each field, read it, run its hook, keep the
value or record the error. Compiling that loop for one class binds each field, converter and
hook as a constant and inlines the common read (the last value, bytes within the length
limit, decoded as UTF-8 and stripped). For the built-in string, integer, email, choice and IPv4
conversions, and for a multiple-choice group of such values, it also writes out the checks
themselves with the field's options as constants: on CPython a call per field costs about as
much as the checks it runs; a subclass that overrides ``convert`` gets the inline read and a
call to its ``convert``. Everything uncommon (str or JSON values, groups, nested fields) still
goes through ``field._read``, so both paths give the same data and errors (tests compare them
on every field and edge value).
A field's options are read once, when its form class is created.
"""

from __future__ import annotations

import inspect
import ipaddress
import linecache
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._context import INVALID, Context
from ._fields import (
    _MUTABLE,
    ChoiceField,
    EmailField,
    EnumField,
    Field,
    IntegerField,
    IPField,
    MultipleChoiceField,
    StringField,
    lower_domain,
)
from ._tree import Node
from .errors import ValidationError

if TYPE_CHECKING:
    from ._form import Form

__all__ = ["compile_fields"]

CleanFields = Callable[["Form", dict[str, Any], Node, Node, str, Context], bool]
"""``(form, cleaned, node, files, prefix, context) -> valid``: fills ``cleaned``, records errors."""

Inline = tuple[list[str], dict[str, Any]]
"""Statements that turn the local ``text`` into ``value`` or raise, and the constants they use."""

_HEADER = """\
def clean_fields(form, cleaned, node, files, prefix, context):
    valid = True
    limit = context.limits.max_value_length
    get = node.get
"""

_PLAIN_READ = """\
    try:
        values = get({name!r})
        if (
            values.__class__ is list
            and values
            and (raw := values[-1]).__class__ is bytes
            and len(raw) <= limit
        ):
            try:
                text = raw.decode(){strip}
            except UnicodeDecodeError:
                raise ValidationError(code="encoding") from None
            if text:
{convert}
            elif field{n}.required:
                raise ValidationError(code="required")
            else:
                value = {default}
        else:
            value = field{n}._read(node, files, {name!r}, {path}, context)
        cleaned[{name!r}] = {keep}
"""

_GENERAL_READ = """\
    try:
        value = field{n}._read(node, files, {name!r}, {path}, context)
        if value is INVALID:
            valid = False
        else:
            cleaned[{name!r}] = {keep}
"""

_RECORD = """\
    except ValidationError as error:
        context._record({path}, error, field{n}.messages)
        valid = False
"""


def _refuse(condition: str, code: str, params: str = "") -> list[str]:
    """Generated lines raising the error ``code`` (with ``params``, a dict display) if ``condition``."""
    arguments = f"code={code!r}, params={params}" if params else f"code={code!r}"
    return [f"if {condition}:", f"    raise ValidationError({arguments})"]


def _string(field: StringField, n: str) -> Inline:
    lines = []
    if field.max_length is not None:
        lines += _refuse(f"len(text) > max{n}", "too_long", f"{{'max': max{n}}}")
    if field.min_length > 1:  # the text is not empty
        lines += _refuse(f"len(text) < min{n}", "too_short", f"{{'min': min{n}}}")
    lines += _refuse(f"not text.isprintable() and control{n}.search(text)", "control_characters")
    if field.pattern is not None:
        lines += _refuse(f"pattern{n}.fullmatch(text) is None", "pattern")
    lines.append("value = text")
    constants = {f"max{n}": field.max_length, f"min{n}": field.min_length, f"pattern{n}": field.pattern}
    return lines, {**constants, f"control{n}": field._control}


def _integer(field: IntegerField, n: str) -> Inline:
    if callable(field.min_value) or callable(field.max_value):
        return _call(field, n)  # bounds known only at validation: convert() calls them and checks the results
    syntax = f"len(text) > 31 or not ((text.isascii() and text.isdigit()) or syntax{n}.fullmatch(text))"
    lines = [*_refuse(syntax, "not_integer"), "value = int(text)"]
    if field.min_value is not None:
        lines += _refuse(f"value < low{n}", "too_small", f"{{'min': low{n}}}")
    if field.max_value is not None:
        lines += _refuse(f"value > high{n}", "too_large", f"{{'max': high{n}}}")
    return lines, {f"syntax{n}": field._SYNTAX, f"low{n}": field.min_value, f"high{n}": field.max_value}


def _email(field: EmailField, n: str) -> Inline:
    address = (
        f"len(text) > 254 or email{n}.fullmatch(text) is None or (len(text) > 65 and text.index('@') > 64)"
    )
    lines = [*_refuse(address, "email"), "value = text if text.islower() else lower_domain(text)"]
    return lines, {f"email{n}": field._PATTERN}


def _choice(field: ChoiceField[Any] | EnumField[Any], n: str) -> Inline:
    lines = [*_refuse(f"text not in choices{n}", "choice"), f"value = choices{n}[text]"]
    return lines, {f"choices{n}": field._by_text}


def _call(field: Field[Any], n: str) -> Inline:
    """Any other converter: called."""
    return [f"value = convert{n}(text)"], {f"convert{n}": field.convert}


def _ip(field: IPField, n: str) -> Inline:
    if field.version == 6:
        return _call(field, n)
    lines = [  # IPField.convert's dotted-quad path; only a text with ":" can still be IPv6
        "try:",
        "    packed = inet_aton(text) if len(text) <= 15 else None",
        "except (OSError, ValueError):",
        "    packed = None",
        "if packed is not None and inet_ntoa(packed) == text:",
        "    value = IPv4Address(int.from_bytes(packed, 'big'))",
    ]
    refuse = ["else:", f"    raise ValidationError(code={field._code!r})"]
    if field.version == 4:
        return lines + refuse, {}
    ipv6 = ["elif ':' in text:", f"    value = convert{n}(text)"]  # an IPv6 address, or its error
    return lines + ipv6 + refuse, {f"convert{n}": field.convert}


_INLINE: dict[Callable[..., Any], Callable[[Any, str], Inline]] = {
    StringField.convert: _string,
    IntegerField.convert: _integer,
    EmailField.convert: _email,
    ChoiceField.convert: _choice,
    EnumField.convert: _choice,
    IPField.convert: _ip,
}
"""Inline versions of built-in converters, keyed by the method they stand for (so a subclass
that overrides ``convert`` is called, never inlined)."""

_MULTIPLE_CHOICE_READ = """\
    try:
        values = get({name!r})
        if values.__class__ is list and len(values) <= context.limits.max_entries:
            chosen = []
            for raw in values:
                if raw.__class__ is not bytes or len(raw) > limit:
                    value = field{n}._read(node, files, {name!r}, {path}, context)
                    break
                try:
                    text = raw.decode(){strip}
                except UnicodeDecodeError:
                    raise ValidationError(code="encoding") from None
                if text:
                    if text not in choices{n}:
                        raise ValidationError(code="choice")
                    if (choice := choices{n}[text]) not in chosen:
                        chosen.append(choice)
            else:
                if not chosen:
                    if field{n}.required:
                        raise ValidationError(code="required")
                    value = {default} if {default} is not None else []
                else:
{counts}
                    value = chosen
        else:
            value = field{n}._read(node, files, {name!r}, {path}, context)
        cleaned[{name!r}] = {keep}
"""
"""MultipleChoiceField._read over bytes; any other value sends the field to ``_read``."""


def _multiple_choice(field: MultipleChoiceField[Any], n: str) -> Inline:
    """The count checks of a multiple-choice field once something was chosen, and its constants."""
    counts = []
    if field.min_choices > 1:
        counts += _refuse(f"len(chosen) < fewest{n}", "too_few_choices", f"{{'min': fewest{n}}}")
    if field.max_choices is not None:
        counts += _refuse(f"len(chosen) > most{n}", "too_many_choices", f"{{'max': most{n}}}")
    constants = {f"fewest{n}": field.min_choices, f"most{n}": field.max_choices}
    return counts, {**constants, f"choices{n}": field._by_text}


def _indent(lines: list[str], width: int) -> str:
    """Generated lines as one block at ``width`` spaces (no final newline: templates add it)."""
    return "\n".join(" " * width + line for line in lines)


def compile_fields(
    owner: str, plan: tuple[tuple[str, Field[Any], Callable[[Any, Any], Any] | None, bool], ...]
) -> CleanFields:
    """The field loop of form class ``owner``'s ``plan`` (name, field, hook, plain), compiled.

    ``plain`` marks fields read by :meth:`Field._read` itself (one value through ``convert``).
    """
    lines = [_HEADER]
    namespace: dict[str, Any] = {
        "INVALID": INVALID,
        "ValidationError": ValidationError,
        "lower_domain": lower_domain,
        "inet_aton": socket.inet_aton,
        "inet_ntoa": socket.inet_ntoa,
        "IPv4Address": ipaddress.IPv4Address,
    }
    for index, (name, field, hook, plain) in enumerate(plan):
        n = f"_{index}"
        namespace[f"field{n}"] = field
        namespace[f"hook{n}"] = hook
        path = f"(prefix + {'.' + name!r} if prefix else {name!r})"  # join_path(prefix, name)
        # A hook's ValidationError must be recorded like a read error, so it runs inside the try;
        # an async hook is queued instead (Context._defer_hook), to run under form.validate().
        if hook is None:
            keep = "value"
        elif inspect.iscoroutinefunction(hook):
            keep = (
                f"context._defer_hook(hook{n}, form, value, cleaned=cleaned, name={name!r}, path={path},"
                f" messages=field{n}.messages)"
            )
        else:
            keep = f"hook{n}(form, value)"
        parts = {"name": name, "n": n, "path": path, "keep": keep, "strip": ".strip()" if field.strip else ""}
        # An immutable default is a constant; a mutable one is copied by the property each time.
        if isinstance(field._default, _MUTABLE):
            parts["default"] = f"field{n}.default"
        else:
            parts["default"] = f"default{n}"
            namespace[f"default{n}"] = field._default
        if isinstance(field, MultipleChoiceField) and type(field)._read is MultipleChoiceField._read:
            counts, constants = _multiple_choice(field, n)
            template, parts["counts"] = _MULTIPLE_CHOICE_READ, _indent(counts, 20)
        elif plain:
            inline: Callable[[Any, str], Inline] = _INLINE.get(type(field).convert, _call)
            convert, constants = inline(field, n)
            template, parts["convert"] = _PLAIN_READ, _indent(convert, 16)
        else:
            template, constants = _GENERAL_READ, {}
        namespace.update(constants)
        lines.append(template.format(**parts))
        lines.append(_RECORD.format(n=n, path=path))
    lines.append("    return valid\n")
    source = "".join(lines)
    filename = f"<anemo.formvalidate: fields of {owner}>"
    # Registered so tracebacks and pdb show the generated lines (mtime None: never reloaded).
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 -- our own text
    function: CleanFields = namespace["clean_fields"]
    return function

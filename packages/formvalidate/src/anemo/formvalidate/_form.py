"""Declarative forms: fields as class attributes, validated from form posts or JSON objects."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Generator, Mapping, Sequence
from typing import Any, ClassVar, NoReturn, TypeVar

from ._compiled import CleanFields, compile_fields
from ._context import INVALID, Context
from ._fields import Field
from ._limits import DEFAULT_LIMITS, Limits
from ._nesting import FormField, ListField
from ._redisplay import Submitted, submitted_entries, submitted_values
from ._report import FieldError, error_details, errors_document
from ._tree import Node, join_path, parse_name, tree_from_arguments, tree_from_json
from .errors import AwaitRequired, FormDefinitionError, ValidationError

__all__ = ["BaseForm", "Form", "ListForm", "Validation"]

F = TypeVar("F", bound="BaseForm")


class BaseForm(Context):
    """What every form does: take input, validate once, expose ``errors`` and ``data``.

    ``arguments`` maps names to lists of ``str`` or ``bytes`` (Tornado's ``request.arguments``);
    ``files`` maps names to lists of uploads (objects with ``filename``, ``body`` and
    ``content_type``, like Tornado's ``HTTPFile``). ``locale`` (a code such as ``"zh_CN"`` or a
    Tornado ``Locale``) picks the message catalog. Validation runs on first use of
    :meth:`is_valid`, :attr:`errors` or ``data``, and never raises for bad input.
    """

    def __init__(
        self,
        arguments: Mapping[str, Sequence[Any]] | None = None,
        files: Mapping[str, Sequence[Any]] | None = None,
        *,
        locale: object = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.arguments = arguments or {}
        self.files = files or {}
        self.locale = locale
        self.limits = limits

    _document: object = None
    _is_json: bool = False
    _result: tuple[Any, dict[str, str]] | None = None
    """``(data, errors)`` once validated."""

    _flat: ClassVar[bool] = False
    """Whether every field reads one plain name, so dotted and indexed names need no parsing."""
    _json_array: ClassVar[bool] = False
    """Whether a JSON document must be an array at the top level (its items are ``[0]``, ``[1]``, ...)."""
    _is_async: ClassVar[bool] = False
    """Whether a hook or ``clean()`` of this form, or of a form nested in it, is a coroutine."""

    @classmethod
    def from_json(
        cls: type[F], document: object, *, locale: object = None, limits: Limits = DEFAULT_LIMITS
    ) -> F:
        """A form over a decoded JSON object; nested objects and arrays give the same paths."""
        form = cls(locale=locale, limits=limits)
        form._document = document
        form._is_json = True
        return form

    def is_valid(self) -> bool:
        """Whether the submission passed every field, hook and ``clean()``."""
        return not (self._result or self._validated())[1]

    def validate(self) -> Validation:
        """Validate, awaiting async hooks and ``clean()``: ``if await form.validate():``.

        Works for every form, so code that takes any form can always await it. A form with async
        validators must be validated this way before ``errors`` or ``data`` are read. Tested
        without ``await``, the result raises :class:`AwaitRequired` instead of being always true.
        """
        return Validation(self._validate_async())

    async def _validate_async(self) -> bool:
        if self._result is None and self._is_async:
            self._pending = []
            try:
                self._validated()
                for step in self._pending:  # one at a time, in field order: hooks may share a connection
                    await step()
            except BaseException:
                self._result = None
                raise
            finally:
                self._pending = None
        return self.is_valid()

    @property
    def error_details(self) -> list[FieldError]:
        """The errors with their stable codes and parameters, in the order they were found."""
        messages = self.errors
        return error_details(messages, self._codes)

    def errors_as_json(self) -> dict[str, Any]:
        """The JSON document for a script client: messages by path, and each error's details.

        ``{"errors": {path: message}, "details": [{"path", "code", "message", "params",
        "value"}]}``; ``value`` (what was submitted) only where it may be shown back.
        """
        return errors_document(self.error_details, self.errors, self.submitted)

    @property
    def submitted(self) -> Submitted:
        """The text submitted for each field, by path, to fill the form in again after an error.

        The last value of a single-valued field, every value of a multiple-valued one. Never a
        password (:class:`PasswordField`) or an upload, nor a value that is not UTF-8 or is longer
        than ``limits.max_value_length``.
        """
        if self._is_json:
            node, _ = tree_from_json(self._document, self.limits, array=self._json_array)
        else:
            node, _ = tree_from_arguments(self.arguments, self.limits, flat=self._flat)
        return self._submitted_in(node)

    def _submitted_in(self, node: Node) -> Submitted:
        raise NotImplementedError

    @property
    def errors(self) -> dict[str, str]:
        """Messages by submitted path (``"host"``, ``"second.ip"``, ``"hosts[1].port"``).

        Errors of the top-level form itself are under ``"__form__"``.
        """
        return (self._result or self._validated())[1]

    def _validated(self) -> tuple[Any, dict[str, str]]:
        """Validate once; callers read ``self._result`` first, the cheaper check."""
        if self._result is None:
            if self._is_async and self._pending is None:
                raise AwaitRequired(
                    f"{type(self).__name__} has async validators: `await form.validate()` before reading it"
                )
            self._recorded = {}
            self._codes = {}
            try:
                self._result = (self._validate_submission(), self._recorded)
            except BaseException:
                self._result = None  # a hook or clean() failed: keep nothing half-done
                raise
        return self._result

    def _validate_submission(self) -> Any:
        """Build the tree of any submission (JSON, nested names, files), then validate it."""
        files: Node = {}
        if self._is_json:
            node, issues = tree_from_json(self._document, self.limits, array=self._json_array)
        else:
            node, issues = tree_from_arguments(self.arguments, self.limits, flat=self._flat)
            if self.files:
                files, file_issues = tree_from_arguments(self.files, self.limits, flat=self._flat)
                issues += file_issues
        for path, code, params in issues:
            self._record(path, ValidationError(code=code, params=params))
        if issues and any(path == "" for path, _, _ in issues):
            return self._empty()
        return self._validate_root(node, files)

    def _empty(self) -> Any:
        """``data`` when the submission as a whole was refused (too many fields, not JSON)."""
        raise NotImplementedError

    def _validate_root(self, node: Node, files: Node) -> Any:
        """Validate the submission's tree, recording errors in this form; return ``data``."""
        raise NotImplementedError


class Form(BaseForm):
    """A form declared by its fields::

        class HostForm(Form):
            host = StringField(max_length=255)
            ip = IPField(version=4)
            port = IntegerField(min_value=1, max_value=65535, required=False, default=80)

            def validate_host(self, value):      # per-field hook: return the value or raise
                return value.lower()

            def clean(self):                     # cross-field rules, once every field passed
                if self.data["port"] == 22 and not self.data["host"].startswith("ssh."):
                    raise ValidationError("port 22 is for ssh hosts", field="port")

    ``data`` holds the typed values of the fields that passed (the full dict once valid).
    """

    fields: ClassVar[dict[str, Field[Any]]] = {}
    _plan: ClassVar[tuple[tuple[str, Field[Any], Callable[[Any, Any], Any] | None, bool], ...]] = ()
    """Per field: name, field, ``validate_<name>`` hook, and whether ``Field._read`` reads it."""
    _compiled_fields: ClassVar[CleanFields]
    """This class's :meth:`_clean_fields`, compiled (see ``_compiled.py``)."""
    _has_clean: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields: dict[str, Field[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, Field):
                    fields[name] = value
                elif name in fields:
                    del fields[name]
        reserved = set(dir(Form))
        for name in fields:
            if parse_name(name) != [name]:
                raise FormDefinitionError(
                    f"field name {name!r} is not ASCII [A-Za-z_][A-Za-z0-9_]*", owner=cls.__name__
                )
            if name in reserved:  # a field named "data" or "clean" would replace the form's own
                raise FormDefinitionError(f"field name {name!r} is taken by the Form API", owner=cls.__name__)
        cls.fields = fields
        cls._plan = tuple(
            (
                name,
                field,
                getattr(cls, f"validate_{name}", None),
                type(field)._read is Field._read,
            )
            for name, field in fields.items()
        )
        cls._compiled_fields = compile_fields(cls.__qualname__, cls._plan)
        cls._has_clean = cls.clean is not Form.clean
        cls._flat = not any(field.nested for field in fields.values())
        cls._is_async = inspect.iscoroutinefunction(cls.clean) or any(
            inspect.iscoroutinefunction(hook) or _awaits(field) for _, field, hook, _ in cls._plan
        )

    @property
    def data(self) -> dict[str, Any]:
        """The cleaned values by field name (nested forms as dicts, lists as lists).

        Inside ``clean()`` and the hooks it is the dict being built, and ``errors`` and
        ``is_valid()`` describe the run so far: of the whole submission, even in a nested form.
        """
        data: dict[str, Any] = (self._result or self._validated())[0]
        return data

    def _clean_fields(
        self, cleaned: dict[str, Any], node: Node, files: Node, prefix: str, context: Context
    ) -> bool:
        """Read every field into ``cleaned`` and run its hook; whether all passed.

        The reference loop: each class runs its compiled copy (see ``_compiled.py``), which
        must give the same data and errors.
        """
        valid = True
        for name, field, hook, _ in self._plan:
            path = join_path(prefix, name)
            try:
                value = field._read(node, files, name, path, context)
                if value is INVALID:
                    valid = False
                    continue
                if hook is not None:
                    if inspect.iscoroutinefunction(hook):
                        value = context._defer_hook(
                            hook, self, value, cleaned=cleaned, name=name, path=path, messages=field.messages
                        )
                    else:
                        value = hook(self, value)
            except ValidationError as error:
                context._record(path, error, field.messages)
                valid = False
                continue
            cleaned[name] = value
        return valid

    def clean(self) -> Any:
        """Override for cross-field rules: read and adjust ``self.data``, raise ValidationError.

        It may be ``async def``; the form is then validated with ``await form.validate()``.
        """

    def _empty(self) -> dict[str, Any]:
        return {}

    def _validated(self) -> tuple[dict[str, Any], dict[str, str]]:
        arguments = self.arguments
        if self._result is not None or not (
            not self._is_async
            and self._flat
            and arguments.__class__ is dict
            and not self.files
            and not self._is_json
            and len(arguments) <= self.limits.max_fields
        ):
            return super()._validated()
        # The common post: the mapping already is the tree, and the compiled loop is called
        # straight away (on CPython 3.10 each call saved is 2% of a 6-field form).
        cleaned: dict[str, Any] = {}
        self._recorded = {}
        self._codes = {}
        self._result = result = (cleaned, self._recorded)  # filled in place, as in _clean_node
        try:
            if self._compiled_fields(cleaned, arguments, {}, "", self) and self._has_clean:
                self._run_clean("", self)
        except BaseException:
            self._result = None  # as in BaseForm._validated
            raise
        return result

    def _validate_root(self, node: Node, files: Node) -> Any:
        self._clean_node(node, files, "", self)
        return self.data  # the fields that passed, even when others did not

    def _clean_node(self, node: Node, files: Node, prefix: str, context: Context) -> Any:
        """Validate this form's fields in ``node``, then its hooks and ``clean()``."""
        cleaned: dict[str, Any] = {}
        # The result is in place before any hook or clean() runs, so that data, errors and
        # is_valid() called there describe the run so far instead of starting another one.
        self._result = (cleaned, context._recorded)
        valid = self._compiled_fields(cleaned, node, files, prefix, context)
        if self._is_async:
            assert context._pending is not None, "an async form runs only under validate()"
            context._pending.append(lambda: self._clean_later(prefix, context))
        elif valid and self._has_clean:
            valid = self._run_clean(prefix, context)
        return cleaned if valid else INVALID

    def _run_clean(self, prefix: str, context: Context) -> bool:
        """Run ``clean()``; whether it passed (an error is recorded at its field or the form)."""
        try:
            self.clean()
        except ValidationError as error:
            self._record_clean_error(error, prefix, context)
            return False
        return True

    async def _clean_later(self, prefix: str, context: Context) -> None:
        """An async form's ``clean()``, after its async hooks, if nothing under it failed."""
        if not self._has_clean or context._has_errors_under(prefix):
            return
        try:
            outcome = self.clean()
            if inspect.isawaitable(outcome):
                await outcome
        except ValidationError as error:
            self._record_clean_error(error, prefix, context)

    def _record_clean_error(self, error: ValidationError, prefix: str, context: Context) -> None:
        """Record an error of ``clean()`` at its field, or at the form itself."""
        named = self.fields.get(error.field) if error.field else None
        target = join_path(prefix, error.field) if error.field else prefix
        context._record(target, error, named.messages if named else None)

    def _submitted_in(self, node: Node) -> Submitted:
        return submitted_values(self.fields, node, "", self.limits)


Form._compiled_fields = compile_fields("Form", ())


class ListForm(BaseForm):
    """A top-level list of repeated groups named ``[0].field``, ``[1].field``, ... (the tutorial's
    ListForm)::

        class HostList(ListForm):
            entry = HostForm          # or a field instance, for ``[0]``, ``[1]``, ...
            min_entries = 1
            max_entries = 50

    ``data`` is the list of entries in index order; errors are keyed ``[1].ip``. From JSON, the
    entries are the items of a top-level array.
    """

    entry: ClassVar[type[Form] | Field[Any]]
    min_entries: ClassVar[int] = 0
    max_entries: ClassVar[int | None] = None
    _list: ClassVar[ListField]
    _json_array = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not hasattr(cls, "entry"):
            raise FormDefinitionError(
                "a ListForm needs an entry (a Form subclass or a field)", owner=cls.__name__
            )
        cls._list = ListField(cls.entry, min_entries=cls.min_entries, max_entries=cls.max_entries)
        cls._is_async = _awaits(cls._list)

    @property
    def data(self) -> list[Any]:
        """The cleaned entries in index order (empty while the list is invalid)."""
        data: list[Any] = self._validated()[0]
        return data

    def _empty(self) -> list[Any]:
        return []

    def _submitted_in(self, node: Node) -> Submitted:
        return submitted_entries(self._list.entry, node, "", self.limits)

    def _validate_root(self, node: Node, files: Node) -> Any:
        try:
            entries = self._list._read_entries(node, files, "", self)
        except ValidationError as error:
            self._record("", error)
            return []
        return [] if entries is INVALID else entries


def _awaits(field: Field[Any]) -> bool:
    """Whether ``field`` holds a form (directly or as list entries) with async validators."""
    if isinstance(field, FormField):
        return field.form_class._is_async
    return isinstance(field, ListField) and _awaits(field.entry)


class Validation:
    """What ``form.validate()`` returns: await it for whether the form is valid.

    A coroutine tested without ``await`` is always true, so ``if form.validate():`` would accept
    anything; this object raises :class:`AwaitRequired` there instead.
    """

    __slots__ = ("_run",)

    def __init__(self, run: Coroutine[Any, Any, bool]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, bool]:
        return self._run.__await__()

    def __bool__(self) -> NoReturn:
        self._run.close()
        raise AwaitRequired("form.validate() must be awaited: `if await form.validate():`")

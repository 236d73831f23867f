"""The exceptions of anemo.formvalidate.

::

    FormValidateError
    ├── ValidationError        a value is invalid; is_valid() turns it into a field error
    ├── AwaitRequired          (also TypeError) a form with async validators read without await
    ├── FormDefinitionError    (also ValueError) a form or field is declared wrongly (a programming error)
    │   └── FormDefinitionTypeError  (also TypeError) declared with an option of the wrong type
    └── UploadSaveError        an uploaded file could not be saved

Bad *input* never raises out of ``is_valid()``: it becomes an entry of ``form.errors``. A bad
declaration raises when the class or field is made, never later inside ``is_valid()``.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "FormValidateError",
    "ValidationError",
    "AwaitRequired",
    "FormDefinitionError",
    "FormDefinitionTypeError",
    "UploadSaveError",
]


class FormValidateError(Exception):
    """Base class of every exception raised by anemo.formvalidate."""


class ValidationError(FormValidateError):
    """A value failed validation.

    Raise it from :meth:`Field.convert`, a ``validate_<name>`` hook or :meth:`Form.clean`.
    ``message`` is shown as is; without one, ``code`` picks a message from the field's
    ``messages`` or the locale's catalog, formatted with ``params``. ``field`` (from ``clean()``
    only) attaches the error to a field of the form instead of to the form itself.
    """

    # Invalid forms raise one of these per bad field, so it is made cheap: slots instead of an
    # instance dict, and no super().__init__ (Exception.__new__ already keeps the arguments).
    __slots__ = ("code", "field", "message", "params")

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str = "invalid",
        field: str | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        self.message = message
        self.code = code
        self.field = field
        self.params: Mapping[str, object] = params or {}

    def __reduce__(self) -> tuple[object, ...]:
        # The default keeps only the instance dict; slots (ours and a subclass's) are added here.
        # The error is rebuilt from its own constructor arguments, then given that state.
        state = dict(self.__dict__)
        for klass in type(self).__mro__:
            slots = vars(klass).get("__slots__", ())
            for name in (slots,) if isinstance(slots, str) else slots:
                if name not in ("__dict__", "__weakref__") and hasattr(self, name):
                    state[name] = getattr(self, name)
        state["params"] = dict(self.params)
        return (type(self), self.args, state)

    def __str__(self) -> str:
        return self.message or self.code

    def __repr__(self) -> str:
        return f"ValidationError({self.message!r}, code={self.code!r}, field={self.field!r})"


class AwaitRequired(FormValidateError, TypeError):
    """A form with async validators was read before ``await form.validate()``, or the awaitable
    ``validate()`` returns was tested as a truth value without ``await`` (it would always be true).
    """


class FormDefinitionError(FormValidateError, ValueError):
    """A form or field is declared wrongly, e.g. ``min_length`` above ``max_length``."""

    def __init__(self, message: str, *, owner: str) -> None:
        super().__init__(f"{owner}: {message}")
        self.owner = owner


class FormDefinitionTypeError(FormDefinitionError, TypeError):
    """A form or field is declared with an option of the wrong type, e.g. ``max_length="5"``."""


class UploadSaveError(FormValidateError):
    """An uploaded file could not be written to ``directory``."""

    def __init__(self, message: str, *, directory: str) -> None:
        super().__init__(f"{message} (directory {directory!r})")
        self.directory = directory

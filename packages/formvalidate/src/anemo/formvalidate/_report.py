"""Errors as data: a stable code per error, and the JSON shape sent to script clients.

``form.errors`` maps paths to messages, for people. A script needs more: which rule failed
(``code``, stable across languages and releases), its parameters (``{"max": 65535}``) and, where
it is safe to echo, what was submitted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._redisplay import Submitted

__all__ = ["FieldError", "error_details", "errors_document"]

_ECHO_LIMIT = 200
"""Longest submitted text echoed in a JSON error; a longer one is left out."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One error of a form: where it is, which rule failed, and the message shown for it."""

    path: str
    """The submitted name (``"hosts[1].port"``), or ``"__form__"`` for the form itself."""
    code: str
    """The rule, such as ``"required"`` or ``"too_large"``; ``"invalid"`` for a bare message."""
    message: str
    """The text shown to the person, in the form's locale."""
    params: Mapping[str, object]
    """What the message was formatted with, such as ``{"max": 65535}``."""


def error_details(
    messages: Mapping[str, str], codes: Mapping[str, tuple[str, Mapping[str, object]]]
) -> list[FieldError]:
    """The recorded errors in the order they were found."""
    return [FieldError(path, codes[path][0], message, codes[path][1]) for path, message in messages.items()]


def errors_document(
    details: list[FieldError], messages: Mapping[str, str], submitted: Submitted
) -> dict[str, Any]:
    """``{"errors": {path: message}, "details": [{"path", "code", "message", "params", "value"?}]}``.

    ``value`` is the text submitted at the path, present only where it may be shown back (never
    for passwords or uploads) and short enough to be worth it. Parameters that JSON has no type
    for (dates, decimals) are written as text.
    """
    listed = []
    for error in details:
        item: dict[str, Any] = {
            "path": error.path,
            "code": error.code,
            "message": error.message,
            "params": {name: _json_safe(value) for name, value in error.params.items()},
        }
        value = submitted.get(error.path)
        if value is not None and len(str(value)) <= _ECHO_LIMIT:
            item["value"] = value
        listed.append(item)
    return {"errors": dict(messages), "details": listed}


def _json_safe(value: object) -> object:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, list | tuple | frozenset | set):
        return [_json_safe(item) for item in value]
    return str(value)

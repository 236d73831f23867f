"""The state of one validation run: limits, locale and the errors found so far."""

from __future__ import annotations

from collections.abc import Mapping

from ._limits import Limits
from ._messages import messages_for
from .errors import ValidationError

__all__ = ["Context", "FORM_ERROR_KEY", "INVALID"]

FORM_ERROR_KEY = "__form__"
"""The key of ``form.errors`` for errors of the whole top-level form (its ``clean()``, limits)."""

INVALID: object = object()
"""Returned by a nested field whose errors are already recorded at deeper paths."""


class Context:
    """Carried through one ``is_valid()``; fields report into ``errors`` by path."""

    __slots__ = ("errors", "limits", "locale", "max_value_length")

    def __init__(self, limits: Limits, locale: object) -> None:
        self.limits = limits
        self.max_value_length = limits.max_value_length
        self.locale = locale
        self.errors: dict[str, str] = {}

    def record(self, path: str, error: ValidationError, overrides: Mapping[str, str] | None = None) -> None:
        """Keep the first error of ``path``, worded by ``overrides``, then the catalog.

        A field's ``"invalid"`` override words every code but ``"required"`` that it does not
        override itself, so one message covers a field's many ways of being wrong.
        """
        key = path or FORM_ERROR_KEY
        if key in self.errors:
            return
        if error.message is not None:
            self.errors[key] = error.message
            return
        template = None
        if overrides:
            template = overrides.get(error.code) or (
                overrides.get("invalid") if error.code != "required" else None
            )
        if template is None:
            catalog = messages_for(self.locale)  # looked up only when there is something to say
            template = catalog.get(error.code) or catalog["invalid"]
        if not error.params:
            self.errors[key] = template
            return
        try:
            self.errors[key] = template.format_map(error.params)
        except (KeyError, IndexError, ValueError):
            self.errors[key] = template

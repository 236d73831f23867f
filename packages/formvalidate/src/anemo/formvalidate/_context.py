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
    """What fields report to while a form validates: its limits, its locale, the errors so far.

    Every form is the context of its own validation run, so a run allocates nothing for it;
    fields of a nested form report to the top-level form. ``_record`` and ``_recorded`` are
    private so that they take no name a form would give a field.
    """

    limits: Limits
    locale: object
    _recorded: dict[str, str]
    """Messages by path, set empty when a run starts."""

    def _record(self, path: str, error: ValidationError, overrides: Mapping[str, str] | None = None) -> None:
        """Keep the first error of ``path``, worded by ``overrides``, then the catalog.

        A field's ``"invalid"`` override words every code but ``"required"`` that it does not
        override itself, so one message covers a field's many ways of being wrong.
        """
        key = path or FORM_ERROR_KEY
        if key in self._recorded:
            return
        if error.message is not None:
            self._recorded[key] = error.message
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
            self._recorded[key] = template
            return
        try:
            self._recorded[key] = template.format_map(error.params)
        except (KeyError, IndexError, ValueError):
            self._recorded[key] = template

"""The state of one validation run: limits, locale and the errors found so far."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

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
    _codes: dict[str, tuple[str, Mapping[str, object]]]
    """The code and params of each message in ``_recorded``, by the same key."""
    _pending: list[Callable[[], Awaitable[None]]] | None = None
    """The async steps of a run started by ``validate()``, in order; None in a sync run."""

    def _record(self, path: str, error: ValidationError, overrides: Mapping[str, str] | None = None) -> None:
        """Keep the first error of ``path``, worded by ``overrides``, then the catalog.

        A field's ``"invalid"`` override words every code but ``"required"`` that it does not
        override itself, so one message covers a field's many ways of being wrong.
        """
        key = path or FORM_ERROR_KEY
        if key in self._recorded:
            return
        self._codes[key] = (error.code, error.params)
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

    def _defer_hook(
        self,
        hook: Callable[[Any, Any], Awaitable[Any]],
        form: object,
        value: Any,
        *,
        cleaned: dict[str, Any],
        name: str,
        path: str,
        messages: Mapping[str, str],
    ) -> Any:
        """Queue an async ``validate_<name>`` hook; ``value`` stands in ``cleaned`` meanwhile.

        The hook runs once every field has been read, in field order; its error is recorded
        at ``path`` like a sync hook's, and removes the value it stood for.
        """

        async def run_hook() -> None:
            try:
                cleaned[name] = await hook(form, value)
            except ValidationError as error:
                cleaned.pop(name, None)
                self._record(path, error, messages)

        assert self._pending is not None, "an async form runs only under validate()"
        self._pending.append(run_hook)
        return value

    def _has_errors_under(self, prefix: str) -> bool:
        """Whether anything was recorded at ``prefix`` or below it (the whole run for ``""``)."""
        if not prefix:
            return bool(self._recorded)
        return any(key == prefix or key.startswith((prefix + ".", prefix + "[")) for key in self._recorded)

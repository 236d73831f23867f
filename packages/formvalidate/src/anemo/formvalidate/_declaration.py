"""Checks of what a form or field is declared with, so a mistake fails at import, not per request.

A bound of the wrong type would otherwise pass the declaration and then raise ``TypeError`` deep
inside ``is_valid()`` on the first submission; a NaN bound would silently accept everything.
"""

from __future__ import annotations

from typing import Any

from .errors import FormDefinitionError, FormDefinitionTypeError

__all__ = ["check_option", "check_range"]

Kind = type | tuple[type, ...]


def check_option(owner: str, name: str, value: Any, kind: Kind, *, minimum: Any = None) -> None:
    """``value`` is ``None`` or a ``kind`` (a bool is no number), not NaN and not below ``minimum``."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, kind):
        raise FormDefinitionTypeError(f"{name} must be {_spelled(kind)} or None, not {value!r}", owner=owner)
    if value != value:  # noqa: PLR0124 -- NaN, float or Decimal: every comparison with it is false
        raise FormDefinitionError(f"{name} must not be NaN", owner=owner)
    if minimum is not None and value < minimum:
        raise FormDefinitionError(f"{name} must be at least {minimum!r}, not {value!r}", owner=owner)


def check_range(
    owner: str, kind: Kind, low: tuple[str, Any], high: tuple[str, Any], *, minimum: Any = None
) -> None:
    """Both ends pass :func:`check_option` and the low one is not above the high one."""
    for name, value in (low, high):
        check_option(owner, name, value, kind, minimum=minimum)
    if low[1] is not None and high[1] is not None and low[1] > high[1]:
        raise FormDefinitionError(f"{low[0]} {low[1]!r} is above {high[0]} {high[1]!r}", owner=owner)


def _spelled(kind: Kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(f"a {k.__name__}" for k in kinds)

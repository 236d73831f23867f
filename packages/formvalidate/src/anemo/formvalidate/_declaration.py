"""Checks of what a form or field is declared with, so a mistake fails at import, not per request.

A bound of the wrong type would otherwise pass the declaration and then raise ``TypeError`` deep
inside ``is_valid()`` on the first submission; a NaN bound would silently accept everything.
A bound given as a function can only be checked when it is called, at validation: what it
returns is checked then, and a wrong type is raised as loudly as a wrong declaration.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from typing import Any

from .errors import FormDefinitionError, FormDefinitionTypeError

__all__ = ["check_option", "check_range", "called_bound"]

Kind = type | tuple[type, ...]


def check_option(
    owner: str, name: str, value: Any, kind: Kind, *, minimum: Any = None, callables: bool = False
) -> None:
    """``value`` is ``None`` or a ``kind`` (a bool is no number), not NaN and not below ``minimum``.

    With ``callables``, a zero-argument function standing for the value is accepted too (see
    :func:`called_bound`).
    """
    if value is None or (callables and callable(value)):
        return
    if isinstance(value, bool) or not isinstance(value, kind):
        spelled = f"{_spelled(kind)}, a function returning one," if callables else _spelled(kind)
        raise FormDefinitionTypeError(f"{name} must be {spelled} or None, not {value!r}", owner=owner)
    if _is_nan(value):
        raise FormDefinitionError(f"{name} must not be NaN", owner=owner)
    if minimum is not None and value < minimum:
        raise FormDefinitionError(f"{name} must be at least {minimum!r}, not {value!r}", owner=owner)


def check_range(
    owner: str,
    kind: Kind,
    low: tuple[str, Any],
    high: tuple[str, Any],
    *,
    minimum: Any = None,
    callables: bool = False,
) -> None:
    """Both ends pass :func:`check_option` and the low one is not above the high one.

    Ends given as functions are compared only by what they return, at validation.
    """
    for name, value in (low, high):
        check_option(owner, name, value, kind, minimum=minimum, callables=callables)
    if low[1] is None or high[1] is None or callable(low[1]) or callable(high[1]):
        return
    if low[1] > high[1]:
        raise FormDefinitionError(f"{low[0]} {low[1]!r} is above {high[0]} {high[1]!r}", owner=owner)


def called_bound(owner: str, name: str, bound: Callable[[], Any], kind: Kind) -> Any:
    """What the function given as option ``name`` returns now: ``None`` or a ``kind``, not NaN.

    Anything else is the declaration's mistake (``min_value=datetime.now`` where a date was
    meant), raised as :class:`FormDefinitionTypeError` rather than recorded as a field error.
    """
    value = bound()
    if value is not None and (isinstance(value, bool) or not isinstance(value, kind) or _is_nan(value)):
        raise FormDefinitionTypeError(
            f"{name} is a function, which must return {_spelled(kind)} or None, not {value!r}", owner=owner
        )
    return value


def _is_nan(value: object) -> bool:
    """Whether ``value`` is a float or Decimal NaN (signalling ones too, which refuse comparison)."""
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, decimal.Decimal) and value.is_nan()


def _spelled(kind: Kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(f"{'an' if k.__name__[0] in 'aeiou' else 'a'} {k.__name__}" for k in kinds)

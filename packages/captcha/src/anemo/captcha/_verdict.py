"""The result of an asynchronous check, which only ``await`` can read.

``if service.apasses(token, answer):`` without ``await`` tests a coroutine, and every coroutine is
true: the captcha would pass any answer. A :class:`PendingVerdict` refuses to be used as a truth
value instead, so that mistake fails on its first request, never silently.
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, NoReturn

from .errors import CallModeError

__all__ = ["PendingVerdict"]


class PendingVerdict:
    """An awaitable ``bool`` whose truth value, tested without ``await``, raises CallModeError.

    Comparing it (``== True``, ``is True``) is false, so code that does so rejects the answer.
    """

    __slots__ = ("_check",)

    def __init__(self, check: Coroutine[Any, Any, bool]) -> None:
        self._check = check

    def __await__(self) -> Generator[Any, None, bool]:
        return self._check.__await__()

    def __bool__(self) -> NoReturn:
        self._check.close()  # it will never run: no "never awaited" warning on top of the error
        raise CallModeError("a verdict was tested without await: write `if await ...`")

    def __repr__(self) -> str:
        return "<PendingVerdict: await it>"

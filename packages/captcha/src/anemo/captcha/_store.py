"""Where challenges live between issue and answer: a small store protocol and an in-memory store.

The protocol is what the verification flow needs and nothing more: keys are ``str``, values are
``bytes``, every entry expires, and two operations are atomic, because the one-attempt rule rests
on them: :meth:`~ChallengeStore.take` (read and delete, so two concurrent answers cannot both get
the challenge) and :meth:`~ChallengeStore.add` (write only if absent, so a stateless token is
accepted once). On Redis they are ``GETDEL`` and ``SET NX PX`` (:mod:`anemo.captcha.redis`).
:class:`AsyncChallengeStore` is the same protocol with coroutines, for stores whose server must
not be waited on by the event loop's thread.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from .errors import InvalidOption, StoreFull

__all__ = ["ChallengeStore", "AsyncChallengeStore", "MemoryStore"]

#: Most expired entries dropped by one write (two would do to keep pace; a few more catch up).
_SWEEP = 8


@runtime_checkable
class ChallengeStore(Protocol):
    """Expiring key-value storage with an atomic take and an atomic add."""

    def put(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any previous value."""

    def get(self, key: str) -> bytes | None:
        """The live value under ``key``, or ``None``; the entry stays."""

    def take(self, key: str) -> bytes | None:
        """Atomically remove the live value under ``key`` and return it, or ``None``."""

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Atomically store ``value`` for ``ttl`` seconds if ``key`` is absent; whether it was."""


@runtime_checkable
class AsyncChallengeStore(Protocol):
    """:class:`ChallengeStore` with coroutine methods; :meth:`CaptchaService.aissue` and co. use it."""

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds, replacing any previous value."""

    async def get(self, key: str) -> bytes | None:
        """The live value under ``key``, or ``None``; the entry stays."""

    async def take(self, key: str) -> bytes | None:
        """Atomically remove the live value under ``key`` and return it, or ``None``."""

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        """Atomically store ``value`` for ``ttl`` seconds if ``key`` is absent; whether it was."""


class MemoryStore:
    """A :class:`ChallengeStore` in this process's memory, safe to share between threads.

    For one process only: several processes (or machines) need a shared store such as Redis.
    At most ``max_entries`` live entries are kept. When full, :meth:`put` drops the oldest entry
    that :meth:`put` wrote (that challenge just fails, closed), never one that :meth:`add` wrote:
    forgetting a used id would let its token be replayed, even when one store serves a stateless
    and a server-side service. With no such entry to drop, both raise
    :class:`~anemo.captcha.StoreFull`.
    """

    def __init__(self, *, max_entries: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise InvalidOption(f"max_entries must be an int of at least 1, not {max_entries!r}")
        self.max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[bytes, float]] = {}
        #: The keys put() wrote, oldest first: the only ones it may evict.
        self._evictable: dict[str, None] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """The number of entries held, expired ones not yet swept away included."""
        return len(self._entries)

    def put(self, key: str, value: bytes, ttl: float) -> None:
        with self._lock:
            self._drop(key)
            if not self._make_room():
                if not self._evictable:
                    raise StoreFull(self.max_entries)
                self._drop(next(iter(self._evictable)))
            self._entries[key] = (value, self._clock() + ttl)
            self._evictable[key] = None

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._live(key)

    def take(self, key: str) -> bytes | None:
        with self._lock:
            value = self._live(key)
            if value is not None:
                self._drop(key)
            return value

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            if not self._make_room():
                raise StoreFull(self.max_entries)
            self._entries[key] = (value, self._clock() + ttl)
            return True

    def _drop(self, key: str) -> None:
        """Forget ``key``, if held."""
        self._entries.pop(key, None)
        self._evictable.pop(key, None)

    def _live(self, key: str) -> bytes | None:
        """The value under ``key`` if it has not expired; an expired entry is dropped."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[1] <= self._clock():
            self._drop(key)
            return None
        return entry[0]

    def _make_room(self) -> bool:
        """Drop expired entries from the oldest end; whether there is room for one more.

        Entries are kept in insertion order, which is expiry order when the lifetime is fixed, as
        it is for a service: the sweep costs O(1) per write on average and never scans everything.
        The challenges are swept from their own oldest end too, in case a used id (which lives
        longer) heads the whole store.
        """
        now = self._clock()
        for queue in (self._entries, self._evictable):
            for key in list(itertools.islice(queue, _SWEEP)):
                if self._entries[key][1] > now:
                    break
                self._drop(key)
        return len(self._entries) < self.max_entries

"""MemoryStore: sessions in this process's memory, bounded and expiring; the embedded default."""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ._json import decode_value, encode_value
from ._store import USER_FIELD, NodeHealth, StoreBase, UserIndex, check_count

__all__ = ["MemoryStore"]

#: Most expired records dropped by one write: enough to keep pace, never a full scan.
_SWEEP = 8
_ADDRESS = "memory"


class _Record:
    __slots__ = ("expires_at", "fields")

    def __init__(self, expires_at: float) -> None:
        self.fields: dict[str, str] = {}
        self.expires_at = expires_at


_Table = OrderedDict[str, _Record]


class MemoryStore(StoreBase):
    """A :class:`~anemo.sessions.SessionStore` with a :class:`~anemo.sessions.UserIndex`, in memory.

    For one process: several processes need a shared store such as Redis. At most
    ``max_sessions`` records are kept. Past that, expired records go first, then the least
    recently used *anonymous* one; a signed-in session (a record with a user) is dropped only
    when no anonymous one is left, so a flood of new visitors cannot sign anybody out. Every
    operation is atomic: nothing here awaits.
    """

    address = _ADDRESS

    def __init__(self, *, max_sessions: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_sessions = check_count("max_sessions", max_sessions, 1)
        self._clock = clock
        #: Least recently used first; a record is in exactly one of the two.
        self._anonymous: _Table = OrderedDict()
        self._signed_in: _Table = OrderedDict()
        self._users: dict[str, _Record] = {}
        self.user_index: UserIndex | None = self

    def __len__(self) -> int:
        """Records held, expired ones not yet swept included."""
        return len(self._anonymous) + len(self._signed_in)

    def _find(self, key: str) -> tuple[_Table, _Record] | None:
        """The live record at ``key`` and its table, marked as just used."""
        for table in (self._anonymous, self._signed_in):
            record = _live(table, key, self._clock())
            if record is not None:
                table.move_to_end(key)
                return table, record
        return None

    async def load(self, key: str) -> dict[str, str] | None:
        found = self._find(key)
        return None if found is None else dict(found[1].fields)

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        found = self._find(key)
        if found is None:
            self._make_room()
            record = _Record(0.0)
        else:
            found[0].pop(key)
            record = found[1]
        record.fields.update(changed)
        for name in removed:
            record.fields.pop(name, None)
        record.expires_at = self._clock() + ttl
        (self._signed_in if USER_FIELD in record.fields else self._anonymous)[key] = record

    async def touch(self, key: str, *, ttl: float) -> None:
        found = self._find(key)
        if found is not None:
            found[1].expires_at = self._clock() + ttl

    async def delete(self, key: str) -> None:
        self._anonymous.pop(key, None)
        self._signed_in.pop(key, None)

    async def index_add(self, user_key: str, record_key: str, info: Mapping[str, Any], *, ttl: float) -> None:
        now = self._clock()
        index = _live(self._users, user_key, now)
        if index is None:
            for other in list(itertools.islice(self._users, _SWEEP)):  # forget idle users' indexes
                _live(self._users, other, now)
            index = self._users[user_key] = _Record(0.0)
        index.fields[record_key] = encode_value(dict(info))
        index.expires_at = max(index.expires_at, now + ttl)

    async def index_list(self, user_key: str) -> dict[str, dict[str, Any]]:
        index = _live(self._users, user_key, self._clock())
        if index is None:
            return {}
        return {key: decode_value(_ADDRESS, text) for key, text in index.fields.items()}

    async def index_remove(self, user_key: str, record_keys: Collection[str]) -> None:
        index = self._users.get(user_key)
        if index is None:
            return
        for key in record_keys:
            index.fields.pop(key, None)
        if not index.fields:
            del self._users[user_key]

    async def health(self) -> list[NodeHealth]:
        """One node, this process, always reachable."""
        return [NodeHealth(_ADDRESS, True, latency=0.0)]

    async def aclose(self) -> None:
        self._anonymous.clear()
        self._signed_in.clear()
        self._users.clear()

    def _make_room(self) -> None:
        """Sweep expired records from both least recently used ends, then evict while still full."""
        now = self._clock()
        for table in (self._anonymous, self._signed_in):
            for key in list(itertools.islice(table, _SWEEP)):
                if table[key].expires_at > now:
                    break
                del table[key]
        while len(self) >= self.max_sessions:
            (self._anonymous or self._signed_in).popitem(last=False)


def _live(table: dict[str, _Record], key: str, now: float) -> _Record | None:
    """The record at ``key`` unless it has expired (an expired one is dropped on the way)."""
    record = table.get(key)
    if record is not None and record.expires_at <= now:
        del table[key]
        return None
    return record

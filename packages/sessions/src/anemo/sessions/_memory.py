"""MemoryStore: sessions in this process's memory, bounded and expiring; the embedded default."""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ._ids import new_session_id
from ._store import NodeHealth, check_count, decode_fields, decode_value, encode_value

__all__ = ["MemoryStore"]

#: Most expired records dropped by one write: enough to keep pace, never a full scan.
_SWEEP = 8
_ADDRESS = "memory"


class _Record:
    __slots__ = ("expires_at", "fields")

    def __init__(self, expires_at: float) -> None:
        self.fields: dict[str, str] = {}
        self.expires_at = expires_at


class MemoryStore:
    """A :class:`~anemo.sessions.SessionStore` and :class:`~anemo.sessions.UserIndex` in memory.

    For one process: several processes need a shared store such as Redis. Values are kept as JSON
    text, so what a request reads is a copy and behaves exactly as with a server. At most
    ``max_sessions`` records are kept; past that the least recently used one is dropped (that
    visitor gets a new session). Every operation is atomic: nothing here awaits.
    """

    def __init__(self, *, max_sessions: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_sessions = check_count("max_sessions", max_sessions, 1)
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._users: dict[str, _Record] = {}

    def __len__(self) -> int:
        """Records held, expired ones not yet swept included."""
        return len(self._records)

    def new_id(self) -> str:
        return new_session_id()

    async def load(self, session_id: str) -> dict[str, Any] | None:
        record = self._live(self._records, session_id)
        if record is None:
            return None
        self._records.move_to_end(session_id)
        return decode_fields(_ADDRESS, list(record.fields), list(record.fields.values()))

    async def save(
        self, session_id: str, changed: Mapping[str, Any], removed: Collection[str], *, ttl: float
    ) -> None:
        encoded = {name: encode_value(value) for name, value in changed.items()}  # fail before writing
        record = self._live(self._records, session_id)
        if record is None:
            self._make_room()
            record = self._records[session_id] = _Record(0.0)
        record.fields.update(encoded)
        for name in removed:
            record.fields.pop(name, None)
        record.expires_at = self._clock() + ttl
        self._records.move_to_end(session_id)

    async def touch(self, session_id: str, *, ttl: float) -> None:
        record = self._live(self._records, session_id)
        if record is not None:
            record.expires_at = self._clock() + ttl
            self._records.move_to_end(session_id)

    async def delete(self, session_id: str) -> None:
        self._records.pop(session_id, None)

    async def index_add(self, user_id: str, session_id: str, info: Mapping[str, Any], *, ttl: float) -> None:
        index = self._live(self._users, user_id)
        if index is None:
            for other in list(itertools.islice(self._users, _SWEEP)):  # forget idle users' indexes
                self._live(self._users, other)
            index = self._users[user_id] = _Record(0.0)
        index.fields[session_id] = encode_value(dict(info))
        index.expires_at = max(index.expires_at, self._clock() + ttl)

    async def index_list(self, user_id: str) -> dict[str, dict[str, Any]]:
        index = self._live(self._users, user_id)
        if index is None:
            return {}
        return {sid: decode_value(_ADDRESS, text) for sid, text in index.fields.items()}

    async def index_remove(self, user_id: str, session_ids: Collection[str]) -> None:
        index = self._users.get(user_id)
        if index is None:
            return
        for session_id in session_ids:
            index.fields.pop(session_id, None)
        if not index.fields:
            del self._users[user_id]

    async def health(self) -> list[NodeHealth]:
        """One node, this process, always reachable."""
        return [NodeHealth(_ADDRESS, True, latency=0.0)]

    async def aclose(self) -> None:
        self._records.clear()
        self._users.clear()

    def _live(self, table: dict[str, _Record], key: str) -> _Record | None:
        record = table.get(key)
        if record is not None and record.expires_at <= self._clock():
            del table[key]
            return None
        return record

    def _make_room(self) -> None:
        """Sweep expired records from the least recently used end, then evict one if still full."""
        now = self._clock()
        for session_id in list(itertools.islice(self._records, _SWEEP)):
            if self._records[session_id].expires_at > now:
                break
            del self._records[session_id]
        while len(self._records) >= self.max_sessions:
            self._records.popitem(last=False)

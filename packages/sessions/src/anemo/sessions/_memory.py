"""MemoryStore: sessions in this process's memory, bounded and expiring; the embedded default.

A record is kept as one text and its expiry time, some 40% less memory than a dict of fields per
record: ``"\\0name\\0text\\0name\\0text"``, each field's name and JSON text after a NUL. JSON
texts never hold a raw NUL (JSON escapes control characters), so a split gives the fields back
exactly; a record where some name or text does hold one is kept as a JSON object instead. A
load splits the text (a fresh dict each time); a save splits it, merges the change and joins it.
"""

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
#: What precedes each field name and each field text in a record's text.
_NUL = "\0"


def _pack(fields: Mapping[str, str]) -> str:
    """The record's text: NUL-separated, or a JSON object when it is empty or a NUL is in the way."""
    parts = [""]
    for item in fields.items():
        parts += item
    text = _NUL.join(parts)
    if fields and text.count(_NUL) == 2 * len(fields):
        return text
    return encode_value(fields)


def _unpack(text: str) -> dict[str, str]:
    """The fields of a record's text, every name and text exactly as saved."""
    if text[0] != _NUL:
        fields: dict[str, str] = decode_value(_ADDRESS, text)
        return fields
    parts = iter(text.split(_NUL))
    next(parts)  # the empty string before the first NUL
    return dict(zip(parts, parts, strict=True))  # name, text, name, text...


class _Record:
    """A record's fields as one text (see the module's docstring), and when it expires (the clock's time)."""

    __slots__ = ("expires_at", "text")

    def __init__(self, expires_at: float, text: str) -> None:
        self.expires_at = expires_at
        self.text = text

    @property
    def fields(self) -> dict[str, str]:
        """A fresh dict of the record's fields: name -> JSON text, exactly as saved."""
        return _unpack(self.text)


#: Least recently used first. A plain dict would be smaller, but finding its first live entry
#: skips every slot deleted since it last resized: O(n) per eviction or sweep under churn.
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
        #: A user's index is a record too: record key -> the entry's info as a JSON text.
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
        return None if found is None else found[1].fields

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        found = self._find(key)
        if found is None:
            self._make_room()
            fields = dict(changed)
        else:
            fields = found[1].fields
            fields.update(changed)
        for name in removed:
            fields.pop(name, None)
        record = _Record(self._clock() + ttl, _pack(fields))
        table = self._signed_in if USER_FIELD in fields else self._anonymous
        if found is not None and found[0] is not table:  # signed in or out: it changes class
            del found[0][key]
        table[key] = record  # in place when it was there: _find made it the most recently used

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
            index = self._users[user_key] = _Record(0.0, _pack({}))
        entries = index.fields
        entries[record_key] = encode_value(dict(info))
        index.text = _pack(entries)
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
        entries = index.fields
        for key in record_keys:
            entries.pop(key, None)
        if entries:
            index.text = _pack(entries)
        else:
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

"""The store protocol: what a session backend must do, the optional per-user index, a base class.

A record is a mapping of field names to JSON texts, kept under a *record key*, a keyed hash of
the session id (a store never sees an id). Stores keep each field separately where the server
allows it (a Redis hash), so that :meth:`SessionStore.save` writes only the fields that changed
and two requests that change different fields both keep their change. Stores store texts as
they are: the manager encodes and decodes. Every operation raises
:class:`~anemo.sessions.StoreUnavailable` within the store's ``timeout`` when its server is down,
refuses or stalls, and :class:`~anemo.sessions.StoreError` for an error the server answered with.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, Self, runtime_checkable

from ._ids import new_session_id
from .errors import InvalidOption, StoreError

__all__ = [
    "SessionStore",
    "StoreBase",
    "UserIndex",
    "NodeHealth",
    "IndexEntry",
    "DEFAULT_TIMEOUT",
    "USER_FIELD",
    "check_timeout",
    "check_count",
    "probe",
]

#: Seconds a store waits for its server before raising StoreUnavailable.
DEFAULT_TIMEOUT = 0.5
#: The field a signed-in session's record has: a store that must evict evicts records without it first.
USER_FIELD = "m:user"


def check_timeout(timeout: float) -> float:
    """``timeout`` if it is a number of seconds in (0, 60], else an InvalidOption."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout <= 60:
        raise InvalidOption(f"timeout must be a number of seconds in (0, 60], not {timeout!r}")
    return timeout


def check_count(name: str, value: int, minimum: int) -> int:
    """``value`` if it is an int of at least ``minimum``, else an InvalidOption naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidOption(f"{name} must be an int of at least {minimum}, not {value!r}")
    return value


@dataclass(frozen=True)
class NodeHealth:
    """One node as ``health()`` saw it: ``latency`` in seconds when it answered, else ``error``."""

    address: str
    reachable: bool
    latency: float | None = None
    error: str | None = None


class IndexEntry(NamedTuple):
    """A session's entry in its user's index: where (``user_key``), what (``info``), how long (``ttl``)."""

    user_key: str
    info: Mapping[str, Any]
    ttl: float


@runtime_checkable
class UserIndex(Protocol):
    """The per-user index behind ``sessions_of`` and ``invalidate_user``: a capability of some stores.

    Keyed by a keyed hash of the user id; an entry maps a record key to a small JSON object
    (created, last seen, user agent). Entries are written beside the session record, not
    atomically with it: the manager checks each listed session against its record and removes
    entries whose record is gone.
    """

    async def index_add(self, user_key: str, record_key: str, info: Mapping[str, Any], *, ttl: float) -> None:
        """Add or replace the entry of ``record_key``; the user's index lives ``ttl`` s more."""

    async def index_list(self, user_key: str) -> dict[str, dict[str, Any]]:
        """Every entry of the user: record key -> info."""

    async def index_remove(self, user_key: str, record_keys: Collection[str]) -> None:
        """Remove these entries (absent ones are ignored)."""


@runtime_checkable
class SessionStore(Protocol):
    """Where session records live. Third-party stores subclass :class:`StoreBase` and add the rest."""

    #: The store's per-user index, or ``None`` when it keeps none (``sessions_of`` then raises).
    user_index: UserIndex | None

    def new_id(self) -> str:
        """A fresh session id (256 random bits; a sharded store may append its route)."""

    async def load(self, key: str) -> dict[str, str] | None:
        """The record's fields (name -> JSON text), or ``None`` when it is unknown, expired or deleted."""

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        """Write ``changed`` fields, delete ``removed`` ones, and let the record live ``ttl`` s more."""

    async def touch(self, key: str, *, ttl: float) -> None:
        """Let the record live ``ttl`` seconds more without writing its data."""

    async def touch_indexed(self, key: str, entry: IndexEntry, *, ttl: float) -> None:
        """``touch``, then add or refresh the record's entry in its user's index: one round trip where it can.

        Called only on stores with a ``user_index``, when a signed-in visitor's cookie is re-issued.
        """

    async def delete(self, key: str) -> None:
        """Remove the record; a no-op when it does not exist."""

    async def health(self) -> list[NodeHealth]:
        """Each node's reachability and round trip; a failure is reported, never raised."""

    async def aclose(self) -> None:
        """Release connections and threads; the store is unusable afterwards."""


class StoreBase:
    """What every store shares: ids from :mod:`secrets`, no user index unless it keeps one, ``async with``."""

    user_index: UserIndex | None = None

    def new_id(self) -> str:
        return new_session_id()

    async def touch(self, key: str, *, ttl: float) -> None:
        """Every store defines it; declared here for ``touch_indexed``."""
        raise NotImplementedError

    async def touch_indexed(self, key: str, entry: IndexEntry, *, ttl: float) -> None:
        """Two steps here; a store whose server can do both in one round trip overrides this."""
        await self.touch(key, ttl=ttl)
        if self.user_index is not None:
            await self.user_index.index_add(entry.user_key, key, entry.info, ttl=entry.ttl)

    async def aclose(self) -> None:
        """Nothing to release here; stores with connections override it."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def probe(address: str, ping: Callable[[], Awaitable[object]]) -> NodeHealth:
    """Time one ``ping()`` of a node; a failure is reported, never raised."""
    started = time.perf_counter()
    try:
        await ping()
    except StoreError as exc:
        return NodeHealth(address, False, error=exc.reason)
    return NodeHealth(address, True, latency=time.perf_counter() - started)

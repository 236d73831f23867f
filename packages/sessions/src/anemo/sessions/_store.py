"""The store protocol: what a session backend must do, and the optional per-user index.

A record is a mapping of field names to JSON values. Stores keep each field separately where the
server allows it (a Redis hash), so that :meth:`SessionStore.save` writes only the fields that
changed and two requests that change different fields both keep their change. Every operation of
a store raises :class:`~anemo.sessions.StoreUnavailable` within the store's ``timeout`` when its
server is down, refuses or stalls, and nothing else for a server failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .errors import InvalidOption, StoreError

__all__ = [
    "SessionStore",
    "UserIndex",
    "NodeHealth",
    "DEFAULT_TIMEOUT",
    "check_timeout",
    "check_count",
    "encode_value",
    "decode_value",
    "decode_fields",
    "probe",
]

#: Seconds a store waits for its server before raising StoreUnavailable.
DEFAULT_TIMEOUT = 0.5


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


_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_value(value: Any) -> str:
    """Compact JSON of one field's value (NaN and infinities are refused: they are not JSON)."""
    return _JSON.encode(value)


def decode_value(address: str, text: str | bytes) -> Any:
    """One field's value back from JSON; a field that is not JSON is a :class:`StoreError`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StoreError(address, f"a session field is not JSON: {exc}") from exc


def decode_fields(address: str, names: list[str], values: list[str]) -> dict[str, Any]:
    """Fields back from their JSON texts, parsed as one array: one parser call, not one per field."""
    decoded = decode_value(address, "[" + ",".join(values) + "]") if values else []
    if not isinstance(decoded, list) or len(decoded) != len(names):
        raise StoreError(address, "a session field is not one JSON value")
    return dict(zip(names, decoded, strict=True))


@runtime_checkable
class SessionStore(Protocol):
    """Where session records live. Third-party stores implement these six methods."""

    def new_id(self) -> str:
        """A fresh session id (256 random bits; a sharded store may append its shard)."""

    async def load(self, session_id: str) -> dict[str, Any] | None:
        """The record's fields, or ``None`` when it is unknown, expired or deleted."""

    async def save(
        self, session_id: str, changed: Mapping[str, Any], removed: Collection[str], *, ttl: float
    ) -> None:
        """Write ``changed`` fields, delete ``removed`` ones, and let the record live ``ttl`` s more."""

    async def touch(self, session_id: str, *, ttl: float) -> None:
        """Let the record live ``ttl`` seconds more without writing its data."""

    async def delete(self, session_id: str) -> None:
        """Remove the record; a no-op when it does not exist."""

    async def aclose(self) -> None:
        """Release connections and threads; the store is unusable afterwards."""


@runtime_checkable
class UserIndex(Protocol):
    """The optional per-user index behind ``sessions_of`` and ``invalidate_user``.

    An entry maps a session id to a small JSON object (created, last seen, user agent). Entries
    are written beside the session record, not atomically with it: the manager checks each
    listed session against its record and removes entries whose record is gone.
    """

    async def index_add(self, user_id: str, session_id: str, info: Mapping[str, Any], *, ttl: float) -> None:
        """Add or replace the entry of ``session_id``; the user's index lives ``ttl`` s more."""

    async def index_list(self, user_id: str) -> dict[str, dict[str, Any]]:
        """Every entry of the user: session id -> info."""

    async def index_remove(self, user_id: str, session_ids: Collection[str]) -> None:
        """Remove these entries (absent ones are ignored)."""


@dataclass(frozen=True)
class NodeHealth:
    """One node as ``health()`` saw it: ``latency`` in seconds when it answered, else ``error``."""

    address: str
    reachable: bool
    latency: float | None = None
    error: str | None = None


async def probe(address: str, ping: Callable[[], Awaitable[object]]) -> NodeHealth:
    """Time one ``ping()`` of a node; a failure is reported, never raised."""
    started = time.perf_counter()
    try:
        await ping()
    except StoreError as exc:
        return NodeHealth(address, False, error=exc.reason)
    return NodeHealth(address, True, latency=time.perf_counter() - started)

"""Server-side sessions for Tornado: memory, Redis, Valkey, memcached, SQL, sharded and Cluster stores.

- :class:`SessionManager` turns a signed cookie into a :class:`Session` and back, with strict
  ids, idle and absolute timeouts, field-level writes, a size cap and a per-user session index.
  Stores keep a keyed hash of each id, never the id, and optionally encrypted data.
- Stores implement :class:`SessionStore`: :class:`MemoryStore` (default, one process),
  :class:`RedisStore`, :class:`RedisClusterStore`, :class:`RedisSentinelStore` (extra ``redis``
  or ``valkey``, for Redis and Valkey servers alike), :class:`MemcachedStore` (extra
  ``memcached``), :class:`SQLiteStore` (one machine, several processes), :class:`PostgresStore`
  (extra ``postgres``), :class:`ShardedStore`; :func:`store_from_url` builds any of them.
- :mod:`anemo.sessions.tornado` (extra ``tornado``): ``self.session`` in request handlers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._ids import new_session_id
from ._manager import CookieUpdate, SessionInfo, SessionManager
from ._memory import MemoryStore
from ._redis import RedisClusterStore, RedisStore
from ._sentinel import RedisSentinelStore
from ._session import FLASH_PREFIX, Flash, Session
from ._sharded import ShardedStore
from ._sql import SQLStore
from ._sqlite import SQLiteStore
from ._store import DEFAULT_TIMEOUT, IndexEntry, NodeHealth, SessionStore, StoreBase, UserIndex
from ._url import optional_module, redact_url, store_from_url
from .errors import (
    InvalidOption,
    InvalidOptionType,
    InvalidSessionValue,
    InvalidStoreURL,
    NotSupported,
    SessionError,
    SessionNotLoaded,
    SessionNotOpened,
    SessionTooLarge,
    StoreError,
    StoreUnavailable,
    WriteConflict,
)

if TYPE_CHECKING:
    from ._memcached import MemcachedStore
    from ._postgres import PostgresStore

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # sessions
    "Session",
    "SessionManager",
    "Flash",
    "FLASH_PREFIX",
    "CookieUpdate",
    "SessionInfo",
    "new_session_id",
    # stores
    "SessionStore",
    "StoreBase",
    "IndexEntry",
    "UserIndex",
    "NodeHealth",
    "DEFAULT_TIMEOUT",
    "MemoryStore",
    "RedisStore",
    "RedisClusterStore",
    "RedisSentinelStore",
    "MemcachedStore",
    "SQLStore",
    "SQLiteStore",
    "PostgresStore",
    "ShardedStore",
    "store_from_url",
    "redact_url",
    # errors
    "SessionError",
    "InvalidOption",
    "InvalidOptionType",
    "InvalidSessionValue",
    "InvalidStoreURL",
    "SessionNotLoaded",
    "SessionNotOpened",
    "SessionTooLarge",
    "NotSupported",
    "StoreError",
    "StoreUnavailable",
    "WriteConflict",
]


def __getattr__(name: str) -> Any:
    """MemcachedStore and PostgresStore, imported on first use (the error names the extra). The Redis
    stores import their client library only when they build a client."""
    if name == "MemcachedStore":
        return optional_module("_memcached").MemcachedStore
    if name == "PostgresStore":
        return optional_module("_postgres").PostgresStore
    raise AttributeError(f"module 'anemo.sessions' has no attribute {name!r}")

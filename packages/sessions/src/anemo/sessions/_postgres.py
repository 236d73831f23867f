"""PostgresStore: sessions in PostgreSQL, through asyncpg (extra ``postgres``).

A record's fields are one ``jsonb`` column, so a save is one ``INSERT ... ON CONFLICT`` that
merges the changed fields in (and drops removed ones) inside the server, atomically. Expiry uses
the server's clock, so application servers whose clocks disagree still agree on what has expired.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import asyncpg.exceptions

from ._json import decode_value, encode_value
from ._sql import DEFAULT_TABLE, SWEEP_LIMIT, SQLStore, merge_patch
from ._store import DEFAULT_TIMEOUT, IndexEntry, NodeHealth, UserIndex, probe
from .errors import StoreError, StoreUnavailable

__all__ = ["PostgresStore"]

#: The server or the network failed, or the server is shutting down, out of resources or a
#: standby after a failover, as opposed to an error a working primary answered with.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.ReadOnlySQLTransactionError,
    asyncpg.exceptions.TargetServerAttributeNotMatched,
)
_FAILURES: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError, *_UNAVAILABLE)

_SCHEMA = """\
CREATE TABLE IF NOT EXISTS {t} (key text PRIMARY KEY, fields jsonb NOT NULL, expires_at timestamptz NOT NULL);
CREATE INDEX IF NOT EXISTS {t}_expires_at ON {t} (expires_at);
CREATE TABLE IF NOT EXISTS {u} (user_key text NOT NULL, record_key text NOT NULL, info text NOT NULL,
  expires_at timestamptz NOT NULL, PRIMARY KEY (user_key, record_key));
CREATE INDEX IF NOT EXISTS {u}_expires_at ON {u} (expires_at);
"""
#: Every statement, by name, for ``SQLStore.sql``.
#: Times are the server's: ``clock_timestamp()``, and ``+ make_interval(secs => $n)`` for a TTL.
_STATEMENTS = {
    "ping": "SELECT 1",
    # One transaction under a lock named by the table: servers starting at once would otherwise
    # race on CREATE TABLE IF NOT EXISTS.
    "create": f"BEGIN; SELECT pg_advisory_xact_lock(hashtext('{{t}}'));\n{_SCHEMA}COMMIT;",
    "load": "SELECT fields FROM {t} WHERE key = $1 AND expires_at > clock_timestamp()",
    # $2 is a merge patch: a removed field is null, and jsonb_strip_nulls drops it.
    "save": """
        INSERT INTO {t} AS r (key, fields, expires_at)
        VALUES ($1, jsonb_strip_nulls($2::jsonb), clock_timestamp() + make_interval(secs => $3))
        ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, fields = jsonb_strip_nulls(
          (CASE WHEN r.expires_at > clock_timestamp() THEN r.fields ELSE '{{}}'::jsonb END) || $2::jsonb)
    """,
    "touch": """
        UPDATE {t} SET expires_at = clock_timestamp() + make_interval(secs => $2)
        WHERE key = $1 AND expires_at > clock_timestamp()
    """,
    "touch_indexed": """
        WITH touched AS (
          UPDATE {t} SET expires_at = clock_timestamp() + make_interval(secs => $2)
          WHERE key = $1 AND expires_at > clock_timestamp() RETURNING key)
        INSERT INTO {u} (user_key, record_key, info, expires_at)
        SELECT $3, key, $4, clock_timestamp() + make_interval(secs => $5) FROM touched
        {entry_upsert}
    """,
    "delete": "DELETE FROM {t} WHERE key = $1",
    "index_add": """
        INSERT INTO {u} (user_key, record_key, info, expires_at)
        VALUES ($1, $2, $3, clock_timestamp() + make_interval(secs => $4))
        {entry_upsert}
    """,
    "index_list": "SELECT record_key, info FROM {u} WHERE user_key = $1 AND expires_at > clock_timestamp()",
    "index_remove": "DELETE FROM {u} WHERE user_key = $1 AND record_key = ANY($2::text[])",
    # SKIP LOCKED: application servers sweeping at once share the work instead of queueing.
    "sweep": """
        WITH records AS (
          DELETE FROM {t} WHERE key IN (
            SELECT key FROM {t} WHERE expires_at <= clock_timestamp() LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING 1),
        entries AS (
          DELETE FROM {u} WHERE (user_key, record_key) IN (
            SELECT user_key, record_key FROM {u} WHERE expires_at <= clock_timestamp()
            LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING 1)
        SELECT (SELECT count(*) FROM records) + (SELECT count(*) FROM entries)
    """,
}


def _address(dsn: str) -> str:
    """``host:port/database`` of a DSN, for errors and health: never its user name or password."""
    parts = urlsplit(dsn)
    return f"{parts.netloc.rpartition('@')[2]}{parts.path}" or "postgresql"


class PostgresStore(SQLStore):
    """A :class:`~anemo.sessions.SessionStore` with a user index in PostgreSQL tables.

    ``pool`` is an asyncpg pool, or a DSN (``postgresql://user:password@host:port/database``)
    from which the store makes one on first use, with ``pool_options`` for
    :func:`asyncpg.create_pool`. The tables (see :attr:`schema`) are created on first use unless
    ``create_tables`` is off.
    """

    def __init__(
        self,
        pool: asyncpg.Pool | str,
        *,
        table: str = DEFAULT_TABLE,
        timeout: float = DEFAULT_TIMEOUT,
        create_tables: bool = True,
        **pool_options: Any,
    ) -> None:
        super().__init__(table=table, timeout=timeout, create_tables=create_tables)
        self._dsn = pool if isinstance(pool, str) else None
        self._pool = None if isinstance(pool, str) else pool
        self._pool_options = {
            "min_size": 0,
            "max_size": 10,
            "timeout": self.timeout,
            "command_timeout": self.timeout,
            **pool_options,
        }
        self.address = _address(pool) if isinstance(pool, str) else "postgresql"
        self._ready = False
        self._lock = asyncio.Lock()
        self.user_index: UserIndex | None = self
        self._statements = {name: self.sql(template) for name, template in _STATEMENTS.items()}

    @property
    def schema(self) -> str:
        """The tables and indexes the store needs, as SQL: for migrations when ``create_tables`` is off."""
        return self.sql(_SCHEMA)

    async def _ready_pool(self) -> asyncpg.Pool:
        """The pool, made and given the tables on first use (once, however many requests ask)."""
        if not self._ready:
            async with self._lock:
                if self._pool is None:
                    assert self._dsn is not None
                    self._pool = await asyncpg.create_pool(self._dsn, **self._pool_options)
                if not self._ready and self.create_tables:
                    await self._pool.execute(self._statements["create"])
                self._ready = True
        assert self._pool is not None
        return self._pool

    async def _run(self, method: str, statement: str, *args: Any) -> Any:
        """``connection.METHOD(the statement named so, *args)``, its errors ours, within the timeout.

        A connection whose statement ran out of time is closed on the spot: asyncpg would
        otherwise wait on the stalled server to cancel the statement before freeing it.
        """
        try:
            async with asyncio.timeout(self.timeout):
                pool = await self._ready_pool()
                connection = await pool.acquire()
                try:
                    return await getattr(connection, method)(self._statements[statement], *args)
                except asyncio.CancelledError:  # the timeout: the statement may still be running
                    connection.terminate()
                    raise
                finally:
                    await pool.release(connection)
        except TimeoutError:
            raise StoreUnavailable(self.address, f"no answer within {self.timeout} s") from None
        except _FAILURES as exc:
            kind = StoreUnavailable if isinstance(exc, _UNAVAILABLE) else StoreError
            raise kind(self.address, f"{type(exc).__name__}: {exc}") from exc

    async def load(self, key: str) -> dict[str, str] | None:
        return self._fields(await self._run("fetchval", "load", key))

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        await self._run("execute", "save", key, merge_patch(changed, removed), ttl)
        if self._sweep_due():
            await self._sweep(SWEEP_LIMIT)

    async def touch(self, key: str, *, ttl: float) -> None:
        await self._run("execute", "touch", key, ttl)

    async def touch_indexed(self, key: str, entry: IndexEntry, *, ttl: float) -> None:
        """The touch and the index entry in one statement; no entry for a record that is gone."""
        info = encode_value(dict(entry.info))
        await self._run("execute", "touch_indexed", key, ttl, entry.user_key, info, entry.ttl)

    async def delete(self, key: str) -> None:
        await self._run("execute", "delete", key)

    async def index_add(self, user_key: str, record_key: str, info: Mapping[str, Any], *, ttl: float) -> None:
        await self._run("execute", "index_add", user_key, record_key, encode_value(dict(info)), ttl)

    async def index_list(self, user_key: str) -> dict[str, dict[str, Any]]:
        rows = await self._run("fetch", "index_list", user_key)
        return {row[0]: decode_value(self.address, row[1]) for row in rows}

    async def index_remove(self, user_key: str, record_keys: Collection[str]) -> None:
        await self._run("execute", "index_remove", user_key, list(record_keys))

    async def _sweep(self, limit: int) -> int:
        return int(await self._run("fetchval", "sweep", limit))

    async def health(self) -> list[NodeHealth]:
        return [await probe(self.address, functools.partial(self._run, "fetchval", "ping"))]

    async def aclose(self) -> None:
        """Close the pool's connections (a pool given to the store is closed too)."""
        if self._pool is not None:
            await self._pool.close()

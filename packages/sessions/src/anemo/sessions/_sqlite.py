"""SQLiteStore: sessions in an SQLite file that several processes of one machine share.

No server: the file outlives the processes, so sessions survive a restart, and every process that
opens it sees the same sessions. The standard library's :mod:`sqlite3` runs on one worker thread
per store, so the event loop never waits on the disk. The file is in WAL mode (readers never wait
for the writer); a writer that finds the file locked waits up to the store's ``timeout`` and then
raises :class:`~anemo.sessions.StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from ._json import decode_value, encode_value
from ._sql import DEFAULT_TABLE, SWEEP_LIMIT, SQLStore, merge_patch
from ._store import DEFAULT_TIMEOUT, IndexEntry, NodeHealth, UserIndex, probe
from .errors import StoreError, StoreUnavailable

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")

#: SQLite's result codes (their primary part) for a file that is busy, full or failing, as
#: opposed to a statement SQLite refused or a file that is not a database.
_UNAVAILABLE = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_FULL", "SQLITE_CANTOPEN"})


_SCHEMA = """\
CREATE TABLE IF NOT EXISTS {t} (key TEXT PRIMARY KEY, fields TEXT NOT NULL, expires_at REAL NOT NULL)
  WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {t}_expires_at ON {t} (expires_at);
CREATE TABLE IF NOT EXISTS {u} (user_key TEXT NOT NULL, record_key TEXT NOT NULL, info TEXT NOT NULL,
  expires_at REAL NOT NULL, PRIMARY KEY (user_key, record_key)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS {u}_expires_at ON {u} (expires_at);
"""
#: Every statement, by name, for ``SQLStore.sql``.
#: Times are Unix times from this machine's clock, which every process sharing the file reads.
_STATEMENTS = {
    "ping": "SELECT 1",
    "load": "SELECT fields FROM {t} WHERE key = ? AND expires_at > ?",
    # :patch is a merge patch: json_patch drops a field whose value is null.
    "save": """
        INSERT INTO {t} (key, fields, expires_at) VALUES (:key, json_patch('{{}}', :patch), :expires_at)
        ON CONFLICT (key) DO UPDATE SET expires_at = :expires_at,
          fields = json_patch(CASE WHEN expires_at > :now THEN fields ELSE '{{}}' END, :patch)
    """,
    "touch": "UPDATE {t} SET expires_at = ? WHERE key = ? AND expires_at > ?",
    "delete": "DELETE FROM {t} WHERE key = ?",
    "index_add": """
        INSERT INTO {u} (user_key, record_key, info, expires_at) VALUES (?, ?, ?, ?)
        {entry_upsert}
    """,
    "index_list": "SELECT record_key, info FROM {u} WHERE user_key = ? AND expires_at > ?",
    "index_remove": "DELETE FROM {u} WHERE user_key = ? AND record_key IN (SELECT value FROM json_each(?))",
    "sweep_records": "DELETE FROM {t} WHERE key IN (SELECT key FROM {t} WHERE expires_at <= ? LIMIT ?)",
    "sweep_entries": """
        DELETE FROM {u} WHERE (user_key, record_key) IN (
          SELECT user_key, record_key FROM {u} WHERE expires_at <= ? LIMIT ?)
    """,
}


def _sqlite_error(address: str, exc: sqlite3.Error) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "") or ""
    primary = "_".join(name.split("_")[:2])
    kind = StoreUnavailable if primary in _UNAVAILABLE else StoreError
    return kind(address, f"{type(exc).__name__}: {exc}")


class SQLiteStore(SQLStore):
    """A :class:`~anemo.sessions.SessionStore` with a user index in the SQLite file at ``path``.

    For one machine: the processes must share a local file system (WAL mode does not work over a
    network one). Needs SQLite 3.38 or later (the JSON functions); Python's own is newer.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        table: str = DEFAULT_TABLE,
        timeout: float = DEFAULT_TIMEOUT,
        create_tables: bool = True,
    ) -> None:
        super().__init__(table=table, timeout=timeout, create_tables=create_tables)
        self.path = os.fspath(path)
        self.address = self.path
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="anemo-sqlite")
        #: Made and used on the worker thread only.
        self._connection: sqlite3.Connection | None = None
        self.user_index: UserIndex | None = self
        self._statements = {name: self.sql(template) for name, template in _STATEMENTS.items()}

    @property
    def schema(self) -> str:
        """The tables and indexes the store needs, as SQL: for migrations when ``create_tables`` is off."""
        return self.sql(_SCHEMA)

    # Run on the worker thread.

    def _db(self) -> sqlite3.Connection:
        """The worker's connection: opened, in WAL mode, with the tables, on first use."""
        if self._connection is None:
            connection = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("PRAGMA synchronous=NORMAL")
                if self.create_tables:
                    connection.executescript(self.schema)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    def _execute(self, statement: str, parameters: tuple[Any, ...] | dict[str, Any]) -> sqlite3.Cursor:
        return self._db().execute(self._statements[statement], parameters)

    def _load(self, key: str, now: float) -> str | None:
        row = self._execute("load", (key, now)).fetchone()
        return None if row is None else str(row[0])

    def _save(self, key: str, patch: str, expires_at: float, now: float, sweep: bool) -> None:
        self._execute("save", {"key": key, "patch": patch, "expires_at": expires_at, "now": now})
        if sweep:
            self._sweep_rows(now, SWEEP_LIMIT)

    def _touch(self, key: str, expires_at: float, now: float) -> bool:
        return self._execute("touch", (expires_at, key, now)).rowcount > 0

    def _touch_indexed(self, key: str, entry: tuple[str, str, float], expires_at: float, now: float) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        with db:  # one transaction: no entry for a record that is gone
            if self._touch(key, expires_at, now):
                self._execute("index_add", (entry[0], key, *entry[1:]))

    def _sweep_rows(self, now: float, limit: int) -> int:
        records = self._execute("sweep_records", (now, limit)).rowcount
        return records + self._execute("sweep_entries", (now, limit)).rowcount

    def _fetch_all(self, statement: str, parameters: tuple[Any, ...]) -> list[Any]:
        return self._execute(statement, parameters).fetchall()

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    # The store protocol, on the event loop.

    async def _call(self, work: Callable[..., _T], *args: Any) -> _T:
        """``work(*args)`` on the worker thread, its errors ours, within the store's timeout."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                return await loop.run_in_executor(self._executor, functools.partial(work, *args))
        except TimeoutError:
            raise StoreUnavailable(self.address, f"no answer within {self.timeout} s") from None
        except sqlite3.Error as exc:
            raise _sqlite_error(self.address, exc) from exc

    async def load(self, key: str) -> dict[str, str] | None:
        return self._fields(await self._call(self._load, key, time.time()))

    async def save(
        self, key: str, changed: Mapping[str, str], removed: Collection[str], *, ttl: float
    ) -> None:
        now = time.time()
        await self._call(self._save, key, merge_patch(changed, removed), now + ttl, now, self._sweep_due())

    async def touch(self, key: str, *, ttl: float) -> None:
        now = time.time()
        await self._call(self._touch, key, now + ttl, now)

    async def touch_indexed(self, key: str, entry: IndexEntry, *, ttl: float) -> None:
        now = time.time()
        index = (entry.user_key, encode_value(dict(entry.info)), now + entry.ttl)
        await self._call(self._touch_indexed, key, index, now + ttl, now)

    async def delete(self, key: str) -> None:
        await self._call(self._execute, "delete", (key,))

    async def index_add(self, user_key: str, record_key: str, info: Mapping[str, Any], *, ttl: float) -> None:
        entry = (user_key, record_key, encode_value(dict(info)), time.time() + ttl)
        await self._call(self._execute, "index_add", entry)

    async def index_list(self, user_key: str) -> dict[str, dict[str, Any]]:
        rows = await self._call(self._fetch_all, "index_list", (user_key, time.time()))
        return {key: decode_value(self.address, info) for key, info in rows}

    async def index_remove(self, user_key: str, record_keys: Collection[str]) -> None:
        await self._call(self._execute, "index_remove", (user_key, encode_value(list(record_keys))))

    async def _sweep(self, limit: int) -> int:
        return await self._call(self._sweep_rows, time.time(), limit)

    async def health(self) -> list[NodeHealth]:
        return [await probe(self.address, functools.partial(self._call, self._fetch_all, "ping", ()))]

    async def aclose(self) -> None:
        """Close the file and stop the worker thread."""
        try:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close)
        finally:
            self._executor.shutdown(wait=False)

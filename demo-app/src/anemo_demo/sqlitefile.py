"""One SQLite file that the IOLoop reaches only through a worker thread of its own.

sqlite3 connections belong to the thread that made them, and a slow disk or a lock held by
another process must never stall the other requests of this one. The file is readable by its
owner only and in WAL mode, so several processes read while one writes.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["SQLiteFile"]

_T = TypeVar("_T")


def _make_private(path: Path) -> None:
    """Create ``path`` readable by its owner only (0600), or take a wider mode away from it."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o600)


class SQLiteFile:
    """The file at ``path``, given ``schema`` (SQL run once per connection) on first use."""

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = schema
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="anemo-demo-sqlite")
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _make_private(self.path)  # SQLite gives its -wal and -shm files the same mode
            connection = sqlite3.connect(self.path, timeout=5)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(self._schema)
            connection.commit()
            self._connection = connection
        return self._connection

    async def run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        """``work(connection)`` on the worker thread."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, lambda: work(self._connect()))

    async def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """The rows of one statement, run in a transaction of its own."""

        def execute(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
            with connection:
                return connection.execute(sql, args).fetchall()

        return await self.run(execute)

    def close(self) -> None:
        """Close the connection and stop the worker thread."""

        def close_connection() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        self._worker.submit(close_connection).result()
        self._worker.shutdown()

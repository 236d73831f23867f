"""Captcha challenges in a SQLite file, so that several processes of one machine share them.

The demo's default for ``--processes N`` with no server: a challenge shown by one process must
verify in another, exactly once. ``take`` is one ``DELETE ... RETURNING`` statement, so two
processes answering the same challenge at once cannot both get it. Every ``put`` deletes a few
expired rows, more than it adds, so abandoned challenges never pile up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .sqlitefile import SQLiteFile

__all__ = ["SQLiteChallengeStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS challenges (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL NOT NULL)
  WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS challenges_expires_at ON challenges (expires_at);
"""
#: Expired rows a put deletes at most: more than the one it adds.
_SWEEP = 4


class SQLiteChallengeStore:
    """An :class:`anemo.captcha.AsyncChallengeStore` in the SQLite file at ``path``."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        self._file = SQLiteFile(path, _SCHEMA)
        self._clock = clock

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        now = self._clock()
        await self._file.query(
            "DELETE FROM challenges WHERE key IN (SELECT key FROM challenges WHERE expires_at <= ? LIMIT ?)",
            now,
            _SWEEP,
        )
        await self._file.query(
            "INSERT INTO challenges VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = excluded.value, expires_at = excluded.expires_at",
            key,
            value,
            now + ttl,
        )

    async def get(self, key: str) -> bytes | None:
        rows = await self._file.query(
            "SELECT value FROM challenges WHERE key = ? AND expires_at > ?", key, self._clock()
        )
        return bytes(rows[0][0]) if rows else None

    async def take(self, key: str) -> bytes | None:
        rows = await self._file.query("DELETE FROM challenges WHERE key = ? RETURNING value, expires_at", key)
        return bytes(rows[0][0]) if rows and rows[0][1] > self._clock() else None

    async def add(self, key: str, value: bytes, ttl: float) -> bool:
        now = self._clock()
        rows = await self._file.query(
            "INSERT INTO challenges VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE "
            "SET value = excluded.value, expires_at = excluded.expires_at "
            "WHERE challenges.expires_at <= ? RETURNING 1",
            key,
            value,
            now + ttl,
            now,
        )
        return bool(rows)

    def close(self) -> None:
        self._file.close()

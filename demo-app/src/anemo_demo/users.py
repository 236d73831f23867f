"""Users in a SQLite file, never touched on the IOLoop's thread; passwords hashed with scrypt.

All database work runs on the file's own thread (:mod:`.sqlitefile`) and password hashing on a
small pool, so a slow disk or a deliberate hashing cost never stalls the other requests of the
process. The file holds password hashes and e-mail addresses: it is readable by its owner only.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .sqlitefile import SQLiteFile

__all__ = [
    "User",
    "SignInAlert",
    "UserStore",
    "UsernameTaken",
    "UnknownUser",
    "hash_password",
    "check_password",
]

#: scrypt cost: 16 MiB and about 50 ms here, OWASP's recommended minimum (N=2**14 is below it).
_N, _R, _P = 2**15, 8, 1
_MAX_MEMORY = 64 * 1024 * 1024

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL,
    password TEXT NOT NULL,
    display_name TEXT NOT NULL DEFAULT '',
    avatar TEXT,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sign_in_alerts (
    user_id INTEGER NOT NULL,
    device TEXT,
    ip TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sign_in_alerts_by_user ON sign_in_alerts (user_id, created);
"""
#: Sign-in alerts kept per user: the newest ones.
_ALERTS = 10


class UsernameTaken(Exception):
    """Registering a name somebody already has."""


class UnknownUser(LookupError):
    """No user has this id (the account was deleted while a session still named it)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    email: str
    display_name: str
    avatar: str | None


@dataclass(frozen=True)
class SignInAlert:
    """A sign-in on a browser new to the user: what the demo would have e-mailed them."""

    device: str | None
    ip: str | None
    created: float


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash``, all the parameters kept so they can be raised later."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, maxmem=_MAX_MEMORY)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``, compared in constant time."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), maxmem=_MAX_MEMORY
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, bytes.fromhex(digest))


#: Checked against when a username is unknown, so a login takes as long either way.
_DUMMY = hash_password(secrets.token_urlsafe(16))


class UserStore:
    """Registers and authenticates users in ``path``; every call is awaited off the IOLoop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = SQLiteFile(path, _SCHEMA)
        self._query = self._file.query
        self._hashing = ThreadPoolExecutor(2, thread_name_prefix="anemo-demo-scrypt")

    async def _hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._hashing, hash_password, password)

    async def register(self, username: str, email: str, password: str) -> User:
        """A new user; UsernameTaken if the name (compared case-insensitively) exists."""
        hashed = await self._hash(password)
        try:
            await self._query(
                "INSERT INTO users (username, email, password, created) VALUES (?, ?, ?, ?)",
                username,
                email,
                hashed,
                time.time(),
            )
        except sqlite3.IntegrityError:
            raise UsernameTaken(username) from None
        user = await self.by_name(username)
        assert user is not None
        return user

    async def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right; as slow for an unknown name as for a wrong password."""
        rows = await self._query("SELECT id, password FROM users WHERE username = ?", username)
        stored = rows[0][1] if rows else _DUMMY
        loop = asyncio.get_running_loop()
        right = await loop.run_in_executor(self._hashing, check_password, password, stored)
        if not rows or not right:
            return None
        return await self.get(rows[0][0])

    async def get(self, user_id: int) -> User | None:
        rows = await self._query(
            "SELECT id, username, email, display_name, avatar FROM users WHERE id = ?", user_id
        )
        return User(*rows[0]) if rows else None

    async def by_name(self, username: str) -> User | None:
        rows = await self._query(
            "SELECT id, username, email, display_name, avatar FROM users WHERE username = ?", username
        )
        return User(*rows[0]) if rows else None

    async def update_profile(self, user_id: int, *, display_name: str) -> None:
        """Set the user's display name (the avatar changes through :meth:`replace_avatar`)."""
        await self._query("UPDATE users SET display_name = ? WHERE id = ?", display_name, user_id)

    async def replace_avatar(self, user_id: int, avatar: str) -> str | None:
        """Point the user at a new avatar file; the one it replaces (None if none), to delete.

        Read and write are one transaction that holds the write lock from the start, so two
        uploads at once (even from two processes) each learn a different file to delete and no
        file is left behind. UnknownUser if there is no such user.
        """

        def swap(connection: sqlite3.Connection) -> str | None:
            with connection:
                connection.execute("BEGIN IMMEDIATE")
                row = connection.execute("SELECT avatar FROM users WHERE id = ?", (user_id,)).fetchone()
                if row is None:
                    raise UnknownUser(user_id)
                connection.execute("UPDATE users SET avatar = ? WHERE id = ?", (avatar, user_id))
            previous: str | None = row[0]
            return previous

        return await self._file.run(swap)

    async def add_sign_in_alert(self, user_id: int, device: str | None, ip: str | None) -> None:
        """Keep an alert of a sign-in on a new browser; only the newest few per user are kept."""

        def add(connection: sqlite3.Connection) -> None:
            with connection:
                connection.execute(
                    "INSERT INTO sign_in_alerts VALUES (?, ?, ?, ?)", (user_id, device, ip, time.time())
                )
                connection.execute(
                    "DELETE FROM sign_in_alerts WHERE user_id = ? AND rowid NOT IN (SELECT rowid FROM "
                    "sign_in_alerts WHERE user_id = ? ORDER BY created DESC LIMIT ?)",
                    (user_id, user_id, _ALERTS),
                )

        await self._file.run(add)

    async def sign_in_alerts(self, user_id: int) -> list[SignInAlert]:
        """The user's sign-in alerts, newest first."""
        rows = await self._query(
            "SELECT device, ip, created FROM sign_in_alerts WHERE user_id = ? ORDER BY created DESC", user_id
        )
        return [SignInAlert(*row) for row in rows]

    def close(self) -> None:
        self._file.close()
        self._hashing.shutdown()

"""SessionManager: cookies to loaded sessions, sessions to store writes and cookies.

A record in the store holds the session's keys as fields named ``d:KEY`` and the manager's own
fields ``m:created`` (Unix time), ``m:user`` and ``m:agent``. A record without a valid
``m:created`` is not a session (it may be what a late write left after a delete) and is never
adopted.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anemo.signedvalue import BadSignature, SecretKeys, Signer

from ._ids import IdHasher
from ._session import Session
from ._store import SessionStore, UserIndex
from .errors import InvalidOption, InvalidOptionType, NotSupported

__all__ = ["SessionManager", "CookieUpdate", "SessionInfo"]

log = logging.getLogger("anemo.sessions")

_DATA = "d:"
_CREATED = "m:created"
_USER = "m:user"
_AGENT = "m:agent"
#: Longest cookie value read at all; a genuine one is about 110 characters.
_MAX_COOKIE = 512


@dataclass(frozen=True)
class CookieUpdate:
    """What the response must do with the session cookie: set ``value`` for ``max_age`` s, or clear it."""

    name: str
    value: str | None
    max_age: int = 0


@dataclass(frozen=True)
class SessionInfo:
    """One of a user's live sessions, as ``sessions_of`` lists it (never its id)."""

    id_hash: str
    created_at: float
    last_seen: float
    user_agent: str | None


def _first_secret(secret_keys: SecretKeys) -> bytes:
    first = secret_keys if isinstance(secret_keys, str | bytes) else next(iter(secret_keys), b"")
    return first.encode() if isinstance(first, str) else bytes(first)


def _check_seconds(name: str, value: float, *, minimum: float = 0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidOptionType(f"{name} must be a number of seconds, not {value!r}")
    if not math.isfinite(value) or value <= minimum:
        raise InvalidOption(f"{name} must be more than {minimum} seconds, not {value!r}")
    return float(value)


class SessionManager:
    """Loads and saves sessions in ``store``, identified by a signed cookie.

    - ``secret_keys``: one secret or a list (the first signs, all verify); the cookie is signed
      with anemo-signedvalue under a key bound to sessions and to ``cookie_name``.
    - ``idle_timeout``: seconds without a request after which a session ends (sliding).
    - ``lifetime``: seconds after creation at which a session ends however active (never extended).
    - ``refresh_interval``: a read-only request slides the idle timeout (``store.touch``, cookie
      re-issued) only when the cookie is at least this old, so most requests cost one store
      round trip. Idle expiry is therefore exact to within this interval.

    Only ids this manager issued are ever used (strict mode): an unsigned, forged, expired or
    unknown id gives a new, empty session, whose id is created on its first save.
    """

    def __init__(
        self,
        store: SessionStore,
        secret_keys: SecretKeys,
        *,
        idle_timeout: float = 1800,
        lifetime: float = 86400,
        refresh_interval: float = 60,
        cookie_name: str = "session",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.idle_timeout = _check_seconds("idle_timeout", idle_timeout)
        self.lifetime = _check_seconds("lifetime", lifetime)
        self.refresh_interval = _check_seconds("refresh_interval", refresh_interval, minimum=-1)
        if self.refresh_interval >= self.idle_timeout:
            raise InvalidOption("refresh_interval must be shorter than idle_timeout")
        self.cookie_name = cookie_name
        self._clock = clock
        self._signer = Signer(secret_keys, salt=f"anemo.sessions.cookie:{cookie_name}", clock=clock)
        #: Names a session in logs and listings without revealing its id.
        self.id_hash = IdHasher(_first_secret(secret_keys))

    # Cookie -> session.

    def open(self, cookie_value: str | None) -> Session:
        """A session for this cookie value, not loaded yet (no store access here)."""
        if not cookie_value:
            return Session(None)
        if len(cookie_value) > _MAX_COOKIE:
            log.info("refused a session cookie of %d characters", len(cookie_value))
            return self._stale()
        try:
            raw, signed_at = self._signer.unsign_timestamped(cookie_value, max_age=self.idle_timeout)
            session_id = raw.decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            log.info("refused a session cookie that is not genuine or is past the idle timeout")
            return self._stale()
        return Session(session_id, cookie_signed_at=signed_at)

    @staticmethod
    def _stale() -> Session:
        session = Session(None)
        session.stale_cookie = True
        return session

    async def load(self, session: Session) -> Session:
        """Fill ``session`` from the store (once; a new session needs no store access)."""
        if session.loaded:
            return session
        if session.id is None:
            session.fill({}, created_at=self._clock(), user_id=None, user_agent=None)
            return session
        record = await self.store.load(session.id)
        now = self._clock()
        created = None if record is None else record.get(_CREATED)
        if record is None or isinstance(created, bool) or not isinstance(created, int | float):
            log.debug("session %s has no record: starting a new one", self.id_hash(session.id))
            return self._restart(session, now)
        if now - created >= self.lifetime:
            log.debug("session %s reached its lifetime: deleted", self.id_hash(session.id))
            await self.store.delete(session.id)
            return self._restart(session, now)
        data = {name[len(_DATA) :]: value for name, value in record.items() if name.startswith(_DATA)}
        user, agent = record.get(_USER), record.get(_AGENT)
        session.fill(
            data,
            created_at=float(created),
            user_id=user if isinstance(user, str) else None,
            user_agent=agent if isinstance(agent, str) else None,
        )
        return session

    def _restart(self, session: Session, now: float) -> Session:
        session.id = None
        session.stale_cookie = True
        session.fill({}, created_at=now, user_id=None, user_agent=None)
        return session

    # Session -> store and cookie.

    async def save(self, session: Session) -> CookieUpdate | None:
        """Write what changed; the cookie the response must carry, or ``None`` to leave it alone."""
        if not session.loaded:
            return None
        now = self._clock()
        cookie: CookieUpdate | None = None
        if session.invalidated_id is not None:
            await self._delete(session.invalidated_id, session.stored_user_id)
            session.stored_user_id = None
            session.invalidated_id = None
            log.debug("session ended")
            cookie = CookieUpdate(self.cookie_name, None)
        if session.id is None:
            if not session and not session.user_changed:
                if session.stale_cookie:
                    session.stale_cookie = False
                    return CookieUpdate(self.cookie_name, None)
                return cookie
            return await self._create(session, now)
        if session.regenerate_requested:
            return await self._regenerate(session, now)

        created = session.created_at if session.created_at is not None else now
        ttl = self._ttl(created, now)
        due = session.cookie_signed_at is None or now - session.cookie_signed_at >= self.refresh_interval
        changed, removed = session.changes()
        if changed or removed:
            await self.store.save(
                session.id,
                {_DATA + key: value for key, value in changed.items()},
                [_DATA + key for key in removed],
                ttl=ttl,
            )
            session.mark_saved(session.id, created)
        elif due:
            await self.store.touch(session.id, ttl=ttl)
        else:
            return None
        if not due:
            return None
        if session.user_id is not None:
            await self._index_add(session, now, ttl)
        session.cookie_signed_at = now
        return self._cookie(session.id, ttl)

    def _ttl(self, created: float, now: float) -> float:
        """Seconds the record may live from ``now``: the idle timeout, cut at the lifetime's end."""
        return max(1.0, min(self.idle_timeout, created + self.lifetime - now))

    def _cookie(self, session_id: str, ttl: float) -> CookieUpdate:
        value = self._signer.sign(session_id).decode("ascii")
        return CookieUpdate(self.cookie_name, value, max(1, int(ttl)))

    def _record(self, session: Session, created: float) -> dict[str, Any]:
        record: dict[str, Any] = {_DATA + key: value for key, value in session.everything().items()}
        record[_CREATED] = created
        if session.user_id is not None:
            record[_USER] = session.user_id
            if session.user_agent is not None:
                record[_AGENT] = session.user_agent
        return record

    async def _create(self, session: Session, now: float) -> CookieUpdate:
        session_id = self.store.new_id()
        ttl = self._ttl(now, now)
        await self.store.save(session_id, self._record(session, now), (), ttl=ttl)
        session.mark_saved(session_id, now)
        if session.user_id is not None:
            await self._index_add(session, now, ttl)
        session.cookie_signed_at = now
        log.debug("session %s created", self.id_hash(session_id))
        return self._cookie(session_id, ttl)

    async def _regenerate(self, session: Session, now: float) -> CookieUpdate:
        """New record first, old one deleted second: a failure leaves the old session as it was."""
        old_id = session.id
        assert old_id is not None
        created = session.created_at if session.created_at is not None else now
        if session.user_changed:
            created = now  # a login starts the absolute lifetime afresh
        new_id = self.store.new_id()
        ttl = self._ttl(created, now)
        await self.store.save(new_id, self._record(session, created), (), ttl=ttl)
        await self._delete(old_id, session.stored_user_id)
        session.mark_saved(new_id, created)
        if session.user_id is not None:
            await self._index_add(session, now, ttl)
        session.cookie_signed_at = now
        log.debug("session %s regenerated as %s", self.id_hash(old_id), self.id_hash(new_id))
        return self._cookie(new_id, ttl)

    async def _delete(self, session_id: str, user_id: str | None) -> None:
        """Delete a record and, when it names a user, that user's index entry of it."""
        await self.store.delete(session_id)
        if user_id is not None and isinstance(self.store, UserIndex):
            await self.store.index_remove(user_id, [session_id])

    async def _index_add(self, session: Session, now: float, ttl: float) -> None:
        if not isinstance(self.store, UserIndex):
            return
        assert session.id is not None
        assert session.user_id is not None
        info = {"created": session.created_at, "seen": now, "agent": session.user_agent}
        await self.store.index_add(session.user_id, session.id, info, ttl=self.lifetime)

    # A user's sessions.

    def _index(self, operation: str) -> UserIndex:
        if not isinstance(self.store, UserIndex):
            raise NotSupported(
                type(self.store).__name__,
                operation,
                "it keeps no per-user index (memcached cannot list or update a set atomically)",
            )
        return self.store

    async def sessions_of(self, user_id: str) -> list[SessionInfo]:
        """The user's live sessions, oldest first; entries whose session has ended are removed."""
        index = self._index("sessions_of")
        entries = await index.index_list(user_id)
        ids = list(entries)
        records = await asyncio.gather(*(self.store.load(sid) for sid in ids))
        now = self._clock()
        live: list[SessionInfo] = []
        stale: list[str] = []
        for session_id, record in zip(ids, records, strict=True):
            created = None if record is None else record.get(_CREATED)
            if (
                record is None
                or record.get(_USER) != user_id
                or not isinstance(created, int | float)
                or now - created >= self.lifetime
            ):
                stale.append(session_id)
                continue
            info = entries[session_id]
            seen = info.get("seen")
            agent = info.get("agent")
            live.append(
                SessionInfo(
                    self.id_hash(session_id),
                    float(created),
                    float(seen) if isinstance(seen, int | float) else float(created),
                    agent if isinstance(agent, str) else None,
                )
            )
        if stale:
            await index.index_remove(user_id, stale)
        return sorted(live, key=lambda info: info.created_at)

    async def invalidate_user(self, user_id: str, *, except_id: str | None = None) -> int:
        """End every session of the user but ``except_id`` ("sign out everywhere else"); how many ended."""
        index = self._index("invalidate_user")
        ended = [sid for sid in await index.index_list(user_id) if sid != except_id]
        await asyncio.gather(*(self.store.delete(sid) for sid in ended))
        if ended:
            await index.index_remove(user_id, ended)
        log.info("ended %d sessions of one user", len(ended))
        return len(ended)

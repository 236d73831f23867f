"""SessionManager: cookies to loaded sessions, and a session's planned save carried out.

The store never sees a session id: records live under a keyed hash of it (:class:`RecordKeys`),
and a user's index under a keyed hash of the user id. What a save does is decided by
:func:`~anemo.sessions._plan.plan_save`; :meth:`SessionManager.save` only executes the plan.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from anemo.signedvalue import BadSignature, SecretKeys, Signer

from ._devices import IPDetail, check_ip_detail, describe_agent, shown_ip
from ._ids import RecordKeys, log_name
from ._json import decode_value
from ._plan import Delete, Plan, Policy, Touch, Write, plan_save
from ._record import CREATED, PLAIN, Layout, read_record
from ._session import DEFAULT_MAX_SIZE, Changes, Claim, Loaded, Session
from ._store import IndexEntry, SessionStore, UserIndex, check_count
from .errors import InvalidOption, InvalidOptionType, NotSupported

__all__ = ["SessionManager", "CookieUpdate", "SessionInfo"]

log = logging.getLogger("anemo.sessions")

#: Longest cookie value read at all; a genuine one is about 110 characters.
_MAX_COOKIE = 512
#: How long the device cookie lasts (browsers cap cookies at 400 days), and how many users it names.
_DEVICE_MAX_AGE = 400 * 86400
_DEVICE_USERS = 8


@dataclass(frozen=True)
class CookieUpdate:
    """What the response must do with the session cookie: set ``value`` for ``max_age`` s, or clear it.

    ``max_age`` is ``None`` for a browser session: a cookie without Max-Age, dropped when the
    browser closes.
    """

    name: str
    value: str | None
    max_age: int | None = 0


@dataclass(frozen=True)
class SessionInfo:
    """One of a user's live sessions, as ``sessions_of`` lists it (never its id).

    ``ip`` is where it was last seen from, as the manager's ``ip_detail`` keeps it; ``device`` a
    readable summary of ``user_agent`` ("Firefox on Linux"), with the ``devices`` extra.
    """

    id_hash: str
    created_at: float
    last_seen: float
    user_agent: str | None
    ip: str | None = None
    device: str | None = None


def _secrets(secret_keys: SecretKeys) -> list[bytes]:
    listed = [secret_keys] if isinstance(secret_keys, str | bytes) else list(secret_keys)
    return [secret.encode() if isinstance(secret, str) else bytes(secret) for secret in listed]


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
    - ``idle_timeout``: seconds without a request after which a signed-in session ends (sliding).
    - ``anonymous_idle_timeout``: the same for sessions without a user (at most ``idle_timeout``):
      what anonymous visitors keep in a shared store is bounded by their rate times this.
    - ``lifetime``: seconds after creation at which a session ends however active (never extended).
    - ``browser_lifetime``: the same for a browser session, one signed in with
      ``set_user(..., remember=False)`` (at most ``lifetime``). Its cookie has no Max-Age, so the
      browser drops it on closing; browsers that restore their tabs keep it, so this bounds it.
    - ``refresh_interval``: a read-only request slides the idle timeout (``store.touch``, cookie
      re-issued) only when the cookie is at least this old, so most requests cost one store
      round trip. Idle expiry is therefore exact to within this interval.
    - ``max_size``: most characters of JSON a session's data may take; more raises
      :class:`~anemo.sessions.SessionTooLarge` and nothing is written.
    - ``ip_detail``: how much of the client's IP address a user's session list keeps:
      ``"prefix"`` (the default: its /24 or /48 network), ``"address"`` or ``"none"``.
    - ``encrypt``: seal new records with AES-GCM under a key derived from the id in the cookie
      (extra ``encrypt``); a dump of the store and the server's secret reveal no data.

    Only ids this manager issued are ever used (strict mode): an unsigned, forged, expired or
    unknown id gives a new, empty session, whose id is created on its first save.
    """

    def __init__(
        self,
        store: SessionStore,
        secret_keys: SecretKeys,
        *,
        idle_timeout: float = 1800,
        anonymous_idle_timeout: float = 900,
        lifetime: float = 86400,
        browser_lifetime: float = 12 * 3600,
        refresh_interval: float = 60,
        max_size: int = DEFAULT_MAX_SIZE,
        encrypt: bool = False,
        ip_detail: IPDetail = "prefix",
        cookie_name: str = "session",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(store, SessionStore):
            raise InvalidOptionType(f"store must be a SessionStore, not {type(store).__name__}")
        self.store = store
        idle = _check_seconds("idle_timeout", idle_timeout)
        anonymous = min(idle, _check_seconds("anonymous_idle_timeout", anonymous_idle_timeout))
        refresh = _check_seconds("refresh_interval", refresh_interval, minimum=-1)
        if refresh >= anonymous:
            raise InvalidOption(
                "refresh_interval must be shorter than idle_timeout and anonymous_idle_timeout"
            )
        whole = _check_seconds("lifetime", lifetime)
        self.policy = Policy(
            idle,
            anonymous,
            whole,
            refresh,
            check_count("max_size", max_size, 1),
            min(whole, _check_seconds("browser_lifetime", browser_lifetime)),
        )
        self.cookie_name = cookie_name
        self.device_cookie_name = f"{cookie_name}_device"
        self.encrypt = encrypt
        self.ip_detail = check_ip_detail(ip_detail)
        if encrypt:
            from . import _sealing  # noqa: F401, PLC0415 (fail now, naming the extra, not at the first save)
        self._clock = clock
        self._signer = Signer(secret_keys, salt=f"anemo.sessions.cookie:{cookie_name}", clock=clock)
        self._device_signer = Signer(secret_keys, salt=f"anemo.sessions.device:{cookie_name}", clock=clock)
        secrets = _secrets(secret_keys)
        self._keys = RecordKeys(secrets)
        self._user_secret = hmac.digest(secrets[0], b"anemo.sessions/user-key", hashlib.sha256)
        self._address = str(getattr(store, "address", type(store).__name__))

    # Cookie -> session.

    def open(self, cookie_value: str | None) -> Session:
        """A session for this cookie value, not loaded yet (no store access here)."""
        if not cookie_value:
            return Session()
        if len(cookie_value) > _MAX_COOKIE:
            log.info("refused a session cookie of %d characters", len(cookie_value))
            return Session(Claim(None, stale=True))
        try:
            raw, signed_at = self._signer.unsign_timestamped(cookie_value, max_age=self.policy.idle_timeout)
            session_id = raw.decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            log.info("refused a session cookie that is not genuine or is past the idle timeout")
            return Session(Claim(None, stale=True))
        return Session(Claim(session_id, signed_at))

    async def load(self, session: Session) -> Session:
        """Fill ``session`` from the store (once; a new session needs no store access)."""
        if session.loaded:
            return session
        claim, now = session.claim, self._clock()
        if claim.id is None:
            session.attach(
                Loaded(None, None, now, stale_cookie=claim.stale), {}, self.policy.max_size, self._address
            )
            return session
        found = await self._find(claim.id)
        record = (
            None if found is None else read_record(self._address, found[1], lambda: self._sealer(claim.id))
        )
        if found is None or record is None:
            log.debug("a session cookie named no record: starting a new session")
        elif now - record.created >= self.policy.lifetime_of(record.remember):
            log.debug("session %s reached its lifetime: deleted", log_name(found[0]))
            await self.store.delete(found[0])
        else:
            state = Loaded(
                claim.id,
                found[0],
                record.created,
                record.user,
                record.agent,
                claim.signed_at,
                sealed=record.sealed,
                remember=record.remember,
            )
            session.attach(state, record.texts, self.policy.max_size, self._address)
            return session
        session.attach(Loaded(None, None, now, stale_cookie=True), {}, self.policy.max_size, self._address)
        return session

    async def _find(self, session_id: str) -> tuple[str, dict[str, str]] | None:
        """The record key and fields of ``session_id``: under the first secret's key, then older ones'."""
        for which in range(len(self._keys)):
            key = self._keys.of(session_id, which)
            fields = await self.store.load(key)
            if fields:
                return key, fields
        return None

    def _sealer(self, session_id: str | None) -> Layout:
        from ._sealing import Sealer  # noqa: PLC0415 (cryptography is an optional extra)

        assert session_id is not None
        return Sealer(session_id, self._address)

    # Session -> store and cookie.

    async def save(self, session: Session) -> CookieUpdate | None:
        """Write what changed; the cookie the response must carry, or ``None`` to leave it alone.

        Raises :class:`~anemo.sessions.SessionTooLarge` before writing anything when the data is
        past ``max_size``, and what the store raises when a step fails (earlier steps stay done:
        a regenerate writes the new record before it deletes the old one).
        """
        steps = self.begin_save(session)
        return None if steps is None else await steps

    def begin_save(self, session: Session) -> Coroutine[Any, Any, CookieUpdate | None] | None:
        """:meth:`save` in two halves: plan now, and return what is left to await, if anything.

        ``None`` when the save needs neither the store nor a cookie (most read-only requests):
        the session is settled already. So a synchronous caller, such as Tornado's ``finish``,
        starts a task only when there is I/O to do. Raises what :meth:`save` raises before writing.
        """
        if not session.loaded:
            return None
        now = self._clock()
        changes = session.pending()
        plan = plan_save(session.state, changes, now, self.policy)
        if not plan.steps and plan.cookie == "keep":
            session.settle(session.state)
            return None
        return self._execute(session, changes, plan, now)

    async def _execute(
        self, session: Session, changes: Changes, plan: Plan, now: float
    ) -> CookieUpdate | None:
        """Carry out ``plan`` step by step, then settle the session on what the store now holds."""
        state = session.state
        user, agent, remember = changes.user_id, changes.user_agent, changes.remember
        session_id, key, sealed = state.id, state.key, state.sealed
        for step in plan.steps:
            if isinstance(step, Write) and step.key is not None:
                layout = self._sealer(session_id) if sealed else PLAIN
                fields, removed = layout.fields(step.written, step.removed)
                await self.store.save(step.key, fields, removed, ttl=step.ttl)
            elif isinstance(step, Write):
                session_id, sealed = self.store.new_id(), self.encrypt
                key = self._keys.of(session_id)
                layout = self._sealer(session_id) if sealed else PLAIN
                record = layout.record(step.written, plan.created, user, agent, remember)
                await self.store.save(key, record, (), ttl=step.ttl)
                log.debug("session %s created", log_name(key))
            elif isinstance(step, Touch) and step.indexed and user is not None:
                info = self._index_info(plan, now, agent, session.client_ip)
                entry = IndexEntry(self.user_key(user), info, self.policy.lifetime)
                await self.store.touch_indexed(step.key, entry, ttl=step.ttl)
            elif isinstance(step, Touch):
                await self.store.touch(step.key, ttl=step.ttl)
            else:
                await self._delete(step)
        if plan.cookie == "clear":
            session.settle(Loaded(None, None, now))
            return CookieUpdate(self.cookie_name, None)
        if plan.cookie == "keep":
            session.settle(state)
            return None
        assert session_id is not None
        assert key is not None
        settled = Loaded(session_id, key, plan.created, user, agent, now, sealed=sealed, remember=remember)
        session.settle(settled)
        if plan.add_to_index and user is not None and self.store.user_index is not None:
            info = self._index_info(plan, now, agent, session.client_ip)
            await self.store.user_index.index_add(self.user_key(user), key, info, ttl=self.policy.lifetime)
        value = self._signer.sign(session_id).decode("ascii")
        return CookieUpdate(self.cookie_name, value, max(1, int(plan.ttl)) if remember else None)

    def _index_info(self, plan: Plan, now: float, agent: str | None, ip: str | None) -> dict[str, object]:
        """What a user's index says of a session: created, last seen, user agent, from where."""
        return {"created": plan.created, "seen": now, "agent": agent, "ip": shown_ip(ip, self.ip_detail)}

    async def _delete(self, step: Delete) -> None:
        """Delete a record and, when it names a user, that user's index entry of it."""
        await self.store.delete(step.key)
        if step.user_id is not None and self.store.user_index is not None:
            await self.store.user_index.index_remove(self.user_key(step.user_id), [step.key])
        log.debug("session %s deleted", log_name(step.key))

    # A user's sessions.

    def user_key(self, user_id: str) -> str:
        """Where the store keeps the user's index: a keyed hash of ``user_id``, never the id itself."""
        raw = user_id.encode("utf-8", "surrogatepass")
        return hmac.digest(self._user_secret, raw, hashlib.sha256).hex()[:32]

    def _index(self, operation: str) -> UserIndex:
        if self.store.user_index is None:
            raise NotSupported(
                type(self.store).__name__,
                operation,
                "it keeps no per-user index (memcached cannot list or update a set atomically)",
            )
        return self.store.user_index

    async def sessions_of(self, user_id: str) -> list[SessionInfo]:
        """The user's live sessions, oldest first; entries whose session has ended are removed."""
        index, user_key = self._index("sessions_of"), self.user_key(user_id)
        entries = await index.index_list(user_key)
        keys = list(entries)
        records = await asyncio.gather(*(self.store.load(key) for key in keys))
        now = self._clock()
        live: list[SessionInfo] = []
        stale: list[str] = []
        for key, record in zip(keys, records, strict=True):
            created = _created(self._address, record)
            if created is None or now - created >= self.policy.lifetime:
                stale.append(key)
                continue
            seen, agent, ip = (entries[key].get(name) for name in ("seen", "agent", "ip"))
            agent = agent if isinstance(agent, str) else None
            live.append(
                SessionInfo(
                    log_name(key),
                    created,
                    float(seen) if isinstance(seen, int | float) else created,
                    agent,
                    ip if isinstance(ip, str) else None,
                    describe_agent(agent) if agent else None,
                )
            )
        if stale:
            await index.index_remove(user_key, stale)
        return sorted(live, key=lambda info: info.created_at)

    async def end_session(self, user_id: str, id_hash: str) -> bool:
        """End the one session of the user that ``sessions_of`` names ``id_hash`` ("sign out that
        device"); whether there was one. Another user's session is never touched."""
        index, user_key = self._index("end_session"), self.user_key(user_id)
        ended = [
            key for key in await index.index_list(user_key) if hmac.compare_digest(log_name(key), id_hash)
        ]
        for key in ended:
            await self.store.delete(key)
        if ended:
            await index.index_remove(user_key, ended)
            log.info("ended session %s of one user", id_hash)
        return bool(ended)

    def describe(self, session: Session) -> SessionInfo:
        """``session`` as ``sessions_of`` would list it, from what this request knows."""
        state = session.state
        agent = session.user_agent
        return SessionInfo(
            session.id_hash or "",
            state.created_at,
            state.cookie_signed_at or state.created_at,
            agent,
            shown_ip(session.client_ip, self.ip_detail),
            describe_agent(agent) if agent else None,
        )

    # Devices a user has signed in on.

    def is_known_device(self, device_cookie: str | None, user_id: str) -> bool:
        """Whether this browser's device cookie says ``user_id`` has signed in on it before."""
        return self._device_tag(user_id) in self._device_tags(device_cookie)

    def known_device_cookie(self, device_cookie: str | None, user_id: str) -> CookieUpdate:
        """The device cookie to set once ``user_id`` signed in: it remembers the browser's last
        few users (keyed hashes of them) for 400 days, the longest a browser keeps a cookie."""
        tags = [tag for tag in self._device_tags(device_cookie) if tag != self._device_tag(user_id)]
        tags = [*tags[-(_DEVICE_USERS - 1) :], self._device_tag(user_id)]
        value = self._device_signer.sign(",".join(tags)).decode("ascii")
        return CookieUpdate(self.device_cookie_name, value, _DEVICE_MAX_AGE)

    def _device_tag(self, user_id: str) -> str:
        return self.user_key(user_id)[:16]

    def _device_tags(self, device_cookie: str | None) -> list[str]:
        if not device_cookie or len(device_cookie) > _MAX_COOKIE:
            return []
        try:
            raw = self._device_signer.unsign(device_cookie, max_age=_DEVICE_MAX_AGE)
        except BadSignature:
            return []
        return raw.decode("ascii", "replace").split(",")

    async def invalidate_user(self, user_id: str, *, except_id: str | None = None) -> int:
        """End every session of the user but ``except_id`` ("sign out everywhere else"); how many ended."""
        index, user_key = self._index("invalidate_user"), self.user_key(user_id)
        kept = set(self._keys.every(except_id)) if except_id is not None else set()
        ended = [key for key in await index.index_list(user_key) if key not in kept]
        await asyncio.gather(*(self.store.delete(key) for key in ended))
        if ended:
            await index.index_remove(user_key, ended)
        log.info("ended %d sessions of one user", len(ended))
        return len(ended)


def _created(address: str, record: Mapping[str, str] | None) -> float | None:
    """A record's creation time, or ``None`` when it is gone or not a session."""
    created = None if record is None or CREATED not in record else decode_value(address, record[CREATED])
    return None if isinstance(created, bool) or not isinstance(created, int | float) else float(created)

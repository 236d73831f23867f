"""SessionManager on a MemoryStore with a settable clock: cookies, strict ids, timeouts, logs."""

from __future__ import annotations

import hashlib
import hmac
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.sessions import InvalidOption, MemoryStore, Session, SessionManager
from anemo.sessions._ids import RecordKeys
from anemo.signedvalue import Signer


def make(clock, **options) -> SessionManager:
    return SessionManager(MemoryStore(clock=clock), ["current secret", "old secret"], clock=clock, **options)


async def start(manager: SessionManager, **data: object) -> tuple[Session, str]:
    session = await manager.load(manager.open(None))
    session.update(data)
    update = await manager.save(session)
    assert update is not None
    assert update.value is not None
    return session, update.value


def test_new_untouched_session_costs_nothing_and_sets_no_cookie(clock, run) -> None:
    """A visitor who stores nothing gets no cookie and no record."""

    async def main() -> None:
        manager = make(clock)
        session = await manager.load(manager.open(None))
        assert session.get("anything") is None
        assert await manager.save(session) is None
        assert len(manager.store) == 0  # type: ignore[arg-type]

    run(main())


@given(cookie=st.text(max_size=600))
def test_forged_cookies_are_never_adopted(cookie: str) -> None:
    """Any cookie not signed by us opens a new session and asks for the cookie to be cleared."""
    manager = SessionManager(MemoryStore(), "secret")
    session = manager.open(cookie)
    assert session.id is None
    assert session.claim.stale == bool(cookie)


def test_a_planted_id_signed_with_another_key_or_purpose_is_refused(clock, run) -> None:
    """An attacker's own signature, or our key used for another purpose, does not make an id ours."""

    async def main() -> None:
        manager = make(clock)
        _, cookie = await start(manager, a=1)
        session_id = (await manager.load(manager.open(cookie))).id
        assert session_id is not None
        for signer in (
            Signer("attacker", salt="anemo.sessions.cookie:session", clock=clock),
            Signer("current secret", salt="anemo.sessions.cookie:other", clock=clock),
        ):
            assert manager.open(signer.sign(session_id).decode()).id is None

    run(main())


def test_old_secret_still_reads_cookies(clock, run) -> None:
    """After rotation (new secret in front) cookies signed with the old one still load."""

    async def main() -> None:
        old = SessionManager(MemoryStore(clock=clock), "old secret", clock=clock)
        _, cookie = await start(old, a=1)
        rotated = SessionManager(old.store, ["current secret", "old secret"], clock=clock)
        assert dict(await rotated.load(rotated.open(cookie))) == {"a": 1}

    run(main())


def _record_key(secret: bytes, session_id: str) -> str:
    """A record key as the layout defines it, computed without the package's code."""
    key = hmac.new(secret, b"anemo.sessions/record-key", hashlib.sha256).digest()
    return hmac.new(key, session_id.encode(), hashlib.sha256).hexdigest()


@given(st.text(st.characters(codec="ascii", exclude_characters="~"), min_size=1, max_size=60))
def test_record_keys_are_the_keyed_hash_under_every_secret(session_id: str) -> None:
    """Stores hold records under HMAC-SHA256(derived key, id), one per secret, route kept: a
    faster way of computing them must not move any existing record."""
    keys = RecordKeys([b"current secret", b"old secret"])
    for which, secret in enumerate((b"current secret", b"old secret")):
        assert keys.of(session_id, which) == _record_key(secret, session_id)
        routed = f"{session_id}~node-b"
        assert keys.of(routed, which) == f"{_record_key(secret, routed)}~node-b"
    assert keys.every(session_id) == [
        _record_key(b"current secret", session_id),
        _record_key(b"old secret", session_id),
    ]


def test_a_record_keyed_under_the_old_secret_is_found_after_rotation(clock, run) -> None:
    """The store is searched under each secret's key in turn."""

    async def main() -> None:
        old = SessionManager(MemoryStore(clock=clock), "old secret", clock=clock)
        session, cookie = await start(old, a=1)
        assert session.state.key == _record_key(b"old secret", session.state.id or "")
        rotated = SessionManager(old.store, ["current secret", "old secret"], clock=clock)
        loaded = await rotated.load(rotated.open(cookie))
        assert loaded.state.key == session.state.key
        assert dict(loaded) == {"a": 1}

    run(main())


def test_idle_timeout_ends_a_quiet_session(clock, run) -> None:
    """Past idle_timeout without a request the session is gone; activity keeps it alive."""

    async def main() -> None:
        manager = make(clock, idle_timeout=600, refresh_interval=60)
        _, cookie = await start(manager, a=1)
        for _ in range(10):  # active for 6000 s: each request slides the timeout
            clock.advance(599)
            session = await manager.load(manager.open(cookie))
            assert dict(session) == {"a": 1}
            update = await manager.save(session)
            assert update is not None  # the cookie is older than refresh_interval: re-issued
            assert update.value is not None
            cookie = update.value
        clock.advance(601)
        assert (await manager.load(manager.open(cookie))).is_new

    run(main())


def test_touch_happens_at_most_once_per_refresh_interval(clock, run) -> None:
    """Read-only requests inside the interval leave the cookie and the store's TTL alone."""

    async def main() -> None:
        manager = make(clock, idle_timeout=600, refresh_interval=60)
        _, cookie = await start(manager, a=1)
        clock.advance(30)
        session = await manager.load(manager.open(cookie))
        assert await manager.save(session) is None
        clock.advance(31)
        session = await manager.load(manager.open(cookie))
        assert await manager.save(session) is not None

    run(main())


def test_lifetime_is_absolute(clock, run) -> None:
    """However active, a session ends `lifetime` seconds after it was created."""

    async def main() -> None:
        manager = make(clock, idle_timeout=600, lifetime=1000, refresh_interval=60)
        _, cookie = await start(manager, a=1)
        clock.advance(500)
        session = await manager.load(manager.open(cookie))
        session["b"] = 2
        update = await manager.save(session)
        assert update is not None
        assert update.max_age == 500  # the cookie never outlives the lifetime
        assert update.value is not None
        clock.advance(499)
        assert dict(await manager.load(manager.open(update.value))) == {"a": 1, "b": 2}
        clock.advance(1)
        assert (await manager.load(manager.open(update.value))).is_new

    run(main())


def test_login_restarts_the_lifetime_and_the_id(clock, run) -> None:
    """set_user regenerates: a new id, the old one dead, the lifetime counted from the login."""

    async def main() -> None:
        manager = make(clock, idle_timeout=800, lifetime=1000)
        session, cookie = await start(manager, cart=[1])
        old_id = session.id
        clock.advance(700)
        session = await manager.load(manager.open(cookie))
        session.set_user("alice", keep=["cart"])
        update = await manager.save(session)
        assert update is not None
        assert update.value is not None
        assert session.id != old_id
        assert session.created_at == clock.now
        clock.advance(500)
        loaded = await manager.load(manager.open(update.value))
        assert loaded.user_id == "alice"
        assert loaded["cart"] == [1]

    run(main())


def test_record_without_creation_time_is_not_a_session(clock, run) -> None:
    """A partial record (a late write after a delete) is never adopted."""

    async def main() -> None:
        manager = make(clock)
        session, cookie = await start(manager, a=1)
        key = session.state.key
        assert key is not None
        await manager.store.delete(key)
        await manager.store.save(key, {"d:a": "2"}, (), ttl=60)  # what a late write leaves
        assert (await manager.load(manager.open(cookie))).is_new

    run(main())


def test_logs_name_sessions_by_hash_only(clock, run, caplog: pytest.LogCaptureFixture) -> None:
    """No log line carries a session id or a cookie, only the keyed hash."""

    async def main() -> None:
        manager = make(clock)
        session, cookie = await start(manager, a=1)
        session = await manager.load(manager.open(cookie))
        session.set_user("alice")
        await manager.save(session)
        session.invalidate()
        await manager.save(session)
        manager.open(cookie + "x")
        return cookie

    with caplog.at_level(logging.DEBUG, logger="anemo.sessions"):
        cookie = run(main())
    text = caplog.text
    assert "created" in text
    assert "deleted" in text
    assert cookie not in text
    assert all(len(word) < 40 for word in text.split())  # no 43-character id anywhere


def test_options_are_checked() -> None:
    """Nonsense timeouts are refused with the option's name."""
    store = MemoryStore()
    with pytest.raises(ValueError, match="idle_timeout"):
        SessionManager(store, "s", idle_timeout=0)
    with pytest.raises(ValueError, match="refresh_interval"):
        SessionManager(store, "s", idle_timeout=60, refresh_interval=60)
    with pytest.raises(ValueError, match="lifetime"):
        SessionManager(store, "s", lifetime=float("nan"))
    with pytest.raises(ValueError, match="secret"):
        SessionManager(store, [])


def test_begin_save_leaves_nothing_to_await_when_nothing_is_due(clock, run) -> None:
    """A read inside the refresh interval settles at once; a change, or a due refresh, is left to await."""

    async def main() -> None:
        manager = make(clock)
        _, cookie = await start(manager, n=1)
        reader = await manager.load(manager.open(cookie))
        assert reader["n"] == 1
        assert manager.begin_save(reader) is None
        writer = await manager.load(manager.open(cookie))
        writer["n"] = 2
        steps = manager.begin_save(writer)
        assert steps is not None
        assert await steps is None  # written; the cookie is not due yet
        clock.advance(manager.policy.refresh_interval)
        due = await manager.load(manager.open(cookie))
        steps = manager.begin_save(due)
        assert steps is not None
        update = await steps
        assert update is not None
        assert update.value is not None
        assert (await manager.load(manager.open(update.value)))["n"] == 2

    run(main())


async def sign_in(manager: SessionManager, *, remember: bool) -> tuple[Session, str, int | None]:
    session = await manager.load(manager.open(None))
    session.set_user("alice", remember=remember)
    update = await manager.save(session)
    assert update is not None
    assert update.value is not None
    return session, update.value, update.max_age


def test_a_browser_session_has_no_max_age_and_the_shorter_lifetime(clock, run) -> None:
    """remember=False: a cookie the browser drops on closing, and an end after browser_lifetime."""

    async def main() -> None:
        manager = make(clock, idle_timeout=600, lifetime=10_000, browser_lifetime=1000, refresh_interval=60)
        browser, browser_cookie, max_age = await sign_in(manager, remember=False)
        assert (browser.remember, max_age) == (False, None)
        remembered, remembered_cookie, remembered_max_age = await sign_in(manager, remember=True)
        assert (remembered.remember, remembered_max_age) == (True, 600)
        for _ in range(3):  # active every 300 s: each refresh re-issues the cookie, still without Max-Age
            clock.advance(300)
            session = await manager.load(manager.open(browser_cookie))
            assert (session.user_id, session.remember) == ("alice", False)
            update = await manager.save(session)
            assert update is not None
            assert update.value is not None
            assert update.max_age is None
            browser_cookie = update.value
            session = await manager.load(manager.open(remembered_cookie))
            update = await manager.save(session)
            assert update is not None
            assert update.value is not None
            remembered_cookie = update.value
        clock.advance(100)  # 1000 s after the login: the browser session ends, however active
        assert (await manager.load(manager.open(browser_cookie))).is_new
        assert (await manager.load(manager.open(remembered_cookie))).user_id == "alice"

    run(main())


def test_a_browser_session_stays_one_through_regenerate_and_ends_with_logout(clock, run) -> None:
    async def main() -> None:
        manager = make(clock, browser_lifetime=1000)
        session, cookie, _ = await sign_in(manager, remember=False)
        session = await manager.load(manager.open(cookie))
        session.regenerate()
        update = await manager.save(session)
        assert update is not None
        assert update.value is not None
        assert update.max_age is None
        session = await manager.load(manager.open(update.value))
        assert session.remember is False
        session.invalidate()
        assert session.remember is True
        session["cart"] = [1]  # a new anonymous session: a persistent cookie again
        update = await manager.save(session)
        assert update is not None
        assert isinstance(update.max_age, int)

    run(main())


def test_browser_lifetime_is_checked_and_never_past_lifetime(clock) -> None:
    assert make(clock, lifetime=100, browser_lifetime=500).policy.browser_lifetime == 100
    with pytest.raises(InvalidOption, match="browser_lifetime"):
        make(clock, browser_lifetime=0)


def test_a_sealed_browser_session_opens_and_stays_one(clock, run) -> None:
    """m:remember stays readable beside the sealed fields, as m:created does."""

    async def main() -> None:
        manager = make(clock, encrypt=True)
        _, cookie, max_age = await sign_in(manager, remember=False)
        assert max_age is None
        session = await manager.load(manager.open(cookie))
        assert (session.user_id, session.remember) == ("alice", False)

    run(main())

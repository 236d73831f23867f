"""The Tornado mixin over real HTTP: save before send, cookie flags, login, 503 on a dead store."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.template
import tornado.web

from anemo.sessions import (
    MemoryStore,
    RedisStore,
    SessionManager,
    SessionStore,
    ShardedStore,
    StoreBase,
    StoreUnavailable,
    WriteConflict,
)
from anemo.sessions.testing import force_login
from anemo.sessions.tornado import SessionMixin, session_manager
from anemo_testing import NotRedisServer, RedisServer, Servers


class Counter(SessionMixin, tornado.web.RequestHandler):
    def get(self) -> None:
        self.write({"count": self.session.get("count", 0), "user": self.current_user})

    def post(self) -> None:
        self.session["count"] = self.session.get("count", 0) + 1
        self.redirect("/count")


class Login(SessionMixin, tornado.web.RequestHandler):
    def post(self) -> None:
        self.session.set_user(
            self.get_argument("user"),
            user_agent=self.request.headers.get("User-Agent"),
            remember=self.get_argument("remember", "yes") == "yes",
        )
        self.redirect("/private")


class Save(SessionMixin, tornado.web.RequestHandler):
    def post(self) -> None:
        self.flash(f"saved {self.get_argument('name')}", "success")
        self.redirect("/page")


class Page(SessionMixin, tornado.web.RequestHandler):
    def get(self) -> None:
        self.render("page.html")


class Logout(SessionMixin, tornado.web.RequestHandler):
    def post(self) -> None:
        self.session.invalidate()
        self.write("bye")


class Private(SessionMixin, tornado.web.RequestHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        self.write(f"hello {self.current_user}")


class Plain(SessionMixin, tornado.web.RequestHandler):
    session_autoload = False

    def get(self) -> None:
        self.write("no session needed")


def make_app(store: SessionStore | str, **settings: Any) -> tornado.web.Application:
    return tornado.web.Application(
        [
            ("/count", Counter),
            ("/login", Login),
            ("/logout", Logout),
            ("/private", Private),
            ("/plain", Plain),
            ("/save", Save),
            ("/page", Page),
        ],
        # Tornado caches a handler's loader by template_path: a path of its own keeps this one apart.
        template_path="test_tornado templates",
        template_loader=tornado.template.DictLoader(
            {"page.html": "{% for f in flashes() %}<p class={{ f.category }}>{{ f.message }}</p>{% end %}"}
        ),
        cookie_secret="tornado test secret",
        login_url="/login",
        session_store=store,
        **settings,
    )


class Browser:
    """Keeps cookies between requests, as a browser does, and never follows redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = tornado.httpclient.AsyncHTTPClient(force_instance=True)
        self.cookies: dict[str, str] = {}
        self.last: SimpleCookie = SimpleCookie()

    async def fetch(self, path: str, method: str = "GET", body: str | None = None, **headers: str) -> Any:
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST" and body is None:
            body = ""
        response = await self.client.fetch(
            self.base + path,
            method=method,
            body=body,
            headers=headers,
            follow_redirects=False,
            raise_error=False,
        )
        self.last = SimpleCookie()
        for header in response.headers.get_list("Set-Cookie"):
            self.last.load(header)
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response


@contextlib.asynccontextmanager
async def serve(app: tornado.web.Application) -> AsyncIterator[Browser]:
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    browser = Browser(f"http://127.0.0.1:{sockets[0].getsockname()[1]}")
    try:
        yield browser
    finally:
        browser.client.close()
        server.stop()
        await server.close_all_connections()
        await session_manager(app).store.aclose()


def test_post_redirect_get_sees_the_change(run) -> None:
    """The session is saved before the redirect goes out: the very next GET sees it."""

    async def main() -> None:
        async with serve(make_app(MemoryStore())) as browser:
            for expected in (1, 2, 3):
                response = await browser.fetch("/count", "POST")
                assert response.code == 302
                response = await browser.fetch("/count")
                assert json.loads(response.body)["count"] == expected

    run(main())


def test_cookie_is_httponly_lax_and_only_set_when_needed(run) -> None:
    async def main() -> None:
        async with serve(make_app(MemoryStore())) as browser:
            await browser.fetch("/count")
            assert browser.cookies == {}  # nothing stored: no cookie
            await browser.fetch("/count", "POST")
            morsel = browser.last["session"]
            assert morsel["httponly"] is True
            assert morsel["samesite"] == "Lax"
            assert not morsel["secure"]
            assert morsel["path"] == "/"
            assert int(morsel["max-age"]) == 900  # anonymous: the shorter idle timeout
            await browser.fetch("/login", "POST", body="user=ann")
            assert int(browser.last["session"]["max-age"]) == 1800  # signed in: the idle timeout
            await browser.fetch("/count")
            assert "session" not in browser.last  # a read inside the refresh interval sets nothing

    run(main())


def test_a_flash_message_survives_the_redirect_and_shows_once(run) -> None:
    async def main() -> None:
        async with serve(make_app(MemoryStore())) as browser:
            assert (await browser.fetch("/save", "POST", body="name=<b>draft</b>")).code == 302
            page = (await browser.fetch("/page")).body.decode()
            assert page == "<p class=success>saved &lt;b&gt;draft&lt;/b&gt;</p>"  # escaped as any value
            assert (await browser.fetch("/page")).body == b""

    run(main())


def test_without_remember_me_the_cookie_has_no_max_age(run) -> None:
    """A browser session's cookie has neither Max-Age nor Expires: the browser drops it on closing."""

    async def main() -> None:
        async with serve(make_app(MemoryStore())) as browser:
            await browser.fetch("/login", "POST", body="user=ann&remember=no")
            morsel = browser.last["session"]
            assert morsel.value
            assert (morsel["max-age"], morsel["expires"]) == ("", "")
            assert morsel["httponly"] is True
            assert (await browser.fetch("/private")).body == b"hello ann"
            await browser.fetch("/login", "POST", body="user=ann&remember=yes")
            assert int(browser.last["session"]["max-age"]) == 1800

    run(main())


def test_force_login_gives_a_signed_in_cookie_without_the_form(run) -> None:
    async def main() -> None:
        app = make_app(MemoryStore())
        async with serve(app) as browser:
            cookie = await force_login(app, "grace", data={"count": 41}, user_agent="test client")
            assert cookie.name == "session"
            assert cookie.value is not None
            browser.cookies[cookie.name] = cookie.value
            assert (await browser.fetch("/private")).body == b"hello grace"
            assert json.loads((await browser.fetch("/count")).body) == {"count": 41, "user": "grace"}
            manager = session_manager(app)
            assert [info.user_agent for info in await manager.sessions_of("grace")] == ["test client"]
            other = await force_login(manager, "grace", remember=False)
            assert other.max_age is None
            assert len(await manager.sessions_of("grace")) == 2

    run(main())


FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_a_new_device_is_announced_once_and_each_device_can_be_signed_out(
    run, caplog: pytest.LogCaptureFixture
) -> None:
    """The hook runs on a browser's first sign-in as a user, not again; one session ends by its id_hash."""
    seen: list[tuple[str | None, Any]] = []

    async def on_new_device(handler: SessionMixin, info: Any) -> None:
        await asyncio.sleep(0)  # an awaitable hook is awaited
        seen.append((handler.current_user, info))

    async def main() -> None:
        app = make_app(MemoryStore(), session_on_new_device=on_new_device)
        async with serve(app) as laptop, serve(app) as phone:
            await laptop.fetch("/login", "POST", body="user=ann", **{"User-Agent": FIREFOX})
            assert "session_device" in laptop.cookies
            [(user, info)] = seen
            assert (user, info.device, info.ip) == ("ann", "Firefox on Linux", "127.0.0.0/24")
            await laptop.fetch("/logout", "POST")
            await laptop.fetch("/login", "POST", body="user=ann", **{"User-Agent": FIREFOX})
            assert len(seen) == 1  # the same browser again: known
            await phone.fetch("/login", "POST", body="user=ann", **{"User-Agent": IPHONE})
            assert [info.device for _, info in seen] == ["Firefox on Linux", "Mobile Safari on iOS (iPhone)"]

            manager = session_manager(app)
            listed = {info.device: info for info in await manager.sessions_of("ann")}
            assert set(listed) == {"Firefox on Linux", "Mobile Safari on iOS (iPhone)"}
            assert listed["Mobile Safari on iOS (iPhone)"].id_hash == seen[1][1].id_hash
            assert not await manager.end_session("bob", seen[1][1].id_hash)  # not bob's session
            assert (await phone.fetch("/private")).body == b"hello ann"
            assert await manager.end_session("ann", seen[1][1].id_hash)
            assert (await phone.fetch("/private")).code == 302  # that device is signed out
            assert (await laptop.fetch("/private")).body == b"hello ann"  # the other one is not

    run(main())


def test_a_failing_new_device_hook_does_not_undo_the_sign_in(run, caplog: pytest.LogCaptureFixture) -> None:
    def on_new_device(handler: SessionMixin, info: Any) -> None:
        raise RuntimeError("the mail server is down")

    async def main() -> None:
        async with serve(make_app(MemoryStore(), session_on_new_device=on_new_device)) as browser:
            assert (await browser.fetch("/login", "POST", body="user=ann")).code == 302
            assert (await browser.fetch("/private")).body == b"hello ann"

    with caplog.at_level(logging.ERROR, logger="anemo.sessions"):
        run(main())
    assert "session_on_new_device failed" in caplog.text


@pytest.mark.parametrize(
    ("detail", "shown"), [("address", "127.0.0.1"), ("prefix", "127.0.0.0/24"), ("none", None)]
)
def test_the_session_list_keeps_as_much_of_the_ip_as_asked(detail: str, shown: str | None, run) -> None:
    async def main() -> None:
        app = make_app(MemoryStore(), session_ip_detail=detail)
        async with serve(app) as browser:
            await browser.fetch("/login", "POST", body="user=ann")
            [info] = await session_manager(app).sessions_of("ann")
            assert info.ip == shown

    run(main())


def test_login_regenerates_and_authenticated_works(run) -> None:
    async def main() -> None:
        async with serve(make_app(MemoryStore())) as browser:
            response = await browser.fetch("/private")
            assert response.code == 302
            assert response.headers["Location"].startswith("/login")
            await browser.fetch("/count", "POST")
            anonymous = browser.cookies["session"]
            await browser.fetch("/login", "POST", body="user=alice")
            assert browser.cookies["session"] != anonymous
            response = await browser.fetch("/private")
            assert response.body == b"hello alice"
            # what the anonymous visitor stored did not survive the login (Login keeps nothing)
            assert json.loads((await browser.fetch("/count")).body) == {"count": 0, "user": "alice"}

            replay = Browser(browser.base)
            replay.cookies = {"session": anonymous}  # the pre-login cookie is dead
            assert json.loads((await replay.fetch("/count")).body)["count"] == 0
            replay.client.close()

            logged_in = browser.cookies["session"]
            await browser.fetch("/logout", "POST")
            assert "session" not in browser.cookies
            replay = Browser(browser.base)
            replay.cookies = {"session": logged_in}
            assert (await replay.fetch("/private")).code == 302
            replay.client.close()

    run(main())


def test_forged_cookie_gets_a_fresh_session(run) -> None:
    async def main() -> None:
        async with serve(make_app(MemoryStore())) as browser:
            browser.cookies = {"session": "forged-value"}
            response = await browser.fetch("/count")
            assert response.code == 200
            assert json.loads(response.body)["count"] == 0
            assert browser.last["session"].value == ""  # told to drop it
            assert browser.last["session"]["expires"]

    run(main())


def test_dead_store_is_a_fast_503_without_traceback(
    servers: Servers, run, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis killed: HTML or JSON 503 within a second, one log line; back to 200 when it returns."""
    server = servers.redis()

    async def main() -> None:
        async with serve(make_app(server.url)) as browser:
            await browser.fetch("/count", "POST")
            server.execute("SAVE")  # so the restarted server has the session back
            server.kill()
            for accept in ("text/html", "application/json"):
                started = time.monotonic()
                response = await browser.fetch("/count", Accept=accept)
                assert time.monotonic() - started < 1.0
                assert response.code == 503
                assert b"Traceback" not in response.body
                if accept == "application/json":
                    assert json.loads(response.body)["error"] == "service unavailable"
                else:
                    assert b"Service unavailable" in response.body
            response = await browser.fetch("/plain")  # handlers that do not load are unaffected
            assert response.code == 200
            server.start()
            response = await browser.fetch("/count")
            assert response.code == 200
            assert json.loads(response.body)["count"] == 1

    with caplog.at_level(logging.WARNING):
        run(main())
    unavailable = [r for r in caplog.records if r.name == "anemo.sessions"]
    assert len(unavailable) == 2
    assert all(r.exc_info is None for r in caplog.records)


def test_store_dying_before_the_save_gives_503(servers: Servers, run) -> None:
    """A save that fails after the handler ran still answers 503, not 302 with a lost write."""
    server = servers.redis()

    class KillThenWrite(SessionMixin, tornado.web.RequestHandler):
        def post(self) -> None:
            server.kill()
            self.session["lost"] = True
            self.redirect("/count")

    async def main() -> None:
        app = make_app(server.url)
        app.add_handlers(".*", [("/kill", KillThenWrite)])
        async with serve(app) as browser:
            response = await browser.fetch("/kill", "POST")
            assert response.code == 503

    run(main())


class Forgiving(Counter):
    """A page that can serve a visitor whose stored session cannot be read."""

    async def prepare(self) -> None:
        try:
            await super().prepare()
        except StoreUnavailable:
            await self.start_new_session()


def test_a_page_can_start_anew_when_the_session_cannot_be_read(servers: Servers, run) -> None:
    """Its shard down, the visitor gets a new session on the live one; the cookie is replaced
    only once the new session is written."""
    dead, alive = servers.redis(), servers.redis()

    async def main() -> None:
        store = ShardedStore({"dead": RedisStore.from_url(dead.url), "alive": RedisStore.from_url(alive.url)})
        app = make_app(store)
        app.add_handlers(".*", [("/forgiving", Forgiving)])
        async with serve(app) as browser:
            manager = session_manager(app)
            for _ in range(50):  # a session on the node that will die
                browser.cookies.clear()
                await browser.fetch("/count", "POST")
                if store.node_of(manager.open(browser.cookies["session"]).claim.id or "") == "dead":
                    break
            else:
                raise AssertionError("50 new sessions and none on the first node")
            old_cookie = browser.cookies["session"]
            dead.kill()
            assert (await browser.fetch("/count")).code == 503  # a page that needs it says so
            response = await browser.fetch("/forgiving")
            assert response.code == 200
            assert json.loads(response.body)["count"] == 0
            assert browser.cookies["session"] == old_cookie  # nothing written: the cookie stays
            await browser.fetch("/forgiving", "POST")
            assert browser.cookies["session"] != old_cookie
            assert (await browser.fetch("/count")).code == 200  # the new session lives on "alive"

    run(main())


class Untouched(SessionMixin, tornado.web.RequestHandler):
    """Loads the session (autoload) but never reads it."""

    def get(self) -> None:
        self.set_header("Cache-Control", "public, max-age=600")
        self.write("the same for everyone")


class PublicCount(Counter):
    """A page that asks shared caches to keep it, yet reads the session."""

    def get(self) -> None:
        self.set_header("Cache-Control", "public, max-age=600")
        super().get()


class ForgetfulPrepare(SessionMixin, tornado.web.RequestHandler):
    def prepare(self) -> None:  # does not call super().prepare()
        pass

    def get(self) -> None:
        self.write({"count": self.session.get("count", 0)})


def cache_headers(response: Any) -> tuple[set[str], set[str]]:
    """The response's Vary members and Cache-Control directives, lower-cased."""
    vary = {v.strip().lower() for line in response.headers.get_list("Vary") for v in line.split(",")}
    control = {d.strip().lower() for d in response.headers.get("Cache-Control", "").split(",") if d.strip()}
    return vary - {""}, control


def test_session_responses_stay_out_of_shared_caches(run) -> None:
    """Vary: Cookie when the session was used; private when its cookie is set; no-store signed in."""

    async def main() -> None:
        app = make_app(MemoryStore())
        app.add_handlers(".*", [("/public", PublicCount), ("/untouched", Untouched)])
        app.settings["session_refresh_interval"] = 2  # cookies carry whole seconds
        async with serve(app) as browser:
            response = await browser.fetch("/count", "POST")  # sets the cookie
            vary, control = cache_headers(response)
            assert "cookie" in vary
            assert "private" in control
            assert "no-store" not in control

            await asyncio.sleep(2.1)  # the cookie is due a refresh on the next read-only GET
            response = await browser.fetch("/public")
            assert "session" in browser.last  # the periodic refresh sets it again
            vary, control = cache_headers(response)
            assert "cookie" in vary
            assert "private" in control
            assert "public" not in control
            assert "max-age=600" in control

            response = await browser.fetch("/public")  # inside the interval: no Set-Cookie
            assert "session" not in browser.last
            vary, control = cache_headers(response)
            assert "cookie" in vary
            assert "public" in control  # the handler's own choice stands: Vary keys it by cookie

            await browser.fetch("/login", "POST", body="user=alice")
            for path in ("/count", "/public"):
                vary, control = cache_headers(await browser.fetch(path))
                assert "cookie" in vary
                assert {"private", "no-store"} <= control
                assert "public" not in control

            for path in ("/plain", "/untouched"):
                vary, control = cache_headers(await browser.fetch(path))
                assert "cookie" not in vary
                assert "private" not in control
                assert "no-store" not in control

    run(main())


class ExplodingStore(StoreBase):
    """A third-party store whose saves fail with an error of its own choosing."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.inner = MemoryStore()

    async def load(self, key: str) -> dict[str, str] | None:
        return await self.inner.load(key)

    async def save(self, key: str, changed: Any, removed: Any, *, ttl: float) -> None:
        raise self.error

    async def touch(self, key: str, *, ttl: float) -> None:
        raise self.error

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def health(self) -> list[Any]:
        return []


def test_every_save_failure_is_an_answer_never_a_hang(
    redis_server: RedisServer, not_redis: NotRedisServer, run, caplog: pytest.LogCaptureFixture
) -> None:
    """A full Redis, a port that is not Redis, a write conflict, a store's own bug: a 500, logged."""
    redis_server.execute("CONFIG", "SET", "maxmemory-policy", "noeviction")
    redis_server.execute("CONFIG", "SET", "maxmemory", "1")
    stores: list[tuple[SessionStore | str, str]] = [
        (redis_server.url, "maxmemory"),
        (not_redis.url, "(?i)protocol error"),
        (ExplodingStore(WriteConflict("memcached", "record changed under 10 saves")), "10 saves"),
        (ExplodingStore(RuntimeError("a bug in someone's store")), "a bug in someone's store"),
    ]

    async def main() -> None:
        for store, reason in stores:
            caplog.clear()
            async with serve(make_app(store)) as browser:
                response = await browser.client.fetch(
                    browser.base + "/count", method="POST", body="", raise_error=False, request_timeout=5
                )
                assert response.code == 500, reason
                assert b"Traceback" not in response.body
                assert "session" not in response.headers.get("Set-Cookie", "")
                logged = [r for r in caplog.records if r.exc_info is not None]
                assert len(logged) == 1
                assert re.search(reason, str(logged[0].exc_info[1]))

    with caplog.at_level(logging.ERROR):
        run(main())
    assert "Task exception was never retrieved" not in caplog.text


def test_a_save_time_503_says_why(servers: Servers, run, caplog: pytest.LogCaptureFixture) -> None:
    """A store that dies between the handler and the save: 503 with Retry-After, and the reason logged."""
    server = servers.redis()

    class KillThenWrite(SessionMixin, tornado.web.RequestHandler):
        def post(self) -> None:
            server.kill()
            self.session["lost"] = True
            self.redirect("/count")

    async def main() -> None:
        app = make_app(server.url)
        app.add_handlers(".*", [("/kill", KillThenWrite)])
        async with serve(app) as browser:
            response = await browser.fetch("/kill", "POST")
            assert response.code == 503
            assert response.headers["Retry-After"] == "5"

    with caplog.at_level(logging.WARNING, logger="anemo.sessions"):
        run(main())
    expected = rf"POST /kill: 503, session store 127\.0\.0\.1:{server.port}: ConnectionError"
    assert re.search(expected, caplog.text)


def test_session_too_large_is_refused_and_nothing_is_written(run) -> None:
    """A save past max_size is a 500 that names the limit in the log; the stored session is unchanged."""

    class Grow(SessionMixin, tornado.web.RequestHandler):
        def post(self) -> None:
            self.session.setdefault("rows", [])
            self.session["count"] = 1
            self.session["rows"].extend(["x" * 100] * int(self.get_argument("n")))  # in place: seen at save
            self.write("ok")

    async def main() -> None:
        app = make_app(MemoryStore())
        app.add_handlers(".*", [("/grow", Grow)])
        app.settings["session_max_size"] = 2000
        async with serve(app) as browser:
            assert (await browser.fetch("/grow", "POST", body="n=1")).code == 200
            assert (await browser.fetch("/grow", "POST", body="n=100")).code == 500
            manager = session_manager(app)
            session = await manager.load(manager.open(browser.cookies["session"]))
            assert len(session["rows"]) == 1

    run(main())


def test_a_forgotten_super_prepare_is_named(run, caplog: pytest.LogCaptureFixture) -> None:
    """Not a bare AttributeError: the error says prepare() must call super().prepare()."""

    async def main() -> None:
        app = make_app(MemoryStore())
        app.add_handlers(".*", [("/forgetful", ForgetfulPrepare)])
        async with serve(app) as browser:
            assert (await browser.fetch("/forgetful")).code == 500

    with caplog.at_level(logging.ERROR):
        run(main())
    assert "must call `await super().prepare()`" in caplog.text


def test_settings_reach_the_manager() -> None:
    """Each session_* setting is the SessionManager option of that name."""
    app = tornado.web.Application(
        cookie_secret="s", session_anonymous_idle_timeout=120, session_max_size=5000, session_idle_timeout=600
    )
    manager = session_manager(app)
    assert isinstance(manager, SessionManager)
    assert (manager.policy.anonymous_idle_timeout, manager.policy.max_size) == (120, 5000)
    assert manager.policy.idle_timeout == 600

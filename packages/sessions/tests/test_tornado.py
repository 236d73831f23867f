"""The Tornado mixin over real HTTP: save before send, cookie flags, login, 503 on a dead store."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from http.cookies import SimpleCookie
from typing import Any

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web

from anemo.sessions import MemoryStore, SessionStore
from anemo.sessions.tornado import SessionMixin, session_manager
from anemo_testing import Servers


class Counter(SessionMixin, tornado.web.RequestHandler):
    def get(self) -> None:
        self.write({"count": self.session.get("count", 0), "user": self.current_user})

    def post(self) -> None:
        self.session["count"] = self.session.get("count", 0) + 1
        self.redirect("/count")


class Login(SessionMixin, tornado.web.RequestHandler):
    def post(self) -> None:
        self.session.set_user(self.get_argument("user"), user_agent=self.request.headers.get("User-Agent"))
        self.redirect("/private")


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


def make_app(store: SessionStore | str) -> tornado.web.Application:
    return tornado.web.Application(
        [
            ("/count", Counter),
            ("/login", Login),
            ("/logout", Logout),
            ("/private", Private),
            ("/plain", Plain),
        ],
        cookie_secret="tornado test secret",
        login_url="/login",
        session_store=store,
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
            assert int(morsel["max-age"]) == 1800
            await browser.fetch("/count")
            assert "session" not in browser.last  # a read inside the refresh interval sets nothing

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
            assert json.loads((await browser.fetch("/count")).body) == {"count": 1, "user": "alice"}

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

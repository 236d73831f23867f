"""CSRF tokens bound to the session (``session_xsrf``), over real HTTP, and the token format itself."""

from __future__ import annotations

import base64
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.template
import tornado.web
from hypothesis import example, given
from hypothesis import strategies as st

from anemo.sessions import InvalidOption, MemoryStore
from anemo.sessions._xsrf import is_token, mask, matches, new_token
from anemo.sessions.tornado import SessionMixin, session_manager

TOKEN_FIELD = re.compile(r'name="_xsrf" value="([^"]*)"')
FORM = '<form method="post" action="/form">{% module xsrf_form_html() %}<button>Go</button></form>'


class Form(SessionMixin, tornado.web.RequestHandler):
    def get(self) -> None:
        self.render("form.html")

    def post(self) -> None:
        self.session["posts"] = self.session.get("posts", 0) + 1
        self.write(f"posted {self.session['posts']}")

    def delete(self) -> None:
        self.write("deleted")


class Token(SessionMixin, tornado.web.RequestHandler):
    """What a page hands its scripts for the ``X-XSRFToken`` header."""

    def get(self) -> None:
        self.write(self.xsrf_token)


class Login(SessionMixin, tornado.web.RequestHandler):
    def post(self) -> None:
        self.session.set_user(self.get_body_argument("user"))
        self.redirect("/form")


class Logout(SessionMixin, tornado.web.RequestHandler):
    def post(self) -> None:
        self.session.invalidate()
        self.write("bye")


class Lazy(SessionMixin, tornado.web.RequestHandler):
    session_autoload = False

    def post(self) -> None:
        self.write("lazy ok")


def make_app(**settings: Any) -> tornado.web.Application:
    settings.setdefault("session_xsrf", True)
    return tornado.web.Application(
        [("/form", Form), ("/token", Token), ("/login", Login), ("/logout", Logout), ("/lazy", Lazy)],
        cookie_secret="xsrf test secret",
        session_store=MemoryStore(),
        template_loader=tornado.template.DictLoader({"form.html": FORM}),
        **settings,
    )


class Browser:
    """Keeps cookies between requests, as a browser does; never follows redirects."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.client = tornado.httpclient.AsyncHTTPClient(force_instance=True)
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []

    async def fetch(
        self,
        path: str,
        method: str = "GET",
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tornado.httpclient.HTTPResponse:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form or {}) if method in ("POST", "PUT", "DELETE") else None
        response = await self.client.fetch(
            self.base + path,
            method=method,
            body=body,
            headers=headers,
            follow_redirects=False,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        self.set_cookies = response.headers.get_list("Set-Cookie")
        for header in self.set_cookies:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        return response

    async def form_token(self) -> str:
        """The token in the form page's hidden field."""
        response = await self.fetch("/form")
        assert response.code == 200
        match = TOKEN_FIELD.search(response.body.decode())
        assert match is not None
        return match.group(1)

    async def post(self, path: str, token: str | None = None, headers: dict[str, str] | None = None) -> int:
        form = {"_xsrf": token} if token is not None else {}
        return (await self.fetch(path, "POST", form, headers)).code


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


@contextlib.contextmanager
def another(browser: Browser) -> Iterator[Browser]:
    """A second browser on the same server, with its own cookies."""
    other = Browser(browser.base)
    try:
        yield other
    finally:
        other.client.close()


def refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Why each 403 was given, as Tornado logged it."""
    return [r.getMessage() for r in caplog.records if r.name == "tornado.general" and "403" in r.getMessage()]


def test_form_token_is_required_and_accepted(run, caplog: pytest.LogCaptureFixture) -> None:
    """The form's hidden field carries a masked session token; without it a POST is refused."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            token = await browser.form_token()
            assert re.fullmatch(r"[A-Za-z0-9_-]{86}", token)
            assert set(browser.cookies) == {"session"}  # the token lives in the session, not a cookie
            assert await browser.post("/form") == 403
            assert await browser.post(f"/form?_xsrf={token}") == 403  # not in URLs, which get logged
            assert await browser.post("/form", token) == 200
            assert await browser.post("/form", token) == 200  # a token serves until the session changes

    with caplog.at_level(logging.WARNING):
        run(main())
    reasons = refusals(caplog)
    assert len(reasons) == 2
    assert all("'_xsrf' form field or X-XSRFToken header missing" in reason for reason in reasons)


def test_post_without_a_session_is_refused_and_creates_none(run, caplog: pytest.LogCaptureFixture) -> None:
    """No cookie: 403 with or without a token, and no session (no Set-Cookie) is made."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            with another(browser) as stranger:
                token = await stranger.form_token()
            assert await browser.post("/form", token) == 403
            assert browser.set_cookies == []
            assert await browser.post("/form") == 403
            assert browser.set_cookies == []

    with caplog.at_level(logging.WARNING):
        run(main())
    assert "no XSRF token in the session" in refusals(caplog)[0]


def test_token_of_another_session_is_refused(run, caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        async with serve(make_app()) as victim:
            own = await victim.form_token()
            with another(victim) as attacker:
                attackers = await attacker.form_token()
                assert await attacker.post("/form", own) == 403
            assert await victim.post("/form", attackers) == 403
            assert await victim.post("/form", own) == 200

    with caplog.at_level(logging.WARNING):
        run(main())
    assert [("does not match" in message) for message in refusals(caplog)] == [True, True]


def test_header_works_for_ajax_and_every_unsafe_method_is_checked(run) -> None:
    """X-XSRFToken and X-CSRFToken are accepted; DELETE is checked as POST is; GET is not."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            token = (await browser.fetch("/token")).body.decode()
            assert await browser.post("/form", None, headers={"X-XSRFToken": token}) == 200
            assert await browser.post("/form", None, headers={"X-CSRFToken": token}) == 200
            assert (await browser.fetch("/form", "DELETE")).code == 403
            assert (await browser.fetch("/form", "DELETE", headers={"X-XSRFToken": token})).code == 200
            assert (await browser.fetch("/form")).code == 200

    run(main())


def test_each_page_view_masks_the_token_afresh(run) -> None:
    """Five views, five different strings (BREACH), each accepted; a changed character is not."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            tokens = [await browser.form_token() for _ in range(5)]
            assert len(set(tokens)) == 5
            for token in tokens:
                assert await browser.post("/form", token) == 200
            tampered = tokens[0][:10] + ("A" if tokens[0][10] != "A" else "B") + tokens[0][11:]
            assert await browser.post("/form", tampered) == 403

    run(main())


def test_logout_ends_the_token(run) -> None:
    """After ``invalidate()`` the old token fails, both without a session and in the next one."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            token = await browser.form_token()
            assert await browser.post("/logout", token) == 200
            assert "session" not in browser.cookies
            assert await browser.post("/form", token) == 403
            fresh = await browser.form_token()  # a new anonymous session
            assert await browser.post("/form", token) == 403
            assert await browser.post("/form", fresh) == 200

    run(main())


def test_login_rotates_the_token(run) -> None:
    """``set_user`` drops the token with the rest of the anonymous data: the login form's token dies."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            before = await browser.form_token()
            assert await browser.post("/login", None) == 403  # the login form is protected too
            assert (await browser.fetch("/login", "POST", {"_xsrf": before, "user": "ann"})).code == 302
            assert await browser.post("/form", before) == 403
            after = await browser.form_token()
            assert await browser.post("/form", after) == 200

    run(main())


def test_autoload_off_still_loads_and_checks(run) -> None:
    """A handler with ``session_autoload = False`` gets the check on unsafe methods all the same."""

    async def main() -> None:
        async with serve(make_app()) as browser:
            token = await browser.form_token()
            assert await browser.post("/lazy") == 403
            assert await browser.post("/lazy", token) == 200

    run(main())


def test_with_cross_origin_protection(run, caplog: pytest.LogCaptureFixture) -> None:
    """Tornado refuses cross-site and same-site POSTs first; same-origin ones still need the token."""

    async def main() -> None:
        async with serve(make_app(cross_origin_protection=True)) as browser:
            token = await browser.form_token()
            assert await browser.post("/form", token, headers={"Sec-Fetch-Site": "cross-site"}) == 403
            assert await browser.post("/form", token, headers={"Sec-Fetch-Site": "same-site"}) == 403
            assert await browser.post("/form", None, headers={"Sec-Fetch-Site": "same-origin"}) == 403
            assert await browser.post("/form", token, headers={"Sec-Fetch-Site": "same-origin"}) == 200

    with caplog.at_level(logging.WARNING):
        run(main())
    reasons = refusals(caplog)
    assert "Sec-Fetch-Site cross-site" in reasons[0]
    assert "Sec-Fetch-Site same-site" in reasons[1]
    assert "'_xsrf' form field or X-XSRFToken header missing" in reasons[2]


def test_session_xsrf_and_xsrf_cookies_exclude_each_other() -> None:
    app = make_app(xsrf_cookies=True)
    with pytest.raises(InvalidOption, match="session_xsrf and xsrf_cookies"):
        session_manager(app)


def test_off_leaves_tornados_xsrf_cookies_alone(run) -> None:
    """Without ``session_xsrf``, Tornado's ``xsrf_cookies`` works as before (``2|`` token, cookie)."""

    async def main() -> None:
        async with serve(make_app(session_xsrf=False, xsrf_cookies=True)) as browser:
            token = await browser.form_token()
            assert token.startswith("2|")
            assert "_xsrf" in browser.cookies
            assert await browser.post("/form") == 403
            assert await browser.post("/form", token) == 200

    run(main())


# The token format, on any input.

BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
RANDOM_TOKENS = [new_token() for _ in range(4)]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


anything = st.one_of(
    st.none(),
    st.text(),
    st.text(min_size=86, max_size=86),
    st.text(alphabet=BASE64URL, min_size=86, max_size=86),
    st.text(alphabet=BASE64URL + "+/=", min_size=85, max_size=88),
)


@given(st.sampled_from(RANDOM_TOKENS), anything)
def test_text_never_matches_a_secret_token_and_never_raises(token: str, submitted: str | None) -> None:
    assert matches(token, submitted) is False
    if submitted is not None:
        assert matches(submitted, submitted) is False
        assert is_token(submitted) in (True, False)


@given(st.binary(min_size=32, max_size=32), st.binary(min_size=64, max_size=64))
@example(bytes(32), bytes(64))  # the all-zero mask of the all-zero token
def test_well_formed_input_matches_exactly_when_it_unmasks_to_the_token(raw: bytes, submitted: bytes) -> None:
    """Pad and masked token, base64url: it matches if and only if pad XOR masked is the token."""
    assert matches(b64(raw), b64(submitted)) is (xor(submitted[:32], submitted[32:]) == raw)


@given(st.binary(min_size=32, max_size=32))
def test_masks_always_match_and_only_their_token(raw: bytes) -> None:
    token = b64(raw)
    masked = mask(token)
    assert masked != mask(token)
    assert matches(token, masked)
    assert not matches(new_token(), masked)
    assert not matches(token, token)  # the bare token is not a mask of it
    assert not matches(token, masked + "A")
    assert not matches(token, masked[:-1])
    assert is_token(token)
    assert not is_token(masked)


def test_other_spellings_and_huge_input_are_refused() -> None:
    """Stray trailing bits or the +/ alphabet spell the same bytes, yet only the canonical form counts."""
    token = new_token()
    masked = mask(token)
    while "-" not in masked and "_" not in masked:
        masked = mask(token)
    stray = masked[:-1] + BASE64URL[BASE64URL.index(masked[-1]) | 1]
    assert not matches(token, stray)
    assert not matches(token, masked.replace("-", "+").replace("_", "/"))
    assert matches(token, masked)
    assert not matches(token, "A" * 10_000_000)
    assert not matches(token, "é" * 86)
    with pytest.raises(ValueError, match="new_token"):
        mask("not a token")

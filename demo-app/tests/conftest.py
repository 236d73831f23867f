"""A live demo app on a loopback port, a cookie-keeping HTTP client, and the captcha test hook.

The hook (``live.answer(challenge_id)``) asks the running app's CaptchaService for a challenge's
text: it exists only here, in the test fixture that holds the service object, never in the app.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
import tornado.httpserver
import tornado.netutil

from anemo.sessions import SessionStore
from anemo_demo.app import make_app
from anemo_demo.config import Config
from anemo_demo.services import Services, make_services
from anemo_testing import LoopThread

SECRET = "demo test secret, long enough"

T = TypeVar("T")


class LiveApp:
    """The demo served from a thread running its own event loop."""

    def __init__(
        self, config: Config, session_store: SessionStore | None = None, captcha_store: Any = None
    ) -> None:
        self.config = config
        self.sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.port = self.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.services: Services

        async def start() -> None:
            self.services = make_services(config, session_store=session_store, captcha_store=captcha_store)
            self.server = tornado.httpserver.HTTPServer(make_app(self.services))
            self.server.add_sockets(self.sockets)

        self.runner = LoopThread().start()
        try:
            self.runner.call(start())
        except BaseException:
            self.runner.stop()
            for sock in self.sockets:
                sock.close()
            raise

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the app's loop and wait for it."""
        return self.runner.call(coro)

    def answer(self, challenge_id: str) -> str:
        """The test hook: the text of a live captcha challenge."""
        return str(self.call(self.services.captcha.aanswer(challenge_id)))

    def stop(self) -> None:
        async def stop() -> None:
            self.server.stop()
            await self.server.close_all_connections()
            await self.services.aclose()

        self.call(stop())
        self.runner.stop()


@pytest.fixture
def make_live(tmp_path: Path) -> Iterator[Callable[..., LiveApp]]:
    """``make_live(session_store_object=None, captcha_store_object=None, **config)``: a running app
    with its own data directory (and, if given, those stores); all stopped afterwards."""
    apps: list[LiveApp] = []

    def make(
        session_store_object: SessionStore | None = None, captcha_store_object: Any = None, **options: Any
    ) -> LiveApp:
        options.setdefault("cookie_secret", SECRET)
        options.setdefault("data_dir", tmp_path / f"data-{len(apps)}")
        app = LiveApp(Config(**options), session_store_object, captcha_store_object)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.stop()


@pytest.fixture
def live(make_live: Callable[..., LiveApp]) -> LiveApp:
    """The demo on its embedded defaults: memory sessions and captchas."""
    return make_live()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Response:
    status: int
    body: str
    headers: Any

    @property
    def location(self) -> str | None:
        value = self.headers.get("Location")
        return str(value) if value is not None else None


@dataclass
class Client:
    """A browser without a screen: keeps cookies, sends the XSRF token, does not follow redirects."""

    base: str
    language: str = "en-US"
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect)

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.jar if c.name == name), None)

    def request(
        self, path: str, data: dict[str, str] | bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        all_headers = {"Accept-Language": self.language, **(headers or {})}
        body: bytes | None
        if isinstance(data, dict):
            if self.cookie("_xsrf") is None:
                self.request("/login")  # a page with a form sets the XSRF cookie
            body = urllib.parse.urlencode({"_xsrf": self.cookie("_xsrf") or "", **data}).encode()
        else:
            body = data
        request = urllib.request.Request(self.base + path, data=body, headers=all_headers)
        try:
            with self.opener.open(request, timeout=15) as response:
                return Response(response.status, response.read().decode(errors="replace"), response.headers)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode(errors="replace"), error.headers)

    def get(self, path: str, **headers: str) -> Response:
        return self.request(path, headers=headers)

    def post(self, path: str, data: dict[str, str] | None = None, **headers: str) -> Response:
        return self.request(path, data or {}, headers)


CHALLENGE = re.compile(r"/captcha/([A-Za-z0-9_-]{22})")


def solve(live: LiveApp, page: str) -> dict[str, str]:
    """The captcha fields of a page's form, answered through the test hook."""
    challenge_id = CHALLENGE.search(page)
    token = re.search(r'name="captcha.challenge" value="([^"]+)"', page)
    assert challenge_id, "the page has no captcha"
    assert token, "the page has no captcha token"
    return {"captcha.challenge": token.group(1), "captcha.answer": live.answer(challenge_id.group(1))}


def register(
    live: LiveApp, client: Client, username: str, password: str = "correct horse battery"
) -> Response:
    """Register (and so log in) ``username`` through the real form."""
    page = client.get("/register").body
    return client.post(
        "/register",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password": password,
            "confirm": password,
            **solve(live, page),
        },
    )


@pytest.fixture
def client(live: LiveApp) -> Client:
    """A client of the default app."""
    return Client(live.url)


@pytest.fixture
def new_client() -> Callable[[LiveApp], Client]:
    """``new_client(live)``: another browser, with cookies of its own."""
    return lambda live: Client(live.url)


@pytest.fixture
def solve_captcha() -> Callable[[LiveApp, str], dict[str, str]]:
    """``solve_captcha(live, page)``: a page's captcha fields, answered through the hook."""
    return solve


@pytest.fixture
def register_user() -> Callable[..., Response]:
    """``register_user(live, client, username)``: register and log in through the real form."""
    return register


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's headless Chromium, driven by Playwright (no browser download), one per module."""
    if not os.path.exists(CHROMIUM):
        pytest.fail("chromium is not installed: apt-get install -y chromium (the test command does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context_factory(browser, request) -> Iterator[Callable[..., object]]:  # type: ignore[no-untyped-def]
    """``context_factory(locale="en-US", width=1100, height=800)``: a fresh browser profile; its
    pages are screenshot into ``demo-app/test-artifacts/`` when the test fails."""
    contexts = []

    def make(locale: str = "en-US", width: int = 1100, height: int = 800) -> object:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for number, context in enumerate(contexts):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            for index, page in enumerate(context.pages):
                page.screenshot(
                    path=str(ARTIFACTS / f"{request.node.name}-{number}-{index}.png"), full_page=True
                )
        context.close()


class BrowserForms:
    """The sign-up and log-in forms filled in a browser page, the captcha read through the hook."""

    password = "correct horse battery"

    def answer_captcha(self, live: LiveApp, page: Any) -> None:
        source = page.get_attribute("#captcha-image", "src")
        match = re.fullmatch(r"/captcha/([A-Za-z0-9_-]{22})", source or "")
        assert match, source
        page.fill("#captcha-answer", live.answer(match.group(1)))

    def register(self, live: LiveApp, page: Any, username: str) -> None:
        page.goto(live.url + "/register")
        page.fill("input[name=username]", username)
        page.fill("input[name=email]", f"{username}@example.com")
        page.fill("input[name=password]", self.password)
        page.fill("input[name=confirm]", self.password)
        self.answer_captcha(live, page)
        page.click("#register-form button[type=submit]")
        page.wait_for_url(live.url + "/account")

    def log_in(self, live: LiveApp, page: Any, username: str) -> None:
        page.goto(live.url + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", self.password)
        self.answer_captcha(live, page)
        page.click("#login-form button[type=submit]")
        page.wait_for_url(live.url + "/account")


@pytest.fixture
def in_browser() -> BrowserForms:
    """``in_browser.register(live, page, name)``, ``.log_in(...)``, ``.answer_captcha(live, page)``."""
    return BrowserForms()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test item, so fixtures can tell a failed test (screenshots)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)

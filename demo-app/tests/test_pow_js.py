"""static/pow.js in a real headless Chromium: its payloads pass anemo.captcha's ProofOfWork.

A throwaway Tornado app serves a form, pow.js and challenges under the demo's Content-Security-
Policy (script-src 'self': no inline script), so what passes here works in the demo's pages.
"""

from __future__ import annotations

import html
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web

from anemo.captcha import MemoryStore, ProofOfWork
from anemo_demo.headers import CONTENT_SECURITY_POLICY
from anemo_testing import LoopThread

pytest.importorskip("playwright.sync_api")

STATIC = Path(__file__).resolve().parent.parent / "src" / "anemo_demo" / "static"
KEY = "pow.js test key, long enough"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pow</title>
<script src="/static/pow.js" defer></script></head>
<body><form method="post" action="/submit">{source}
<input type="hidden" name="pow.payload"><button type="submit">Send</button></form></body></html>"""


class Page(tornado.web.RequestHandler):
    def initialize(self, pow_: ProofOfWork, inline: bool) -> None:
        self.pow_ = pow_
        self.inline = inline

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)

    def get(self) -> None:
        if self.inline:
            value = html.escape(json.dumps(self.pow_.challenge()), quote=True)
            source = f'<input type="hidden" name="pow.challenge" value="{value}">'
        else:
            source = '<div data-pow-challenge-url="/challenge"></div>'
        self.write(PAGE.format(source=source))


class ChallengeJSON(Page):
    def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.write(self.pow_.challenge())


class Submit(Page):
    def post(self) -> None:
        passed = self.pow_.passes(self.get_body_argument("pow.payload", ""))
        self.write("<!doctype html><title>result</title><p id=result>" + ("passed" if passed else "refused"))


class NoIcon(Page):
    def get(self) -> None:
        self.set_status(204)


class Static(tornado.web.StaticFileHandler):
    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)


class Server:
    """The app on a loopback port, served by a loop of its own; ``pow_`` is what it verifies with."""

    def __init__(self, difficulty: int) -> None:
        self.pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=difficulty)
        options: dict[str, Any] = {"pow_": self.pow_, "inline": True}
        app = tornado.web.Application(
            [
                (r"/inline", Page, options),
                (r"/url", Page, {**options, "inline": False}),
                (r"/challenge", ChallengeJSON, options),
                (r"/submit", Submit, options),
                (r"/favicon.ico", NoIcon, options),
                (r"/static/(pow\.js)", Static, {"path": str(STATIC)}),
            ]
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        self.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        self.runner = LoopThread().start()

        async def start() -> None:
            self.server = tornado.httpserver.HTTPServer(app)
            self.server.add_sockets(sockets)

        self.runner.call(start())

    def stop(self) -> None:
        async def stop() -> None:
            self.server.stop()
            await self.server.close_all_connections()

        self.runner.call(stop())
        self.runner.stop()


@pytest.fixture
def make_server() -> Iterator[Any]:
    servers: list[Server] = []

    def make(difficulty: int = 5_000) -> Server:
        servers.append(Server(difficulty))
        return servers[-1]

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def page(context_factory: Any) -> Iterator[Any]:
    """A page whose console errors, page errors and CSP violations fail the test."""
    page = context_factory().new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    assert not problems


def test_inline_challenge_is_solved_on_load(make_server: Any, page: Any) -> None:
    server = make_server()
    page.goto(server.url + "/inline")
    page.wait_for_selector("form[data-pow-state=verified]")
    status = page.locator("[role=status]")
    assert status.get_attribute("aria-live") == "polite"
    assert status.text_content() == "Verified"
    payload = page.input_value("input[name='pow.payload']")
    server.pow_.verify(payload)  # passes with ProofOfWork, once
    assert not server.pow_.passes(payload)


def test_challenge_url_then_submit_passes_once(make_server: Any, page: Any) -> None:
    server = make_server()
    page.goto(server.url + "/url")
    page.wait_for_selector("form[data-pow-state=verified]")
    assert page.text_content("[data-pow-challenge-url]") == "Verified"
    payload = page.input_value("input[name='pow.payload']")
    page.click("button[type=submit]")
    assert page.text_content("#result") == "passed"
    replay = urllib.parse.urlencode({"pow.payload": payload}).encode()
    with urllib.request.urlopen(server.url + "/submit", replay, timeout=5) as response:
        assert b"refused" in response.read()


def test_an_early_submit_waits_for_the_solution(make_server: Any, page: Any) -> None:
    """Send pressed while the browser still works: the form goes once the payload is in."""
    server = make_server(difficulty=300_000)
    page.goto(server.url + "/inline")
    page.click("button[type=submit]")
    page.wait_for_selector("#result", timeout=60_000)
    assert page.text_content("#result") == "passed"


def test_solve_gives_up_at_maxnumber_and_reports_progress(make_server: Any, page: Any) -> None:
    server = make_server()
    page.goto(server.url + "/inline")
    challenge = {**server.pow_.challenge(), "challenge": "0" * 64, "maxnumber": 2500}
    result = page.evaluate(
        """async (challenge) => {
            const seen = [];
            try {
                await window.anemoPow.solve(challenge, {onProgress: (done, all) => seen.push([done, all])});
                return {error: null, seen};
            } catch (error) {
                return {error: error.message, seen};
            }
        }""",
        challenge,
    )
    assert result["error"] == "no number up to maxnumber solves the challenge"
    assert result["seen"] == [[1000, 2501], [2000, 2501], [2501, 2501]]


def test_solve_stops_when_aborted(make_server: Any, page: Any) -> None:
    server = make_server()
    page.goto(server.url + "/inline")
    name = page.evaluate(
        """async (challenge) => {
            const controller = new AbortController();
            setTimeout(() => controller.abort(), 50);
            try {
                await window.anemoPow.solve(challenge, {signal: controller.signal});
                return "solved";
            } catch (error) {
                return error.name;
            }
        }""",
        {**server.pow_.challenge(), "challenge": "0" * 64, "maxnumber": 10_000_000},
    )
    assert name == "AbortError"


def test_the_page_stays_responsive_while_solving(make_server: Any, page: Any) -> None:
    """A 20 ms timer keeps firing while 400,000 digests are computed: no batch starves it."""
    server = make_server()
    page.goto(server.url + "/inline")
    page.wait_for_selector("form[data-pow-state=verified]")
    gap = page.evaluate(
        """async (challenge) => {
            let last = performance.now(), gap = 0;
            const timer = setInterval(() => {
                const now = performance.now();
                gap = Math.max(gap, now - last);
                last = now;
            }, 20);
            await window.anemoPow.solve(challenge).catch(() => null);
            clearInterval(timer);
            return Math.max(gap, performance.now() - last);
        }""",
        {**server.pow_.challenge(), "challenge": "0" * 64, "maxnumber": 400_000},
    )
    assert gap < 1000, f"the longest pause between timer ticks was {gap:.0f} ms"

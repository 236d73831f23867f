"""The Tornado adapter on a live server: image handler, form check, and an IOLoop that stays free."""

from __future__ import annotations

import asyncio
import io
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest
import tornado.web
from PIL import Image
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from anemo.captcha import CaptchaService, MemoryStore
from anemo.captcha.tornado import NO_CACHE_HEADERS, CaptchaImageHandler, passes_captcha

if TYPE_CHECKING:
    from anemo_testing import Clock

SECRET = "a test secret, long enough to be one"


class LoginHandler(tornado.web.RequestHandler):
    """A form whose captcha is checked first."""

    def initialize(self, service: CaptchaService) -> None:
        self.service = service

    def post(self) -> None:
        self.write("ok" if passes_captcha(self, self.service) else "captcha failed")


class BlockingImageHandler(tornado.web.RequestHandler):
    """The naive handler, rendering on the IOLoop: the control for the lag measurement."""

    def initialize(self, service: CaptchaService) -> None:
        self.service = service

    def get(self, challenge_id: str) -> None:
        self.finish(self.service.image(challenge_id))


Scenario = Callable[[Callable[..., Awaitable[HTTPResponse]]], Awaitable[None]]


def serve(service: CaptchaService, scenario: Scenario) -> None:
    """Run ``scenario(fetch)`` against a live app on a free loopback port."""

    async def main() -> None:
        app = tornado.web.Application(
            [
                (r"/captcha/(.*)", CaptchaImageHandler, {"service": service}),
                (r"/blocking/(.*)", BlockingImageHandler, {"service": service}),
                (r"/login", LoginHandler, {"service": service}),
            ]
        )
        server = HTTPServer(app)
        sockets = bind_sockets(0, "127.0.0.1")
        server.add_sockets(sockets)
        port = sockets[0].getsockname()[1]
        client = AsyncHTTPClient(force_instance=True)

        def fetch(path: str, **kwargs: object) -> Awaitable[HTTPResponse]:
            return client.fetch(f"http://127.0.0.1:{port}{path}", raise_error=False, **kwargs)  # type: ignore[arg-type]

        try:
            await scenario(fetch)
        finally:
            client.close()
            server.stop()
            await server.close_all_connections()

    asyncio.run(main())


@pytest.fixture(params=["server-side", "stateless"])
def service(request: pytest.FixtureRequest, clock: Clock) -> CaptchaService:
    """A service in each mode."""
    if request.param == "server-side":
        return CaptchaService(clock=clock)
    return CaptchaService(MemoryStore(), secret_key=SECRET, clock=clock)


def test_image_handler_serves_uncacheable_images(service: CaptchaService) -> None:
    """The image comes with its type and no-cache headers, the same bytes on every request."""
    challenge = service.issue()

    async def scenario(fetch: Callable[..., Awaitable[HTTPResponse]]) -> None:
        first, second = await fetch(f"/captcha/{challenge.id}"), await fetch(f"/captcha/{challenge.id}")
        assert first.code == 200
        assert first.body == second.body
        assert Image.open(io.BytesIO(first.body)).size == (160, 60)
        assert first.headers["Content-Type"] == "image/png"
        for name, value in NO_CACHE_HEADERS.items():
            assert first.headers[name] == value

    serve(service, scenario)


@pytest.mark.parametrize(
    "path", ["/captcha/" + "A" * 22, "/captcha/nope", "/captcha/..%2F..%2Fetc", "/captcha/"]
)
def test_unknown_or_malformed_ids_are_404(path: str, clock: Clock) -> None:
    """An id that was never issued, or is no id at all, gets a 404 and no image."""

    async def scenario(fetch: Callable[..., Awaitable[HTTPResponse]]) -> None:
        response = await fetch(path)
        assert response.code == 404
        assert not response.headers.get("Content-Type", "").startswith("image/")

    serve(CaptchaService(clock=clock), scenario)


def form(token: str, answer: str) -> str:
    return urllib.parse.urlencode({"captcha.challenge": token, "captcha.answer": answer})


def test_form_check_accepts_one_right_answer(service: CaptchaService) -> None:
    """A right answer passes once; replaying the form fails; a wrong answer uses the challenge up."""
    solved, missed = service.issue(), service.issue()
    answer, other = service.answer(solved.id), service.answer(missed.id)

    async def scenario(fetch: Callable[..., Awaitable[HTTPResponse]]) -> None:
        async def post(body: str) -> bytes:
            return (await fetch("/login", method="POST", body=body)).body

        assert await post(form(solved.token, answer.lower())) == b"ok"
        assert await post(form(solved.token, answer)) == b"captcha failed"
        assert await post(form(missed.token, "WRONG")) == b"captcha failed"
        assert await post(form(missed.token, other)) == b"captcha failed"
        assert await post("captcha.answer=ACE34") == b"captcha failed"

    serve(service, scenario)


def test_rendering_does_not_block_the_ioloop(clock: Clock) -> None:
    """While large images are drawn, the IOLoop keeps its timers; the naive handler stalls it.

    Measured: the worst delay of a 1 ms timer during four image requests, executor against the
    same render done on the loop (the control, which proves the measurement can fail).
    """
    service = CaptchaService(clock=clock, width=1000, height=400)
    challenge = service.issue()
    render_times = []
    for _ in range(3):
        started = time.perf_counter()
        service.image(challenge.id)
        render_times.append(time.perf_counter() - started)
    render_seconds = min(render_times)
    worst: dict[str, float] = {}

    async def scenario(fetch: Callable[..., Awaitable[HTTPResponse]]) -> None:
        loop = asyncio.get_running_loop()
        for route in ("blocking", "captcha"):
            delays: list[float] = []
            done = asyncio.Event()

            async def watch(delays: list[float] = delays, done: asyncio.Event = done) -> None:
                while not done.is_set():
                    before = loop.time()
                    await asyncio.sleep(0.001)
                    delays.append(loop.time() - before - 0.001)

            watcher = asyncio.create_task(watch())
            for _ in range(4):
                assert (await fetch(f"/{route}/{challenge.id}")).code == 200
            done.set()
            await watcher
            worst[route] = max(delays)

    serve(service, scenario)
    assert worst["blocking"] > 0.6 * render_seconds
    assert worst["captcha"] < 0.5 * worst["blocking"], f"worst timer delays (s): {worst}"

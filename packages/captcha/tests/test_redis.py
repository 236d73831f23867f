"""The shared Redis stores and the async path: one answer wins, processes share, failures are fast."""

from __future__ import annotations

import asyncio
import time
import urllib.parse
import warnings

import pytest
import tornado.web
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from anemo.captcha import CallModeError, CaptchaService, MemoryStore, StoreError, StoreUnavailable
from anemo.captcha.redis import AsyncRedisStore, RedisStore
from anemo.captcha.tornado import CaptchaImageHandler, apasses_captcha
from anemo_testing import NotRedisServer, RedisServer, Servers

SECRET = "a test secret, long enough to be one"


def services(mode: str, store: object) -> tuple[CaptchaService, CaptchaService]:
    """Two independent services over one store, as two processes would have."""
    key = SECRET if mode == "stateless" else None
    return (CaptchaService(store, secret_key=key), CaptchaService(store, secret_key=key))  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["server-side", "stateless"])
@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_twelve_concurrent_async_answers_one_passes(
    mode: str, backend: str, redis_server: RedisServer
) -> None:
    """Twelve right answers to one challenge at once: exactly one passes, on any store."""

    async def main() -> None:
        store = MemoryStore() if backend == "memory" else AsyncRedisStore.from_url(redis_server.url)
        service, _ = services(mode, store)
        for _ in range(3):
            challenge = await service.aissue()
            answer = await service.aanswer(challenge.id)
            results = await asyncio.gather(*(service.apasses(challenge.token, answer) for _ in range(12)))
            assert results.count(True) == 1
        if isinstance(store, AsyncRedisStore):
            await store.aclose()

    asyncio.run(main())


@pytest.mark.parametrize("mode", ["server-side", "stateless"])
def test_a_challenge_issued_by_one_process_verifies_in_another(mode: str, redis_server: RedisServer) -> None:
    """Issued by one service, its image drawn by a second, answered at a third: once only."""

    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            first, second = services(mode, store)
            challenge = await first.aissue()
            assert await second.aimage(challenge.id) == await first.aimage(challenge.id)
            answer = await second.aanswer(challenge.id)
            assert await second.apasses(challenge.token, answer)
            assert not await first.apasses(challenge.token, answer)  # used, wherever it is answered

    asyncio.run(main())
    sync_first, sync_second = services(mode, RedisStore.from_url(redis_server.url))
    challenge = sync_first.issue()
    assert sync_second.passes(challenge.token, sync_second.answer(challenge.id))
    assert not sync_first.passes(
        challenge.token, sync_first.answer(challenge.id) if mode == "stateless" else "x"
    )


def test_sync_methods_refuse_an_async_store(redis_server: RedisServer) -> None:
    """A blocking call on an async store is a clear TypeError, never an unawaited coroutine."""
    service = CaptchaService(AsyncRedisStore.from_url(redis_server.url))
    assert service.is_async
    for call in (service.issue, lambda: service.image("a" * 22), lambda: service.passes("t", "a")):
        with pytest.raises(TypeError, match=r"await service\.a"):
            call()


@pytest.mark.parametrize("mode", ["server-side", "stateless"])
def test_a_forgotten_await_raises_and_never_passes(mode: str, redis_server: RedisServer) -> None:
    """``if service.apasses(...)`` without await: CallModeError, and comparisons are false."""

    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            service, _ = services(mode, store)
            challenge = await service.aissue()
            wrong = "0" * service.length
            with pytest.raises(CallModeError, match="without await"):
                bool(service.apasses(challenge.token, wrong))  # what `if service.apasses(...)` does
            with pytest.raises(CallModeError):
                assert not service.apasses(challenge.token, wrong)
            assert (service.apasses(challenge.token, wrong) == True) is False  # noqa: E712
            assert service.apasses(challenge.token, wrong) is not True
            # None of those ran the check, so the challenge is still there for the real answer.
            assert await service.apasses(challenge.token, await service.aanswer(challenge.id))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the two compared verdicts were never awaited
        asyncio.run(main())


@pytest.mark.parametrize("mode", ["server-side", "stateless"])
def test_dead_redis_raises_store_unavailable_fast(mode: str, servers: Servers) -> None:
    """Killed: every path raises StoreUnavailable (never False) within a second."""
    server = servers.redis()
    sync_service, _ = services(mode, RedisStore.from_url(server.url))
    challenge = sync_service.issue()
    server.kill()

    def timed(call):  # type: ignore[no-untyped-def]
        started = time.monotonic()
        with pytest.raises(StoreUnavailable) as caught:
            call()
        assert time.monotonic() - started < 1.0
        assert caught.value.address == f"127.0.0.1:{server.port}"

    timed(lambda: sync_service.passes(challenge.token, "ABCDE"))
    if mode == "server-side":
        timed(sync_service.issue)

    async def main() -> None:
        async with AsyncRedisStore.from_url(server.url) as store:
            service, _ = services(mode, store)
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await service.apasses(challenge.token, "ABCDE")
            assert time.monotonic() - started < 1.0

    asyncio.run(main())


class Login(tornado.web.RequestHandler):
    def initialize(self, service: CaptchaService) -> None:
        self.service = service

    async def post(self) -> None:
        self.write("ok" if await apasses_captcha(self, self.service) else "captcha failed")


class ForgetfulLogin(Login):
    """The mistake of the issue: the verdict tested without await."""

    async def post(self) -> None:
        self.write("ok" if apasses_captcha(self, self.service) else "captcha failed")


class Ping(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("pong")


async def start(service: CaptchaService) -> tuple[HTTPServer, str]:
    app = tornado.web.Application(
        [
            (r"/captcha/(.*)", CaptchaImageHandler, {"service": service}),
            (r"/login", Login, {"service": service}),
            (r"/forgetful", ForgetfulLogin, {"service": service}),
            (r"/ping", Ping),
        ]
    )
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app)
    server.add_sockets(sockets)
    return server, f"http://127.0.0.1:{sockets[0].getsockname()[1]}"


def form(challenge_token: str, answer: str) -> str:
    return urllib.parse.urlencode({"captcha.challenge": challenge_token, "captcha.answer": answer})


def test_adapter_uses_the_async_store_and_answers_503_when_it_dies(servers: Servers) -> None:
    """Image and form over an async Redis store; killed, both answer 503 without a traceback."""
    redis_server = servers.redis()

    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            service = CaptchaService(store)
            http, base = await start(service)
            client = AsyncHTTPClient(force_instance=True)
            try:
                challenge = await service.aissue()
                image = await client.fetch(f"{base}/captcha/{challenge.id}")
                assert image.headers["Content-Type"] == "image/png"
                answer = await service.aanswer(challenge.id)
                login = await client.fetch(f"{base}/login", method="POST", body=form(challenge.token, answer))
                assert login.body == b"ok"
                again = await client.fetch(f"{base}/login", method="POST", body=form(challenge.token, answer))
                assert again.body == b"captcha failed"
                mistake = await service.aissue()
                forgetful = await client.fetch(
                    f"{base}/forgetful", method="POST", body=form(mistake.token, "x"), raise_error=False
                )
                assert forgetful.code == 500  # the handler's bug shows at once, never as "ok"
                assert forgetful.body != b"ok"

                fresh = await service.aissue()
                redis_server.kill()
                for url, options in (
                    (f"{base}/captcha/{fresh.id}", {}),
                    (f"{base}/login", {"method": "POST", "body": form(fresh.token, "ABCDE")}),
                ):
                    started = time.monotonic()
                    response = await client.fetch(url, raise_error=False, **options)
                    assert response.code == 503
                    assert b"Traceback" not in response.body
                    assert time.monotonic() - started < 1.0
            finally:
                client.close()
                http.stop()

    asyncio.run(main())


def test_a_stalled_store_does_not_block_the_ioloop(redis_server: RedisServer) -> None:
    """While an answer waits on a paused Redis, the same IOLoop serves another request."""

    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url, timeout=2.0) as store:
            service = CaptchaService(store)
            http, base = await start(service)
            client = AsyncHTTPClient(force_instance=True)
            try:
                challenge = await service.aissue()
                answer = await service.aanswer(challenge.id)
                redis_server.execute("CLIENT", "PAUSE", "1000", "ALL")
                started = time.monotonic()
                login = asyncio.ensure_future(
                    client.fetch(f"{base}/login", method="POST", body=form(challenge.token, answer))
                )
                await asyncio.sleep(0.1)
                pong = await client.fetch(f"{base}/ping")
                served_after = time.monotonic() - started
                assert pong.body == b"pong"
                assert not login.done()  # still waiting on Redis
                assert served_after < 0.5
                assert (await login).body == b"ok"
                assert time.monotonic() - started >= 0.9  # it really waited for the pause
            finally:
                client.close()
                http.stop()

    asyncio.run(main())


def test_every_redis_store_builds_and_runs_without_a_warning(redis_server: RedisServer) -> None:
    """Each client gets the Retry of its own kind: redis-py 8.2 warns at a sync Retry on asyncio."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sync_store = RedisStore.from_url(redis_server.url)
        sync_store.put("k", b"v", 10)
        assert sync_store.get("k") == b"v"
        sync_store.close()

        async def main() -> None:
            async with AsyncRedisStore.from_url(redis_server.url) as store:
                assert await store.take("k") == b"v"

        asyncio.run(main())
    assert [str(warning.message) for warning in caught] == []


def test_an_error_the_server_answers_is_a_store_error_not_unavailable(
    redis_server: RedisServer, not_redis: NotRedisServer
) -> None:
    """OOM under noeviction and a port that is not Redis are StoreError, as in anemo-sessions:
    only a server that is down, stalled or failing over is StoreUnavailable (a 503)."""
    redis_server.execute("CONFIG", "SET", "maxmemory-policy", "noeviction")
    redis_server.execute("CONFIG", "SET", "maxmemory", "1")
    cases = ((redis_server.url, "maxmemory"), (not_redis.url, "(?i)protocol error"))
    for url, reason in cases:
        store = RedisStore.from_url(url)
        with pytest.raises(StoreError, match=reason) as caught:
            store.put("k", b"v", 10)
        assert not isinstance(caught.value, StoreUnavailable)
        store.close()

    async def main() -> None:
        for url, reason in cases:
            async with AsyncRedisStore.from_url(url) as store:
                with pytest.raises(StoreError, match=reason) as caught:
                    await store.add("k", b"v", 10)
                assert not isinstance(caught.value, StoreUnavailable)

    asyncio.run(main())

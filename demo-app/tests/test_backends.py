"""The same flows on Redis and on sharded sessions; processes sharing one Redis; a shard dying."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable
from pathlib import Path

import pytest
import redis.asyncio.retry

from anemo.captcha import CaptchaService
from anemo.captcha import StoreError as CaptchaStoreError
from anemo.captcha import StoreUnavailable as CaptchaStoreUnavailable
from anemo.captcha.redis import AsyncRedisStore
from anemo.sessions import RedisStore, ShardedStore
from anemo.sessions import StoreError as SessionStoreError
from anemo.sessions import StoreUnavailable as SessionStoreUnavailable
from anemo_demo.challenges import SQLiteChallengeStore
from anemo_demo.config import ConfigError, parse_config
from anemo_testing import NotRedisServer, RedisServer, Servers, free_port

PASSWORD = "correct horse battery"


def flow(live, client, register_user, solve_captcha, username: str) -> None:  # type: ignore[no-untyped-def]
    """Register, read the account page, keep a hosts draft, log out, log in again."""
    assert register_user(live, client, username).location == "/account"
    assert client.get("/account").body.count('class="session current"') == 1
    client.post(
        "/hosts", {"owner.name": "o", "owner.email": "o@example.com", "hosts[0].host": "h", "action": "add"}
    )
    assert client.get("/hosts").body.count('class="host-row"') == 2
    assert client.post("/logout").location == "/"
    assert client.get("/account").status == 302
    page = client.get("/login").body
    response = client.post(
        "/login", {"username": username, "password": PASSWORD, **solve_captcha(live, page)}
    )
    assert response.location == "/account"


@pytest.mark.parametrize("kind", ["redis", "sharded"])
def test_flows_on_server_sessions(
    kind, servers: Servers, make_live, new_client, register_user, solve_captcha
) -> None:  # type: ignore[no-untyped-def]
    nodes = [servers.redis() for _ in range(1 if kind == "redis" else 3)]
    live = make_live(session_store=",".join(node.url for node in nodes), captcha_store="session")
    client = new_client(live)
    flow(live, client, register_user, solve_captcha, f"user-{kind}")
    page = client.get("/cluster").body
    assert f'id="store-kind">{kind}<' in page
    assert page.count('class="node"') == len(nodes)  # every node reachable


def start_demo(port: int, data_dir: Path, *options: str) -> subprocess.Popen[bytes]:
    with open(data_dir / f"demo-{port}.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "anemo_demo", "--port", str(port), "--data-dir", str(data_dir),
             "--cookie-secret", "shared secret for two processes", *options],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bare", timeout=1) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError(f"demo on {port} did not start: {(data_dir / f'demo-{port}.log').read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class CaptchaHook:
    """The test's own service over the demo's shared captcha store: it reads a challenge's text."""

    def __init__(self, redis_url: str | None, data_dir: Path) -> None:
        self.redis_url = redis_url
        self.data_dir = data_dir

    def answer(self, challenge_id: str) -> str:
        async def read() -> str:
            if self.redis_url is None:
                store = SQLiteChallengeStore(self.data_dir / "challenges.sqlite3")
                try:
                    return await CaptchaService(store, key_prefix="anemo-demo.captcha:").aanswer(challenge_id)
                finally:
                    store.close()
            async with AsyncRedisStore.from_url(self.redis_url) as redis:
                return await CaptchaService(redis, key_prefix="anemo-demo.captcha:").aanswer(challenge_id)

        return asyncio.run(read())


def shared_stores(kind: str, request: pytest.FixtureRequest, data_dir: Path) -> tuple[list[str], str | None]:
    """The options that make demo processes share ``kind`` stores, and the captchas' Redis URL."""
    if kind == "sqlite":
        return [
            "--session-store",
            f"sqlite:///{data_dir / 'sessions.sqlite3'}",
            "--captcha-store",
            "sqlite",
        ], None
    server: RedisServer = request.getfixturevalue("redis_server")
    return ["--session-store", server.url, "--captcha-store", "session"], server.url


@pytest.mark.parametrize("kind", ["redis", "sqlite"])
def test_two_processes_share_sessions_and_captchas(
    kind: str, request: pytest.FixtureRequest, tmp_path, new_client, solve_captcha
) -> None:  # type: ignore[no-untyped-def]
    """Logged in on one process, logged in on the other; a captcha issued by one verifies at the other.
    On SQLite, a process started after both stopped still knows the visitor (no server needed)."""
    options, redis_url = shared_stores(kind, request, tmp_path)
    first_port, second_port = free_port(), free_port()
    first = start_demo(first_port, tmp_path, *options)
    second = start_demo(second_port, tmp_path, *options)
    try:
        hook = CaptchaHook(redis_url, tmp_path)

        class Remote:  # what the fixtures' helpers need of a live app
            url = f"http://127.0.0.1:{first_port}"
            answer = staticmethod(hook.answer)

        one = new_client(Remote)
        page = one.get("/register").body
        other = f"http://127.0.0.1:{second_port}"
        fields = solve_captcha(Remote, page)
        data = {
            "username": "zoe",
            "email": "zoe@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            **fields,
        }
        one.base = other  # the form shown by the first process is posted to the second
        assert one.post("/register", data).location == "/account"
        assert 'id="signed-in-as">zoe<' in one.get("/account").body
        one.base = Remote.url
        assert 'id="signed-in-as">zoe<' in one.get("/account").body
    finally:
        stop(first)
        stop(second)
    if kind == "sqlite":
        restarted = start_demo(first_port, tmp_path, *options)
        try:
            assert 'id="signed-in-as">zoe<' in one.get("/account").body
        finally:
            stop(restarted)


@pytest.mark.parametrize("kind", ["redis", "default"])
def test_forked_processes_serve_one_site(kind: str, request: pytest.FixtureRequest, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """--processes 2 forks after binding; requests spread over both and all see one session, on
    Redis or, given no store, on the SQLite files the processes share in the data directory."""
    port = free_port()
    options = shared_stores("redis", request, tmp_path)[0] if kind == "redis" else []
    process = start_demo(port, tmp_path, "--processes", "2", *options)
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        counts = []
        for _ in range(20):
            with opener.open(f"http://127.0.0.1:{port}/visits?format=json", timeout=5) as response:
                counts.append(int(re.search(rb'"visits": (\d+)', response.read()).group(1)))  # type: ignore[union-attr]
        assert counts == list(range(1, 21))
    finally:
        stop(process)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:  # the children follow their parent out
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/bare", timeout=0.5).close()
        except OSError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("forked children are still serving after their parent stopped")
    if kind == "default":
        assert (tmp_path / "sessions.sqlite3").exists()


def test_sqlite_is_the_default_for_several_processes(tmp_path: Path) -> None:
    """--processes 2 and no store: sessions and captchas in the data directory, not a refusal."""
    config = parse_config(["--processes", "2", "--data-dir", str(tmp_path)], {})
    assert config.session_store == f"sqlite:///{tmp_path / 'sessions.sqlite3'}"
    assert config.captcha_store == "sqlite"
    single = parse_config(["--data-dir", str(tmp_path)], {})
    assert (single.session_store, single.captcha_store) == ("memory://", "memory")


def test_memory_store_refuses_several_processes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-m", "anemo_demo", "--processes", "2", "--data-dir", str(tmp_path),
         "--session-store", "memory://"],
        check=False, capture_output=True, text=True, timeout=30, env={**os.environ},
    )  # fmt: skip
    assert result.returncode == 2
    assert "several processes cannot share sessions kept in memory" in result.stderr


@pytest.mark.parametrize(
    "session_store",
    [
        "memory://",
        "memcached://127.0.0.1:11211",
        "redis+sentinel://127.0.0.1:26379/mymaster",
        "unix:///run/r.sock",
    ],
)
def test_captchas_in_the_session_store_need_one_they_can_share(session_store: str) -> None:
    """Only a redis:// or redis+cluster:// session store can lend its server to the captchas."""
    with pytest.raises(ConfigError, match="--captcha-store session needs a redis:// or redis\\+cluster://"):
        parse_config(["--session-store", session_store, "--captcha-store", "session"], {})
    assert parse_config(
        ["--session-store", "redis://h:1/0", "--captcha-store", "session"], {}
    ).captcha_redis_url


def test_a_dead_shard_gives_503_never_500(servers: Servers, make_live, new_client, register_user) -> None:  # type: ignore[no-untyped-def]
    """Kill one of three shards mid-run: its users get a 503 for what needs their session (the rest
    of the site serves them a fresh one), and the others keep their sessions."""
    nodes = [servers.redis() for _ in range(3)]
    live = make_live(session_store=",".join(node.url for node in nodes), captcha_store="memory")
    store = live.services.sessions.store
    assert isinstance(store, ShardedStore)
    clients = []
    for number in range(9):
        client = new_client(live)
        register_user(live, client, f"user{number}")
        clients.append(client)
    homes = {}
    for client in clients:
        session_id = live.services.sessions.open(client.cookie("session")).claim.id
        assert session_id is not None
        homes[id(client)] = store.node_of(session_id)
    victim_name = max(set(homes.values()), key=list(homes.values()).count)
    victim = next(node for node in nodes if victim_name.endswith(str(node.port)))
    victim.kill()
    for number, client in enumerate(clients):
        for path in ("/", "/account"):
            started = time.monotonic()
            response = client.get(path)
            assert response.status != 500
            assert time.monotonic() - started < 1.5
            if homes[id(client)] != victim_name:
                assert response.status == 200
                assert f'id="signed-in-as">user{number}<' in response.body  # still signed in
            elif path == "/account":  # their sign-in is on the dead shard
                assert response.status == 503
                assert '<h1 id="status">503</h1>' in response.body
            else:  # the home page needs no stored session: a fresh one
                assert response.status == 200
                assert 'id="signed-in-as"' not in response.body
    newcomer = new_client(live)
    assert newcomer.get("/visits").status == 200  # new visitors are placed on live shards


def test_sessions_and_captcha_fail_the_same_way_on_one_redis(
    servers: Servers, not_redis: NotRedisServer
) -> None:
    """The demo keeps both in one Redis: the two packages' stores wait as long, never retry, and
    call the same failures unavailable (a 503) or an error (a 500)."""
    sessions = RedisStore.from_url("redis://127.0.0.1:1/0", timeout=0.3)
    captcha = AsyncRedisStore.from_url("redis://127.0.0.1:1/0", timeout=0.3)
    options = [store.client.connection_pool.connection_kwargs for store in (sessions, captcha)]
    for kwargs in options:
        assert (kwargs["socket_timeout"], kwargs["socket_connect_timeout"]) == (0.3, 0.3)
        assert type(kwargs["retry"]) is redis.asyncio.retry.Retry
        assert kwargs["retry"].get_retries() == 0

    full, paused, dead = servers.redis(), servers.redis(), servers.redis()
    full.execute("CONFIG", "SET", "maxmemory-policy", "noeviction")
    full.execute("CONFIG", "SET", "maxmemory", "1")
    dead.kill()
    cases = {"full": full.url, "paused": paused.url, "dead": dead.url, "not redis": not_redis.url}

    async def outcome(write: Awaitable[object]) -> str:
        try:
            await write
        except (SessionStoreUnavailable, CaptchaStoreUnavailable):
            return "unavailable"
        except (SessionStoreError, CaptchaStoreError):
            return "error"
        return "ok"

    async def main() -> dict[str, tuple[str, str]]:
        seen = {}
        for name, url in cases.items():
            if name == "paused":
                paused.execute("CLIENT", "PAUSE", "1500", "ALL")
            async with (
                RedisStore.from_url(url, timeout=0.3) as one,
                AsyncRedisStore.from_url(url, timeout=0.3) as two,
            ):
                seen[name] = (
                    await outcome(one.save("a" * 43, {"k": 1}, (), ttl=10)),
                    await outcome(two.add("k", b"v", 10)),
                )
        return seen

    assert asyncio.run(main()) == {
        "full": ("error", "error"),
        "paused": ("unavailable", "unavailable"),
        "dead": ("unavailable", "unavailable"),
        "not redis": ("error", "error"),
    }


def test_a_sentinel_failover_gives_503s_then_the_same_sessions(
    servers: Servers, make_live, new_client
) -> None:  # type: ignore[no-untyped-def]
    """The master killed mid-run: requests get 200 or 503, none hangs, and each visitor's count goes on."""
    group = servers.redis_sentinel()
    live = make_live(session_store=group.url, captcha_store="memory")
    clients = [new_client(live) for _ in range(3)]
    counts = [0] * len(clients)
    statuses: list[int] = []
    slowest = 0.0

    def visit_all() -> list[int]:
        nonlocal slowest
        start = len(statuses)
        for index, client in enumerate(clients):
            started = time.monotonic()
            response = client.get("/visits?format=json")
            slowest = max(slowest, time.monotonic() - started)
            statuses.append(response.status)
            if response.status == 200:
                counts[index] = int(re.search(r'"visits": (\d+)', response.body).group(1))  # type: ignore[union-attr]
        return statuses[start:]

    for _ in range(3):
        visit_all()
    assert counts == [3, 3, 3]
    group.kill_master()
    switched, deadline = False, time.monotonic() + 20
    while time.monotonic() < deadline:
        answered = visit_all()
        switched = switched or 503 in answered
        if switched and answered == [200, 200, 200]:
            break
    else:
        raise AssertionError(f"no 503 then recovery within 20 s: {sorted(set(statuses))}")
    assert set(statuses) == {200, 503}
    assert slowest < 3.0
    assert all(count > 3 for count in counts)  # the same sessions, counting on

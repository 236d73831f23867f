"""Servers dying, stalling and coming back: fail fast, never resurrect, recover by themselves."""

from __future__ import annotations

import asyncio
import collections
import time
import warnings

import pytest
import redis.exceptions
import valkey.asyncio
import valkey.exceptions

from anemo.sessions import (
    RedisClusterStore,
    RedisStore,
    SessionManager,
    ShardedStore,
    StoreError,
    StoreUnavailable,
    store_from_url,
)
from anemo_testing import NotRedisServer, RedisCluster, RedisServer, Servers, redis_client_options

SECRET = "failure secret"


async def new_session(manager: SessionManager, **data: object) -> str:
    session = await manager.load(manager.open(None))
    session.update(data)
    update = await manager.save(session)
    assert update is not None
    assert update.value is not None
    return update.value


#: Each client library, on its own server: redis-py on redis-server, valkey-py on valkey-server.
LIBRARIES = pytest.mark.parametrize("library", ["redis", "valkey"])


def start(servers: Servers, library: str, *, unix_socket: bool = False) -> RedisServer:
    return (
        servers.valkey(unix_socket=unix_socket)
        if library == "valkey"
        else servers.redis(unix_socket=unix_socket)
    )


def url_for(server: RedisServer, library: str) -> str:
    return server.valkey_url if library == "valkey" else server.redis_url


@LIBRARIES
def test_dead_redis_fails_fast_and_recovers(servers: Servers, run, library: str) -> None:
    """Killed: StoreUnavailable in well under a second. Restarted: the same store works again."""
    server = start(servers, library)

    async def main() -> None:
        async with RedisStore.from_url(url_for(server, library), library=library) as store:
            manager = SessionManager(store, SECRET)
            cookie = await new_session(manager, a=1)
            server.kill()
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(StoreUnavailable) as caught:
                    await manager.load(manager.open(cookie))
                assert time.monotonic() - started < 1.0
                assert caught.value.address == f"127.0.0.1:{server.port}"
            report = await store.health()
            assert not report[0].reachable
            server.start()
            await new_session(manager, b=2)  # the client reconnects by itself

    run(main())


@LIBRARIES
def test_stalled_redis_times_out(servers: Servers, run, library: str) -> None:
    """A server that accepts but does not answer (CLIENT PAUSE) fails within the timeout."""
    server = start(servers, library)

    async def main() -> None:
        async with RedisStore.from_url(url_for(server, library), timeout=0.3, library=library) as store:
            manager = SessionManager(store, SECRET)
            cookie = await new_session(manager, a=1)
            server.execute("CLIENT", "PAUSE", "2000", "ALL")
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await manager.load(manager.open(cookie))
            assert 0.25 < time.monotonic() - started < 1.0

    run(main())


def test_sharded_node_death_isolates_its_sessions(servers: Servers, run) -> None:
    """Kill the busiest of 3 shards under traffic: the others' sessions work, its own fail fast,
    and a logout refused during the outage is not lost, nor a deleted session resurrected."""
    nodes = [servers.redis() for _ in range(3)]

    async def main() -> None:
        stores = {f"n{i}": RedisStore.from_url(node.url) for i, node in enumerate(nodes)}
        async with ShardedStore(stores) as store:
            manager = SessionManager(store, SECRET)
            cookies = [await new_session(manager, n=n) for n in range(60)]
            homes = {}
            for cookie in cookies:
                session_id = manager.open(cookie).claim.id
                assert session_id is not None
                homes[cookie] = store.node_of(session_id)
            counts = collections.Counter(homes.values())
            assert len(counts) == 3  # the ring spreads them
            victim_name = counts.most_common(1)[0][0]
            victim = nodes[int(victim_name[1:])]
            survivors = [c for c in cookies if homes[c] != victim_name]
            stranded = [c for c in cookies if homes[c] == victim_name]

            revoked_before = stranded[0]  # logged out before the snapshot: must stay dead
            session = await manager.load(manager.open(revoked_before))
            session.invalidate()
            await manager.save(session)
            victim.execute("SAVE")

            async def use(cookie: str) -> object:
                session = await manager.load(manager.open(cookie))
                session["seen"] = True
                return await manager.save(session)

            stop = asyncio.Event()
            served: list[int] = [0]

            async def traffic() -> None:  # the other nodes' visitors, all through the kill
                while not stop.is_set():
                    for cookie in survivors[1:]:
                        await use(cookie)  # any StoreUnavailable here fails the test
                        served[0] += 1
                    await asyncio.sleep(0)

            background = asyncio.create_task(traffic())
            await asyncio.sleep(0.05)
            victim.kill()

            deleted_during = survivors[0]
            session = await manager.load(manager.open(deleted_during))
            session.invalidate()
            await manager.save(session)

            for cookie in survivors[1:]:
                await use(cookie)
            for cookie in stranded[1:]:
                started = time.monotonic()
                with pytest.raises(StoreUnavailable):
                    await use(cookie)
                assert time.monotonic() - started < 1.0
            for _ in range(30):  # new visitors meanwhile: placed on the live nodes only
                session_id = manager.open(await new_session(manager, late=True)).claim.id
                assert session_id is not None
                assert store.node_of(session_id) != victim_name
            stop.set()
            await background
            assert served[0] > len(survivors)  # the traffic really ran across the outage

            victim.start()  # back, from the snapshot taken before the kill
            assert (await manager.load(manager.open(revoked_before))).is_new
            assert (await manager.load(manager.open(deleted_during))).is_new
            back = await manager.load(manager.open(stranded[1]))
            assert back["n"] is not None  # its own sessions come back on their own node
            for cookie in survivors[1:]:
                assert (await manager.load(manager.open(cookie)))["seen"] is True

    run(main())


def test_adding_a_node_moves_no_session(servers: Servers, run) -> None:
    """A new shard takes new sessions only; every existing session stays readable where it was."""
    nodes = [servers.redis() for _ in range(3)]

    async def main() -> None:
        two = {f"n{i}": RedisStore.from_url(nodes[i].url) for i in range(2)}
        before = ShardedStore(two)
        manager = SessionManager(before, SECRET)
        cookies = [await new_session(manager, n=n) for n in range(30)]
        three = ShardedStore({**two, "n2": RedisStore.from_url(nodes[2].url)})
        grown = SessionManager(three, SECRET)
        for n, cookie in enumerate(cookies):
            assert (await grown.load(grown.open(cookie)))["n"] == n
        placed = set()
        for _ in range(40):
            session_id = grown.open(await new_session(grown, x=1)).claim.id
            assert session_id is not None
            placed.add(three.node_of(session_id))
        assert "n2" in placed
        await three.aclose()

    run(main())


def test_cluster_sessions_on_every_master(redis_cluster: RedisCluster, run) -> None:
    """Sessions land in slots on each of the 3 masters, and each session's keys share one slot."""

    async def main() -> None:
        async with RedisClusterStore.from_nodes(
            redis_cluster.startup_nodes, **redis_client_options()
        ) as store:
            manager = SessionManager(store, SECRET)
            masters = set()
            for n in range(40):
                session = await manager.load(manager.open(None))
                session.set_user("grace")
                session["n"] = n
                update = await manager.save(session)
                assert update is not None
                assert session.state.key is not None
                masters.add(int(store.node_of(session.state.key).rsplit(":", 1)[1]))
                assert (await manager.load(manager.open(update.value)))["n"] == n
            assert masters == {node.port for node in redis_cluster.nodes}
            assert len(await manager.sessions_of("grace")) == 40
            index_key = store._user_key(manager.user_key("grace"))
            slot = redis_cluster.nodes[0].execute("CLUSTER", "KEYSLOT", index_key)
            assert slot.startswith(b":")

    run(main())


# After a master dies, redis-py's cluster client re-reads the slot map and can drop node objects
# whose sockets it closes only in a background task; a closed store may still leave one behind.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_cluster_master_death_fails_fast(redis_cluster: RedisCluster, run) -> None:
    """A dead master's sessions raise StoreUnavailable quickly; the other masters' keep working."""

    async def main() -> None:
        async with RedisClusterStore.from_nodes(
            redis_cluster.startup_nodes, **redis_client_options()
        ) as store:
            manager = SessionManager(store, SECRET)
            cookies = [await new_session(manager, n=n) for n in range(30)]
            victim = redis_cluster.nodes[0]
            ports = {}
            for cookie in cookies:
                key = (await manager.load(manager.open(cookie))).state.key
                assert key is not None
                ports[cookie] = store.client.get_node_from_key(store.redis_key(key)).port
            victim.kill()
            for cookie in cookies:
                started = time.monotonic()
                if ports[cookie] == victim.port:
                    with pytest.raises(StoreUnavailable):
                        await manager.load(manager.open(cookie))
                    assert time.monotonic() - started < 1.5
                else:
                    assert not (await manager.load(manager.open(cookie))).is_new

    run(main())


def test_every_redis_store_builds_and_runs_without_a_warning(redis_server: RedisServer, run) -> None:
    """redis-py 8.2 warns when an asyncio client gets the sync Retry: none of our stores may."""

    async def main() -> None:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            stores = [
                RedisStore.from_url(redis_server.url),
                store_from_url(redis_server.url),
                store_from_url(f"{redis_server.url},{redis_server.url.replace('/0', '/1')}"),
                RedisClusterStore.from_nodes([("127.0.0.1", 1)], **redis_client_options()),
            ]
            manager = SessionManager(stores[0], SECRET)
            await manager.load(manager.open(await new_session(manager, a=1)))
            for store in stores:
                await store.aclose()
        assert [str(warning.message) for warning in caught] == []

    run(main())


@LIBRARIES
def test_an_error_the_server_answers_is_a_store_error_not_unavailable(
    servers: Servers, not_redis: NotRedisServer, run, library: str
) -> None:
    """OOM under noeviction and a port that is not Redis: StoreError, so the app answers 500, not 503."""
    server = start(servers, library)
    server.execute("CONFIG", "SET", "maxmemory-policy", "noeviction")
    server.execute("CONFIG", "SET", "maxmemory", "1")
    library_error = valkey.exceptions.ValkeyError if library == "valkey" else redis.exceptions.RedisError
    wrong_port = not_redis.url.replace("redis://", f"{library}://")

    async def main() -> None:
        for url, reason in ((url_for(server, library), "maxmemory"), (wrong_port, "(?i)protocol error")):
            async with RedisStore.from_url(url, library=library) as store:
                manager = SessionManager(store, SECRET)
                with pytest.raises(StoreError, match=reason) as caught:
                    await new_session(manager, a=1)
                assert not isinstance(caught.value, StoreUnavailable)
                assert isinstance(caught.value.__cause__, library_error)

    run(main())


def test_cluster_store_from_url(redis_cluster: RedisCluster, run) -> None:
    """RedisClusterStore.from_url reaches the whole cluster through one node's URL (it used to raise)."""
    host, port = redis_cluster.startup_nodes[0]
    protocol = redis_client_options().get("protocol")
    url = f"redis://{host}:{port}" + (f"?protocol={protocol}" if protocol else "")

    async def main() -> None:
        async with RedisClusterStore.from_url(url) as store:
            manager = SessionManager(store, SECRET)
            cookie = await new_session(manager, n=7)
            assert (await manager.load(manager.open(cookie)))["n"] == 7
            assert len(await store.health()) == len(redis_cluster.nodes)

    run(main())


@LIBRARIES
def test_a_unix_socket_store_works_and_fails_fast(servers: Servers, run, library: str) -> None:
    """unix:// (valkey+unix://) reaches the server by its socket; killed, it fails like TCP does."""
    server = start(servers, library, unix_socket=True)
    url = server.unix_url  # unix:// on redis-server, valkey+unix:// on valkey-server

    async def main() -> None:
        async with store_from_url(url) as store:
            assert isinstance(store, RedisStore)
            assert type(store.client).__module__.split(".")[0] == library
            manager = SessionManager(store, SECRET)
            cookie = await new_session(manager, a=1)
            assert (await manager.load(manager.open(cookie)))["a"] == 1
            assert f"laddr={server.socket_path}:0" in str(server.call("CLIENT", "LIST"))  # not over TCP
            server.kill()
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await manager.load(manager.open(cookie))
            assert time.monotonic() - started < 1.0

    run(main())


class AppValkey(valkey.asyncio.Valkey):
    """An application's own client class, as some apps subclass theirs."""


def test_a_subclassed_valkey_client_still_has_its_errors_mapped(servers: Servers, run) -> None:
    """The library is found through the client's base classes, not only its own module."""
    server = servers.valkey()

    async def main() -> None:
        client = AppValkey(host=server.host, port=server.port, socket_timeout=0.5, socket_connect_timeout=0.5)
        async with RedisStore(client) as store:
            manager = SessionManager(store, SECRET)
            cookie = await new_session(manager, a=1)
            server.kill()
            with pytest.raises(StoreUnavailable) as caught:
                await manager.load(manager.open(cookie))
            assert isinstance(caught.value.__cause__, valkey.exceptions.ConnectionError)

    run(main())

"""The server helper against real processes: ready, killable, restartable, clustered."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from anemo_testing import (
    MemcachedServer,
    MissingServerBinary,
    NotRedisServer,
    RedisCluster,
    RedisServer,
    ServerError,
    Servers,
    free_port,
    redis_client_options,
)


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_redis_answers_ping_and_stores(redis_server: RedisServer) -> None:
    """A started redis-server answers PING and keeps a value."""
    assert redis_server.execute("PING") == b"+PONG\r\n"
    assert redis_server.execute("SET", "k", "v") == b"+OK\r\n"
    assert redis_server.execute("GET", "k") == b"$1\r\nv\r\n"


def test_redis_is_bound_to_loopback_without_persistence(redis_server: RedisServer) -> None:
    """No RDB snapshots or AOF: tests leave nothing on disk and start empty."""
    assert b"save\r\n$0\r\n" in redis_server.execute("CONFIG", "GET", "save")
    assert b"appendonly\r\n$2\r\nno" in redis_server.execute("CONFIG", "GET", "appendonly")
    assert b"127.0.0.1" in redis_server.execute("CONFIG", "GET", "bind")


def test_memcached_answers_version_and_stores(memcached_server: MemcachedServer) -> None:
    """A started memcached answers the text protocol."""
    with socket.create_connection(memcached_server.address, timeout=2) as sock:
        sock.sendall(b"set k 0 0 1\r\nv\r\nget k\r\n")
        reply = b""
        while not reply.endswith(b"END\r\n"):
            reply += sock.recv(1024)
    assert reply == b"STORED\r\nVALUE k 0 1\r\nv\r\nEND\r\n"


@pytest.mark.parametrize("kind", ["redis", "memcached"])
def test_killed_server_refuses_and_restarted_answers(servers: Servers, kind: str) -> None:
    """kill() is a crash (connections refused at once); restart() serves the same port again."""
    server = servers.redis() if kind == "redis" else servers.memcached()
    pid = server.pid
    assert pid is not None
    server.kill()
    assert not server.running
    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert refuses_connections(server.port)
    server.restart()
    assert server.running
    assert server.ping()
    assert server.pid != pid


def test_several_servers_at_once_on_distinct_ports(servers: Servers) -> None:
    """Sharding tests need several independent nodes."""
    nodes = [servers.redis() for _ in range(3)]
    assert len({node.port for node in nodes}) == 3
    nodes[0].execute("SET", "only-here", "1")
    assert nodes[1].execute("EXISTS", "only-here") == b":0\r\n"


def test_factory_stops_everything_it_started(tmp_path: Path) -> None:
    """close() leaves no process behind."""
    factory = Servers(tmp_path)
    redis, memcached = factory.redis(), factory.memcached()
    factory.close()
    for server in (redis, memcached):
        assert not server.running
        assert refuses_connections(server.port)


def test_cluster_covers_all_slots(redis_cluster: RedisCluster) -> None:
    """Every node of a fresh cluster reports state ok and all 16384 slots assigned."""
    assert len(redis_cluster.nodes) == 3
    for node in redis_cluster.nodes:
        info = redis_cluster.info(node)
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == "16384"
        assert info["cluster_known_nodes"] == "3"
    assert all(node.port + 10000 <= 65535 for node in redis_cluster.nodes), "no room for the bus"


def test_cluster_node_kill_and_restart(redis_cluster: RedisCluster) -> None:
    """A killed cluster node refuses connections; restarted, it rejoins and the cluster is ok."""
    victim = redis_cluster.nodes[1]
    victim.kill()
    assert refuses_connections(victim.port)
    victim.restart()
    redis_cluster.wait_ok()
    assert redis_cluster.info(victim)["cluster_state"] == "ok"


def test_missing_binary_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the program on PATH the error says what to install."""
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingServerBinary, match=r"apt-get install -y memcached"):
        MemcachedServer(tmp_path)
    with pytest.raises(MissingServerBinary, match=r"redis-tools"):
        RedisCluster(tmp_path)


def test_server_that_exits_at_start_reports_its_log(tmp_path: Path) -> None:
    """A bad configuration fails fast with the server's own words, not a timeout."""
    server = RedisServer(tmp_path, extra=["--no-such-option", "x"])
    with pytest.raises(ServerError, match="exited at start"):
        server.start()


def test_free_port_respects_limit() -> None:
    """free_port(limit) never returns a port above the limit."""
    assert all(free_port(55535) <= 55535 for _ in range(20))


def test_not_redis_answers_like_an_http_server(not_redis: NotRedisServer) -> None:
    """The wrong-port stand-in accepts a Redis command and answers with an HTTP status line."""
    with socket.create_connection(("127.0.0.1", not_redis.port), timeout=2) as sock:
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 400")
    assert not_redis.url == f"redis://127.0.0.1:{not_redis.port}/0"


@pytest.mark.parametrize(("setting", "query"), [("", ""), ("2", "?protocol=2"), ("3", "?protocol=3")])
def test_redis_urls_carry_the_chosen_protocol(
    setting: str, query: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ANEMO_REDIS_PROTOCOL picks RESP2 or RESP3 for every client built from a fixture's URL."""
    monkeypatch.setenv("ANEMO_REDIS_PROTOCOL", setting)
    server = RedisServer(tmp_path, port=6390)
    assert server.url == f"redis://127.0.0.1:6390/0{query}"
    assert redis_client_options() == ({"protocol": int(setting)} if setting else {})


def test_an_unknown_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo in ANEMO_REDIS_PROTOCOL fails loudly instead of testing the default twice."""
    monkeypatch.setenv("ANEMO_REDIS_PROTOCOL", "resp3")
    with pytest.raises(ValueError, match="2 or 3"):
        redis_client_options()

"""The pymemcache hasher and the redis helper, against real memcached and redis servers."""

from __future__ import annotations

import pytest
import redis
from pymemcache.client.base import Client
from pymemcache.client.hash import HashClient

from anemo.hashring import (
    DuplicateNodeError,
    HashRing,
    InvalidOptionError,
    UnknownNodeError,
    pymemcache_hasher,
    redis_node_name,
    redis_ring,
)
from anemo_testing import Servers

KEYS = [f"user:{i}" for i in range(300)]


def test_pymemcache_hashclient_stores_each_key_where_the_ring_says(servers: Servers) -> None:
    """HashClient with our hasher puts every key on the server the ketama ring names."""
    memcacheds = [servers.memcached() for _ in range(3)]
    addresses = [(server.host, server.port) for server in memcacheds]
    client = HashClient(addresses, hasher=pymemcache_hasher(compat="ketama"))
    for key in KEYS:
        client.set(key, key.encode(), noreply=False)
    ring = HashRing([f"{host}:{port}" for host, port in addresses], compat="ketama")
    direct = {f"{host}:{port}": Client((host, port)) for host, port in addresses}
    for key in KEYS:
        owner = ring.get_node(key)
        assert direct[owner].get(key) == key.encode()  # type: ignore[index]
        assert all(other.get(key) is None for name, other in direct.items() if name != owner)
    assert len({ring.get_node(key) for key in KEYS}) == 3
    for other in direct.values():
        other.close()
    client.close()


def test_pymemcache_hasher_drops_a_dead_server(servers: Servers) -> None:
    """When HashClient gives up on a killed server, the ring drops it and only its keys move."""
    memcacheds = [servers.memcached() for _ in range(3)]
    addresses = [(server.host, server.port) for server in memcacheds]
    client = HashClient(
        addresses,
        hasher=pymemcache_hasher(),
        retry_attempts=1,
        retry_timeout=0,
        dead_timeout=600,
        connect_timeout=0.5,
        timeout=0.5,
        ignore_exc=True,
    )
    hasher = client.hasher
    assert isinstance(hasher, HashRing)
    before = {key: hasher.get_node(key) for key in KEYS}
    dead = f"{addresses[0][0]}:{addresses[0][1]}"
    memcacheds[0].kill()
    doomed = next(key for key, owner in before.items() if owner == dead)
    for _ in range(5):
        client.get(doomed)
        if dead not in hasher:
            break
    assert dead not in hasher
    for key, owner in before.items():
        assert hasher.get_node(key) == owner or owner == dead
    client.close()


def test_pymemcache_hasher_checks_options_at_once() -> None:
    """A bad option fails when the hasher is made, not at the client's first lookup."""
    with pytest.raises(InvalidOptionError):
        pymemcache_hasher(vnodes=0)


def test_redis_ring_routes_each_key_to_one_server(servers: Servers) -> None:
    """get_payload gives the client of the owner; each key lives on exactly that server."""
    clients = [redis.Redis(host=s.host, port=s.port) for s in (servers.redis(), servers.redis())]
    ring = redis_ring(clients, weights={redis_node_name(clients[1]): 2})
    assert dict(ring.nodes) == {redis_node_name(clients[0]): 1, redis_node_name(clients[1]): 2}
    for key in KEYS:
        ring.get_payload(key).set(key, "v")
    for key in KEYS:
        owner = ring.get_node(key)
        for client in clients:
            assert bool(client.exists(key)) == (redis_node_name(client) == owner)
    counts = ring.balance(KEYS).counts
    assert counts[redis_node_name(clients[1])] > counts[redis_node_name(clients[0])]
    for client in clients:
        client.close()


def test_redis_node_names() -> None:
    """Names are host:port, with /db when not 0, or the unix socket path."""
    assert redis_node_name(redis.Redis(host="10.0.0.1", port=6380)) == "10.0.0.1:6380"
    assert redis_node_name(redis.Redis(host="10.0.0.1", port=6380, db=3)) == "10.0.0.1:6380/3"
    assert redis_node_name(redis.Redis(unix_socket_path="/run/redis.sock")) == "/run/redis.sock"
    assert redis_node_name(redis.asyncio.Redis(host="h", port=1)) == "h:1"


def test_redis_ring_refuses_ambiguous_input() -> None:
    """Two clients of one address, or a weight for no client, are errors."""
    same = [redis.Redis(host="h", port=1), redis.Redis(host="h", port=1)]
    with pytest.raises(DuplicateNodeError):
        redis_ring(same)
    with pytest.raises(UnknownNodeError):
        redis_ring({"a": same[0]}, weights={"b": 2})
    named = redis_ring({"primary": same[0]})
    assert named.payload("primary") is same[0]

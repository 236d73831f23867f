"""store_from_url: every form it accepts, and a clear error naming the wrong part otherwise."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.sessions import (
    InvalidStoreURL,
    MemcachedStore,
    MemoryStore,
    RedisClusterStore,
    RedisStore,
    ShardedStore,
    store_from_url,
)


def test_each_form_builds_its_store() -> None:
    assert isinstance(store_from_url("memory://"), MemoryStore)
    redis_store = store_from_url("redis://127.0.0.1:6390/2")
    assert isinstance(redis_store, RedisStore)
    assert redis_store.address == "127.0.0.1:6390/2"
    assert isinstance(store_from_url("rediss://127.0.0.1:6390/0"), RedisStore)
    assert isinstance(store_from_url("memcached://127.0.0.1:11299"), MemcachedStore)
    cluster = store_from_url("redis+cluster://127.0.0.1:7000,127.0.0.1:7001")
    assert isinstance(cluster, RedisClusterStore)
    assert cluster.address == "cluster 127.0.0.1:7000,127.0.0.1:7001"  # how errors name it


def test_a_list_is_a_weighted_sharded_store() -> None:
    store = store_from_url("redis://127.0.0.1:6390/0?weight=3, redis://127.0.0.1:6391/1,memcached://h:1")
    assert isinstance(store, ShardedStore)
    assert dict(store.ring.nodes) == {"127.0.0.1:6390": 3.0, "127.0.0.1:6391/1": 1.0, "h:1": 1.0}
    assert store.node_of(store.new_id()) in store.nodes


@pytest.mark.parametrize("protocol", [2, 3])
def test_a_redis_url_picks_the_resp_version(protocol: int) -> None:
    """``?protocol=N`` reaches the client, alone, beside a weight and on a cluster."""
    single = store_from_url(f"redis://127.0.0.1:6390/0?protocol={protocol}")
    assert isinstance(single, RedisStore)
    assert int(single.client.connection_pool.connection_kwargs["protocol"]) == protocol
    sharded = store_from_url(f"redis://h:1/0?weight=2&protocol={protocol},redis://h:2/0")
    assert isinstance(sharded, ShardedStore)
    first = sharded.nodes["h:1"]
    assert isinstance(first, RedisStore)
    assert int(first.client.connection_pool.connection_kwargs["protocol"]) == protocol
    assert dict(sharded.ring.nodes)["h:1"] == 2.0
    cluster = store_from_url(f"redis+cluster://127.0.0.1:7000?protocol={protocol}")
    assert isinstance(cluster, RedisClusterStore)
    assert cluster.client.nodes_manager.connection_kwargs["protocol"] == protocol


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("localhost:6379", "scheme"),
        ("mysql://h:1", "scheme"),
        ("redis://h:70000/0", "port"),
        ("redis://h:port/0", "port"),
        ("redis://:1/0", "host"),
        ("redis://h:1/zero", "database"),
        ("redis://h:1/0?weight=-1,redis://h:2/0", "weight"),
        ("redis://h:1/0?weight=x,redis://h:2/0", "weight"),
        ("redis://h:1/0?pool=3", "query"),
        ("memcached://h:1/db", "path"),
        ("memory://somewhere", "path"),
        ("redis://h:1,,redis://h:2", "list"),
        ("redis://h:1,redis://h:1", "list"),
        ("redis+cluster://", "host"),
        ("redis+cluster://h:1/0", "path"),
        ("redis://h:1/0?protocol=4", "protocol"),
        ("redis://h:1/0?protocol=resp3", "protocol"),
        ("redis+cluster://h:1?protocol=1", "protocol"),
        ("redis+cluster://h:1?weight=2", "query"),
        ("memcached://h:1?protocol=2", "query"),
    ],
)
def test_malformed_urls_name_the_wrong_part(url: str, part: str) -> None:
    with pytest.raises(InvalidStoreURL) as caught:
        store_from_url(url)
    assert caught.value.part == part
    assert isinstance(caught.value, ValueError)


def test_passwords_never_appear_in_errors() -> None:
    with pytest.raises(InvalidStoreURL) as caught:
        store_from_url("redis://user:hunter2@h:1/x")
    assert "hunter2" not in str(caught.value)


@given(st.text(max_size=80))
def test_any_string_is_a_store_or_a_value_error(url: str) -> None:
    """No input crashes deep inside: it builds a store or raises ValueError."""
    with contextlib.suppress(ValueError):
        store_from_url(url)

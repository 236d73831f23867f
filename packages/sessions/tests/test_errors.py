"""A mistake in the calling code is a SessionError and a ValueError or TypeError, raised when the
manager or store is made; a server's failure is a StoreError with the client's error as cause."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis.exceptions
import tornado.web

from anemo.sessions import (
    InvalidOption,
    InvalidOptionType,
    InvalidStoreURL,
    MemcachedStore,
    MemoryStore,
    RedisClusterStore,
    RedisStore,
    SessionError,
    SessionManager,
    ShardedStore,
    StoreUnavailable,
    store_from_url,
)
from anemo.sessions.tornado import session_manager
from anemo_testing import raises_mistake

VALUE_MISTAKES: dict[str, Callable[[], object]] = {
    "a negative idle timeout": lambda: SessionManager(MemoryStore(), "k", idle_timeout=-1),
    "no lifetime": lambda: SessionManager(MemoryStore(), "k", lifetime=0),
    "an infinite lifetime": lambda: SessionManager(MemoryStore(), "k", lifetime=float("inf")),
    "a NaN idle timeout": lambda: SessionManager(MemoryStore(), "k", idle_timeout=float("nan")),
    "a refresh as long as the idle timeout": lambda: SessionManager(
        MemoryStore(), "k", idle_timeout=60, refresh_interval=60
    ),
    "an empty memory store": lambda: MemoryStore(max_sessions=0),
    "a Redis timeout of an hour": lambda: RedisStore.from_url("redis://127.0.0.1:1", timeout=3600),
    "a cluster without nodes": lambda: RedisClusterStore.from_nodes([]),
    "a memcached timeout of 0": lambda: MemcachedStore(timeout=0),
    "a memcached pool of no threads": lambda: MemcachedStore(threads=0),
    "no compare-and-set retries": lambda: MemcachedStore(cas_retries=0),
    "a sharded store of no nodes": lambda: ShardedStore({}),
    "a shard name with a space": lambda: ShardedStore({"a b": MemoryStore()}),
    "a weight for a node not there": lambda: ShardedStore({"a": MemoryStore()}, weights={"b": 2}),
    "a negative retry_after": lambda: ShardedStore({"a": MemoryStore()}, retry_after=-1),
    "a URL of an unknown scheme": lambda: store_from_url("mysql://127.0.0.1/"),
    "a tornado app without cookie_secret": lambda: session_manager(tornado.web.Application()),
}

TYPE_MISTAKES: dict[str, Callable[[], object]] = {
    "an idle timeout that is text": lambda: SessionManager(MemoryStore(), "k", idle_timeout="60"),  # type: ignore[arg-type]
    "a store URL of bytes": lambda: store_from_url(b"memory://"),  # type: ignore[arg-type]
    "a session_manager setting that is not one": lambda: session_manager(
        tornado.web.Application(session_manager=object())
    ),
}


@pytest.mark.parametrize("mistake", VALUE_MISTAKES.values(), ids=VALUE_MISTAKES.keys())
def test_a_bad_argument_is_an_invalid_option(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOption, SessionError, ValueError)


@pytest.mark.parametrize("mistake", TYPE_MISTAKES.values(), ids=TYPE_MISTAKES.keys())
def test_an_argument_of_the_wrong_type_is_an_invalid_option_type(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOptionType, SessionError, TypeError)


def test_a_bad_store_url_names_its_part_and_is_an_invalid_option() -> None:
    with pytest.raises(InvalidStoreURL) as caught:
        store_from_url("redis://127.0.0.1:notaport/0")
    assert isinstance(caught.value, InvalidOption)
    assert caught.value.part


def test_a_dead_server_is_a_store_error_caused_by_the_client(run: Callable[..., object]) -> None:
    async def load_from_a_closed_port() -> None:
        store = RedisStore.from_url("redis://127.0.0.1:1", timeout=0.2)
        try:
            await store.load("x" * 43)
        finally:
            await store.aclose()

    with pytest.raises(StoreUnavailable) as caught:
        run(load_from_a_closed_port())
    assert not isinstance(caught.value, ValueError | TypeError)
    assert isinstance(caught.value.__cause__, redis.exceptions.ConnectionError)
    assert caught.value.address == "127.0.0.1:1"

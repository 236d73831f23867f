"""store_from_url: every form it accepts, and a clear error naming the wrong part otherwise."""

from __future__ import annotations

import asyncio
import string
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from anemo.sessions import (
    DEFAULT_TIMEOUT,
    InvalidOption,
    InvalidStoreURL,
    MemcachedStore,
    MemoryStore,
    PostgresStore,
    RedisClusterStore,
    RedisSentinelStore,
    RedisStore,
    ShardedStore,
    SQLiteStore,
    redact_url,
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


@pytest.mark.parametrize(
    ("url", "library", "settings"),
    [
        ("unix:///run/redis.sock?db=3", "redis", {"path": "/run/redis.sock", "db": 3}),
        ("unix://:pw@/run/redis.sock", "redis", {"path": "/run/redis.sock", "db": 0, "password": "pw"}),
        ("valkey://127.0.0.1:6390/2", "valkey", {"host": "127.0.0.1", "port": 6390, "db": 2}),
        ("valkeys://u:pw@127.0.0.1:6390/0", "valkey", {"username": "u", "password": "pw"}),
        ("valkey+unix:///run/valkey.sock?db=1", "valkey", {"path": "/run/valkey.sock", "db": 1}),
    ],
)
def test_socket_and_valkey_urls_pick_their_client(
    url: str, library: str, settings: dict[str, object]
) -> None:
    """``valkey*`` URLs build a valkey-py client and the rest redis-py; sockets and credentials reach it."""
    store = store_from_url(url)
    assert isinstance(store, RedisStore)
    assert type(store.client).__module__.split(".")[0] == library
    kwargs = store.client.connection_pool.connection_kwargs
    assert {name: kwargs.get(name) for name in settings} == settings
    tls = url.startswith("valkeys://")
    assert ("SSL" in store.client.connection_pool.connection_class.__name__) == tls


def test_socket_urls_are_ring_nodes_by_path() -> None:
    store = store_from_url("unix:///run/a.sock, valkey+unix:///run/b.sock?db=2&weight=2")
    assert isinstance(store, ShardedStore)
    assert dict(store.ring.nodes) == {"/run/a.sock": 1.0, "/run/b.sock/2": 2.0}


@pytest.mark.parametrize("library", ["redis", "valkey"])
def test_a_sentinel_url_names_the_sentinels_service_and_db(library: str) -> None:
    store = store_from_url(
        f"{library}+sentinel://:pw@127.0.0.1:26379, 127.0.0.1:26380/mymaster/2"
        "?protocol=2&sentinel_password=spw"
    )
    assert isinstance(store, RedisSentinelStore)
    assert type(store.client).__module__.split(".")[0] == library
    assert store.service == "mymaster"
    assert store.address == "sentinel mymaster via 127.0.0.1:26379,127.0.0.1:26380"
    master = store.client.connection_pool.connection_kwargs
    assert (master["db"], master["password"], int(master["protocol"])) == (2, "pw", 2)
    assert master["socket_timeout"] == DEFAULT_TIMEOUT
    assert master["socket_connect_timeout"] == 3 * DEFAULT_TIMEOUT  # asking two sentinels, then the master
    for sentinel in store.sentinel.sentinels:
        kwargs = sentinel.connection_pool.connection_kwargs
        assert (kwargs["password"], kwargs["socket_timeout"]) == ("spw", DEFAULT_TIMEOUT)
        assert "SSL" not in sentinel.connection_pool.connection_class.__name__


@pytest.mark.parametrize("scheme", ["rediss+sentinel", "valkeys+sentinel"])
def test_a_tls_sentinel_url_uses_tls_to_the_sentinels_and_the_master(scheme: str) -> None:
    store = store_from_url(f"{scheme}://127.0.0.1:26379/mymaster")
    assert isinstance(store, RedisSentinelStore)
    assert "SSL" in store.client.connection_pool.connection_class.__name__
    assert store.client.connection_pool.connection_kwargs["db"] == 0
    for sentinel in store.sentinel.sentinels:
        assert "SSL" in sentinel.connection_pool.connection_class.__name__


@pytest.mark.parametrize("scheme", ["rediss", "valkeys"])
def test_a_tls_url_may_name_its_ca(scheme: str) -> None:
    """?ssl_ca_certs= reaches the client, and a Sentinel URL's reaches the sentinels' clients too."""
    store = store_from_url(f"{scheme}://127.0.0.1:6390/0?ssl_ca_certs=/etc/anemo/ca%20file.pem")
    assert isinstance(store, RedisStore)
    assert store.client.connection_pool.connection_kwargs["ssl_ca_certs"] == "/etc/anemo/ca file.pem"
    sentinel = store_from_url(f"{scheme}+sentinel://127.0.0.1:26379/mymaster?ssl_ca_certs=/ca.pem")
    assert isinstance(sentinel, RedisSentinelStore)
    assert sentinel.client.connection_pool.connection_kwargs["ssl_ca_certs"] == "/ca.pem"
    for client in sentinel.sentinel.sentinels:
        assert client.connection_pool.connection_kwargs["ssl_ca_certs"] == "/ca.pem"


def test_a_valkey_cluster_url_builds_a_valkey_cluster_client() -> None:
    store = store_from_url("valkey+cluster://127.0.0.1:7000,127.0.0.1:7001")
    assert isinstance(store, RedisClusterStore)
    assert type(store.client).__name__ == "ValkeyCluster"


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


def test_sql_urls_build_their_stores() -> None:
    """sqlite:/// is a path relative to the working directory, sqlite://// an absolute one."""
    relative = store_from_url("sqlite:///data/sessions.db")
    assert isinstance(relative, SQLiteStore)
    assert (relative.path, relative.table) == ("data/sessions.db", "anemo_sessions")
    absolute = store_from_url("sqlite:////var/lib/app/s%20s.db?table=web_sessions", timeout=2)
    assert isinstance(absolute, SQLiteStore)
    assert (absolute.path, absolute.table, absolute.timeout) == ("/var/lib/app/s s.db", "web_sessions", 2)

    postgres = store_from_url("postgresql://app:pw@db1:5433,db2/sessions?sslmode=require&table=t1")
    assert isinstance(postgres, PostgresStore)
    assert postgres.table == "t1"
    assert postgres._dsn == "postgresql://app:pw@db1:5433,db2/sessions?sslmode=require"  # for asyncpg
    assert postgres.address == "db1:5433,db2/sessions"  # how errors name it: no password
    assert isinstance(store_from_url("postgres://127.0.0.1"), PostgresStore)


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("localhost:6379", "scheme"),
        ("redis://h:1/0?ssl_ca_certs=/ca.pem", "ssl_ca_certs"),
        ("redis+sentinel://h:1/s?ssl_ca_certs=/ca.pem", "ssl_ca_certs"),
        ("rediss://h:1/0?ssl_ca_certs=ca.pem", "ssl_ca_certs"),
        ("sqlite://", "path"),
        ("sqlite:///", "path"),
        ("sqlite:///var/lib/", "path"),
        ("sqlite://host/sessions.db", "host"),
        ("sqlite:///s.db?timeout=3", "query"),
        ("postgresql:///sessions", "host"),
        ("postgresql://h:x/sessions", "port"),
        ("postgresql://h:1/a/b", "database"),
        ("postgresql://h:1/db?pool_size=3", "query"),
        ("postgresql://h:1,/db?password=x", "query"),
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
        ("unix://h:1/run/redis.sock", "host"),
        ("unix://", "path"),
        ("unix:///run/redis.sock?db=x", "database"),
        ("valkey+unix:///run/redis.sock?db=-1", "database"),
        ("valkey://h:1/zero", "database"),
        ("redis+sentinel://h:1", "path"),
        ("redis+sentinel://h:1/", "path"),
        ("redis+sentinel://h:1/my master", "path"),
        ("redis+sentinel://h:1/mymaster/x", "path"),
        ("redis+sentinel:///mymaster", "host"),
        ("redis+sentinel://h:70000/mymaster", "port"),
        ("redis+sentinel://h:1/mymaster?weight=2", "query"),
        ("redis+sentinel://h:1/mymaster?protocol=9", "protocol"),
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


def _refused(url: str) -> InvalidStoreURL:
    with pytest.raises(InvalidStoreURL) as caught:
        store_from_url(url)
    return caught.value


def _assert_hidden(error: InvalidStoreURL, *secrets: str) -> None:
    """No secret in the error's URL or message, even as the message's repr would escape it."""
    for secret in secrets:
        for text in (error.url, str(error), error.reason):
            assert secret not in text, f"{secret!r} in {text!r}"
        assert repr(secret)[1:-1] not in str(error)


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("redis://user:hunter2@h:1/x", ["hunter2"]),
        ("redis://:pa/ss@host:6379/0", ["pa/ss"]),
        ("redis://:Xq7/Zk9@host:6379/x", ["Xq7/Zk9", "Xq7", "Zk9"]),
        ("redis://:Xq7?Zk9=1@host:6379/0", ["Xq7?Zk9", "Xq7", "Zk9"]),
        ("redis://:Xq7#Zk9@host:6379/0", ["Xq7#Zk9", "Xq7", "Zk9"]),
        ("redis://Wv5:Xq7@Zk9@host:6379/x", ["Wv5", "Xq7@Zk9"]),
        ("redis://:Xq7:Zk9@host:6379/x", ["Xq7:Zk9"]),
        ("redis://:Xq7%2FZk9@host:6379/x", ["Xq7%2FZk9", "Xq7/Zk9"]),
        ("redis://:Xq7,Zk9@h1:6379,redis://:pw2@h2:6380", ["Xq7,Zk9", "Xq7", "Zk9"]),
        ("redis://:Xq7Wv5@h1:6379,redis://u:Zk9Yb4@h2:x", ["Xq7Wv5", "Zk9Yb4"]),
        ("redis://:Xq7Wv5@h1:6379,redis://u:Zk9Yb4@h1:6379", ["Xq7Wv5", "Zk9Yb4"]),
        ("redis://:Xq7Wv5@h1:6379,memcached://u:Zk9Yb4@h2:1/db", ["Xq7Wv5", "Zk9Yb4"]),
        ("redis://:Xq7Wv5@h1:6379,redis://u:Zk9/Yb4@h2:1", ["Xq7Wv5", "Zk9/Yb4", "Zk9", "Yb4"]),
        ("redis+cluster://:Xq7Wv5@h1:1,:Zk9Yb4@h2:2/0", ["Xq7Wv5", "Zk9Yb4"]),
        ("redis+sentinel://:Xq7Wv5@h1:1,h2:2/s/x?sentinel_password=Zk9Yb4", ["Xq7Wv5", "Zk9Yb4"]),
        ("unix://:Xq7Wv5@/run/r.sock?db=x", ["Xq7Wv5"]),
        ("valkeys://u:Xq7Wv5@h:1/x", ["Xq7Wv5"]),
        ("redis+cluster://:Xq7,Zk9@h1:1?pool=1", ["Xq7,Zk9", "Xq7", "Zk9"]),
        ("memcached://u:Xq7Wv5@h:1/db", ["Xq7Wv5"]),
        ("memory://:Xq7Wv5@somewhere", ["Xq7Wv5"]),
        ("mysql://:Xq7Wv5@h:1", ["Xq7Wv5"]),
        (":Xq7Wv5@h:6379", ["Xq7Wv5"]),
        ("redis:/:Xq7Wv5@h:6379", ["Xq7Wv5"]),
        ("redis://:Xq7[Wv5@h:6379", ["Xq7[Wv5"]),
        ("redis://:Xq7\nWv5@h:6379", ["Xq7\nWv5"]),
        ("redis://:Xq7\x1fWv5,//@h:1/x", ["Xq7\x1fWv5,//"]),
        ("redis://:Xq7Wv5,redis://@@h:1/x", ["Xq7Wv5,redis://", "Xq7Wv5"]),
        ("redis://:Xq7Wv5,redis://Zk9@h:1/x", ["Xq7Wv5,redis://Zk9", "Zk9"]),
        ("redis://h:1/0?password=Xq7Wv5", ["Xq7Wv5"]),
        ("postgresql://app:Xq7Wv5@h:1/db?pool=1", ["Xq7Wv5"]),
        ("postgresql://app:Xq7,Wv5@h1:1,h2:x/db", ["Xq7,Wv5", "Xq7", "Wv5"]),
        ("postgres://app:Xq7Wv5@h:1/db?sslkey=Zk9Yb4&x=1", ["Xq7Wv5", "Zk9Yb4"]),
        ("redis://:" + "Xq7Wv5" * 1000 + "@h:1/0", ["Xq7Wv5"]),
    ],
)
def test_passwords_never_appear_in_errors(url: str, secrets: list[str]) -> None:
    """Every user name and password is hidden, in every node, whatever characters it holds."""
    _assert_hidden(_refused(url), *secrets)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://u:p@ss@h:1/x", "redis://***@h:1/x"),
        ("redis://:pw1@h1:6379,redis://u:pw2@h2:6380/x", "redis://***@h2:6380/x"),
        ("redis://:pw1@h1:6379,redis://u:pw2@h1:6379", "redis://***@h1:6379,redis://***@h1:6379"),
        ("redis://h:1/0?password=pw&weight=2", "redis://h:1/0?password=***&weight=2"),
        ("redis://:pa/ss@host:6379/0", "redis://***@host:6379/0"),
        ("redis+cluster://:pw@h1:1,h2:2/0", "redis+cluster://***@h1:1,h2:2/0"),
        ("postgresql://u:pw@h1:1,h2/db?table=t&pool=1", "postgresql://***@h1:1,h2/db?table=t&pool=***"),
    ],
)
def test_only_secrets_are_hidden(url: str, shown: str) -> None:
    """The error keeps the hosts, ports and known options, so the wrong node can still be found."""
    assert _refused(url).url == shown


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://app:Xq7Wv5@10.0.0.1:6379/0", "redis://***@10.0.0.1:6379/0"),
        ("redis://:pw1@h1:6379,redis://u:pw2@h2:6380/x", "redis://***@h1:6379,redis://***@h2:6380/x"),
        ("redis://h:1/0?password=pw&weight=2", "redis://h:1/0?password=***&weight=2"),
        ("memory://", "memory://"),
    ],
)
def test_redact_url_hides_what_an_error_would(url: str, shown: str) -> None:
    """``redact_url`` is the redaction the errors use, for a working URL too (start-up banners)."""
    assert redact_url(url) == shown


def test_cluster_nodes_may_be_spaced() -> None:
    """``host:port, host:port`` names the same nodes as without the space, as a sharded list does."""
    cluster = store_from_url("redis+cluster://127.0.0.1:7000, 127.0.0.1:7001")
    assert isinstance(cluster, RedisClusterStore)
    assert cluster.address == "cluster 127.0.0.1:7000,127.0.0.1:7001"
    asyncio.run(cluster.aclose())


@pytest.mark.parametrize(
    "url",
    [
        "redis://:pa/ss@host:6379/0",
        "redis://:p?w@host:6379/0",
        "redis://:p,w@h1:6379,redis://h2:6380",
        "redis://:p[w@host:6379/0",
        "redis://h:1/0?x=a@b",
    ],
)
def test_a_password_that_needs_encoding_is_named(url: str) -> None:
    """A raw / ? , [ in a password is refused as such, not read as a strange host or port."""
    assert _refused(url).part == "password"


def test_encoded_passwords_still_work() -> None:
    """A percent-encoded password (or one with a raw @ or :) reaches the client decoded."""
    for url, password in [
        ("redis://user:p%2Fw%40x%2C@127.0.0.1:6390/0", "p/w@x,"),
        ("redis://:p@w:x@127.0.0.1:6390/0", "p@w:x"),
    ]:
        store = store_from_url(url)
        assert isinstance(store, RedisStore)
        assert store.client.connection_pool.connection_kwargs["password"] == password
        asyncio.run(store.aclose())


@pytest.mark.parametrize(
    "url",
    [
        "redis://[::1:6379/0",
        "redis://[zz]:6379",
        "memcached://[::1",
        "redis+cluster://[::1]:6379,[bad",
        "redis://::1]:6379",
        "redis://[::1]x:6379",
        "redis://[127.0.0.1]:6379",
        "redis://h[1]:6379",
        "redis://h\uff1a1:6379",
        "redis://h\u2100:6379",
    ],
)
def test_a_malformed_host_is_an_invalid_url(url: str) -> None:
    """A lone bracket, a bad IPv6 address or a host that NFKC turns into a delimiter: part host."""
    assert _refused(url).part == "host"


def test_ipv6_hosts_still_work() -> None:
    store = store_from_url("redis://[::1]:6390/0")
    assert isinstance(store, RedisStore)
    assert store.client.connection_pool.connection_kwargs["host"] == "::1"
    asyncio.run(store.aclose())
    assert isinstance(store_from_url("memcached://[::1]:11299"), MemcachedStore)


@pytest.mark.parametrize(
    "url", ["redis://h\x00:1", "memcached://h:1\x00/", "redis://h:1\t/0", "redis://h\n:1"]
)
def test_control_characters_are_refused(url: str) -> None:
    """urlsplit drops tab and newline and keeps NUL: neither belongs in a host name."""
    assert _refused(url).part == "url"


_PASSWORD_CHARS = st.one_of(st.sampled_from(string.printable), st.characters(codec="utf-8")).filter(
    lambda c: c != "*"  # the mask itself: "s://***" would "appear" in redis://***@...
)
_BROKEN = st.sampled_from(
    [
        ("redis://", "@h:1/x"),
        ("redis://", "@h:1:2/0"),
        ("rediss://", "@h:70000/0"),
        ("redis://", "@h:1/0?pool=1"),
        ("redis://", "@h:1/0?weight=-1,redis://h:2"),
        ("redis://h:2,redis://", "@h:1/x"),
        ("redis://h:1,redis://", "@h:1"),
        ("memcached://", "@h:1/db"),
        ("redis+cluster://", "@h:1/0"),
        ("redis+cluster://h:2,", "@h:1?pool=1"),
        ("memory://", "@h"),
        ("mysql://", "@h:1"),
        ("postgresql://", "@h:1/db?pool=1"),
        ("postgresql://", "@h1:1,h2:x/db"),
    ]
)


_PASSWORDS = st.builds(
    "{}{}{}".format,
    st.text(_PASSWORD_CHARS, max_size=20),
    st.sampled_from(["", "/", "?", "#", "@", ":", ",", "%2F", "[", ",//", ",redis://", ", memcached://"]),
    st.text(_PASSWORD_CHARS, max_size=20),
).filter(lambda password: len(password) >= 6)


@given(
    password=_PASSWORDS,
    user=st.sampled_from(["", "user"]),
    encode=st.booleans(),
    around=_BROKEN,
)
def test_no_password_survives_in_an_error(
    password: str, user: str, encode: bool, around: tuple[str, str]
) -> None:
    """Whatever the password and wherever the URL is wrong, the error never quotes the password."""
    written = quote(password, safe="") if encode else password
    before, after = around[0] + user + ":", around[1]
    assume(password not in before + after and written not in before + after)
    with pytest.raises(InvalidStoreURL) as caught:
        store_from_url(before + written + after)
    _assert_hidden(caught.value, password, written)


_URLISH = st.lists(
    st.tuples(
        st.sampled_from(
            [
                *("redis", "rediss", "memcached", "memory", "redis+cluster", "REDIS", "mysql", "", "1x"),
                *("sqlite", "postgresql", "postgres"),
            ]
        ),
        st.sampled_from(["://", ":/", "//", ":", ""]),
        st.sampled_from(["", "u@", ":p@", "u:p@", ":p/w@", ":p@w@", "[@", ":p,w@", "%@"]),
        st.sampled_from(
            ["h", "127.0.0.1", "[::1]", "[::1", "::1]", "[zz]", "[", "]", "", "h\uff1a1", "[v1.x]"]
        ),
        st.sampled_from(["", ":6379", ":", ":0", ":70000", ":x", ":1:2", ":" + "9" * 20]),
        st.sampled_from(["", "/", "/0", "/x", "/99999", "/0/1", "/0#f", "/0;p"]),
        st.sampled_from(
            ["", "?weight=2", "?protocol=3", "?pool=1", "?weight=nan", "?weight=1e999", "?=", "?&&"]
        ),
        st.text(max_size=8),
    ).map("".join),
    min_size=1,
    max_size=4,
).map(",".join)


@given(st.one_of(st.text(max_size=80), _URLISH, st.builds(str.__add__, _URLISH, st.text(max_size=20))))
def test_any_string_is_a_store_or_an_invalid_store_url(url: str) -> None:
    """No input escapes as a bare ValueError or a traceback from urllib: a store or InvalidOption."""
    try:
        store = store_from_url(url)
    except InvalidOption:
        return
    asyncio.run(store.aclose())


def test_cluster_urls_carry_their_credentials(run) -> None:
    """A password in a redis+cluster:// URL reaches the client (it used to be dropped silently)."""

    async def main() -> None:
        store = store_from_url("redis+cluster://app:s%2Fecret@127.0.0.1:7000,127.0.0.1:7001")
        try:
            kwargs = store.client.nodes_manager.connection_kwargs  # type: ignore[attr-defined]
            assert (kwargs["username"], kwargs["password"]) == ("app", "s/ecret")
        finally:
            await store.aclose()

    run(main())


def test_memcached_urls_refuse_credentials() -> None:
    """memcached://user:pw@host is refused, not silently used without the password."""
    with pytest.raises(InvalidStoreURL) as caught:
        store_from_url("memcached://app:hunter22@127.0.0.1:11211")
    assert caught.value.part == "password"
    assert "hunter22" not in str(caught.value)


@pytest.mark.parametrize(
    ("sentinels", "service", "reason"), [([], "mymaster", "at least one"), ([("h", 1)], "", "service")]
)
def test_a_sentinel_store_needs_sentinels_and_a_service(
    sentinels: list[tuple[str, int]], service: str, reason: str
) -> None:
    with pytest.raises(InvalidOption, match=reason):
        RedisSentinelStore.from_sentinels(sentinels, service)

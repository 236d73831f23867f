"""Real redis-server and memcached processes on loopback ports, for tests.

Each server runs in the foreground as a child process, is addressed by pid, and is considered
ready only once it answers on its port (PING for Redis, ``version`` for memcached): no sleeps.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "MemcachedServer",
    "MissingServerBinary",
    "NotRedisServer",
    "RedisCluster",
    "RedisServer",
    "ServerError",
    "ServerProcess",
    "free_port",
    "redis_client_options",
]

HOST = "127.0.0.1"
#: Redis Cluster's bus listens on port + 10000, so cluster ports must leave room for it.
CLUSTER_PORT_LIMIT = 65535 - 10000

_DEBIAN_PACKAGE = {
    "redis-server": "redis-server",
    "redis-cli": "redis-tools",
    "memcached": "memcached",
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


def _protocol_query() -> str:
    return "".join(f"?protocol={value}" for value in redis_client_options().values())


class ServerError(RuntimeError):
    """A test server could not be started or did not become ready."""


class MissingServerBinary(ServerError):
    """The server program is not installed; the message names the package to install."""

    def __init__(self, program: str) -> None:
        self.program = program
        self.package = _DEBIAN_PACKAGE.get(program, program)
        super().__init__(
            f"{program!r} is not on PATH: install the Debian package {self.package!r} "
            f"(apt-get install -y {self.package}), or run the test command as root to have it "
            "installed for you"
        )


def find_binary(program: str) -> str:
    """Return the path of ``program`` or raise :class:`MissingServerBinary`."""
    path = shutil.which(program)
    if path is None:
        raise MissingServerBinary(program)
    return path


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


def redis_command(port: int, *args: str) -> bytes:
    """Send one Redis command (RESP array) and return the raw reply."""
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return _exchange(port, b"".join(parts))


class ServerProcess:
    """One server process on a loopback port: start, wait until it answers, kill, restart."""

    #: The program to run; subclasses set it.
    program: str = ""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.binary = find_binary(self.program)
        self.directory = directory
        self.port = port if port is not None else free_port()
        self.host = HOST
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` as socket functions and clients take it."""
        return (self.host, self.port)

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
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / f"{self.program}-{self.port}.log", "ab")  # noqa: SIM115
        with log:
            self._process = subprocess.Popen(
                self.command(), cwd=self.directory, stdout=log, stderr=subprocess.STDOUT
            )
        self._wait_ready(timeout)

    def _wait_ready(self, timeout: float) -> None:
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
        path = self.directory / f"{self.program}-{self.port}.log"
        if not path.exists():
            return ""
        return " | ".join(path.read_text(errors="replace").splitlines()[-lines:])

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
            os.kill(process.pid, signum)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self, timeout: float = 10.0) -> None:
        """Start the server again on the same port (after :meth:`kill` or :meth:`stop`)."""
        self.stop()
        self.start(timeout)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.host}:{self.port} pid={self.pid}>"


class RedisServer(ServerProcess):
    """A ``redis-server`` with persistence off, bound to loopback."""

    program = "redis-server"

    def __init__(self, directory: Path, port: int | None = None, extra: Sequence[str] = ()) -> None:
        super().__init__(directory, port)
        self.extra = list(extra)

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, with ``?protocol=N`` when ``ANEMO_REDIS_PROTOCOL`` is set."""
        return f"redis://{self.host}:{self.port}/0{_protocol_query()}"

    def command(self) -> list[str]:
        return [
            self.binary,
            "--port", str(self.port),
            "--bind", self.host,
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--dir", str(self.directory),
            *self.extra,
        ]  # fmt: skip

    def ping(self) -> bool:
        return redis_command(self.port, "PING").startswith(b"+PONG")

    def execute(self, *args: str) -> bytes:
        """Send one raw command and return the raw RESP reply (for tests of the helper)."""
        return redis_command(self.port, *args)


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


class RedisCluster:
    """A Redis Cluster of ``masters`` nodes (3 at least) covering all 16384 slots."""

    def __init__(self, directory: Path, masters: int = 3) -> None:
        if masters < 3:
            raise ValueError("Redis Cluster needs at least 3 masters")
        self.directory = directory
        self.redis_cli = find_binary("redis-cli")
        self.nodes: list[RedisServer] = []
        used: set[int] = set()
        while len(self.nodes) < masters:
            port = free_port(CLUSTER_PORT_LIMIT)
            if port in used or not _port_is_free(port + 10000):
                continue
            used.add(port)
            node_dir = directory / f"node-{port}"
            cluster_args = (
                "--cluster-enabled", "yes",
                "--cluster-config-file", f"nodes-{port}.conf",
                "--cluster-node-timeout", "2000",
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
        """Start every node, join them into one cluster and wait until it reports ok."""
        for node in self.nodes:
            node.start()
        addresses = [f"{host}:{port}" for host, port in self.startup_nodes]
        subprocess.run(
            [self.redis_cli, "--cluster", "create", *addresses, "--cluster-yes"],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
        self.wait_ok(timeout)

    def info(self, node: RedisServer) -> dict[str, str]:
        """``CLUSTER INFO`` of one node as a dict."""
        reply = node.execute("CLUSTER", "INFO").decode()
        fields = (line.split(":", 1) for line in reply.splitlines() if ":" in line)
        return dict(fields)

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Return once every running node reports ``cluster_state:ok``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                live = [node for node in self.nodes if node.running]
                if all(self.info(node).get("cluster_state") == "ok" for node in live):
                    return
            time.sleep(0.05)
        raise ServerError(f"cluster on ports {[n.port for n in self.nodes]} not ok within {timeout} s")

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
        self._socket.close()
        self._thread.join(timeout=5)

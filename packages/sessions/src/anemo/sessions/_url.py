"""store_from_url: a store from one configuration string.

Errors quote the URL with every user name and password replaced by ``***`` (and the value of every
query option other than ``weight``, ``protocol`` and ``db``, such as ``?sentinel_password=``). Where a
password was not percent-encoded and the URL cannot say where it ends (an ``@`` outside every
``user:password@host`` part), everything from the first ``://`` to the last ``@`` is hidden, and
the URL is refused before any other part of it is read. A password with ``,scheme://`` in it
reads as two nodes: its last character is still hidden, but the start may show.
"""

from __future__ import annotations

import functools
import importlib
import ipaddress
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

from ._memory import MemoryStore
from ._redis import RedisClusterStore, RedisStore
from ._sentinel import RedisSentinelStore
from ._sharded import ShardedStore
from ._sql import DEFAULT_TABLE
from ._sqlite import SQLiteStore
from ._store import DEFAULT_TIMEOUT, SessionStore
from .errors import InvalidOptionType, InvalidStoreURL

__all__ = ["store_from_url", "redact_url", "optional_module"]

#: The client library of each single-server Redis-protocol scheme (both talk to Redis and Valkey).
_LIBRARY = {
    "redis": "redis",
    "rediss": "redis",
    "unix": "redis",
    "valkey": "valkey",
    "valkeys": "valkey",
    "valkey+unix": "valkey",
}
#: Schemes whose URL is one store, not a comma-separated list of nodes, and their client library.
_MULTI_HOST = {
    "redis+cluster": "redis",
    "valkey+cluster": "valkey",
    "redis+sentinel": "redis",
    "rediss+sentinel": "redis",
    "valkey+sentinel": "valkey",
    "valkeys+sentinel": "valkey",
}
#: PostgreSQL schemes: one store however many hosts (libpq's list of hosts to try in turn).
_POSTGRES = ("postgresql", "postgres")
#: What a PostgreSQL URL's query may hold: the table, and the libpq options asyncpg reads.
_POSTGRES_OPTIONS = (
    "table",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "target_session_attrs",
    "application_name",
)
_DATABASE = re.compile(r"/?|/[^/]{1,63}")
_DB = re.compile(r"/?|/[0-9]{1,5}", re.ASCII)
_DB_NUMBER = re.compile(r"[0-9]{1,5}", re.ASCII)
_SERVICE = re.compile(r"/([A-Za-z0-9._-]{1,100})(?:/([0-9]{1,5}))?/?", re.ASCII)
_MAX_URL = 4096
#: urlsplit's scheme: a letter, then letters, digits, ``+``, ``-`` or ``.``.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*", re.ASCII)
#: urlsplit drops tab, CR and LF wherever they are; no host, port or password has a control character.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BRACKETED = re.compile(r"\[([^\[\]]*)\](?::(.*))?", re.DOTALL)
_PORT = re.compile(r"[0-9]{1,5}", re.ASCII)
_SHOWN_OPTIONS = ("weight", "protocol", "db", "table", "sslmode", "target_session_attrs", "ssl_ca_certs")
#: The schemes that speak TLS to Redis or Valkey, and so may name the CA that signed the servers'.
_TLS = ("rediss", "valkeys", "rediss+sentinel", "valkeys+sentinel")
_ENCODE = "percent-encode / ? # @ , [ ] % in a user name or password (urllib.parse.quote(password, safe=''))"

Span = tuple[int, int]


#: The client library an optional store imports, and the extra that installs it.
_EXTRAS = {"pymemcache": "memcached", "asyncpg": "postgres"}


def optional_module(name: str) -> Any:
    """Import our module ``name`` that needs pymemcache or asyncpg, or say which extra installs it."""
    try:
        return importlib.import_module(f"anemo.sessions.{name}")
    except ModuleNotFoundError as exc:
        if exc.name not in _EXTRAS:
            raise
        raise ModuleNotFoundError(
            f"this store needs {exc.name}: pip install 'anemo-sessions[{_EXTRAS[exc.name]}]'", name=exc.name
        ) from exc


def _sections(url: str) -> list[Span]:
    """Where each node's URL lies, as store_from_url splits it (a cluster, Sentinel or SQL URL is one)."""
    if url.split("://", 1)[0].strip().lower() in (*_MULTI_HOST, *_POSTGRES, "sqlite"):
        return [(0, len(url))]
    sections, start = [], 0
    for piece in url.split(","):
        sections.append((start, start + len(piece)))
        start += len(piece) + 1
    return sections


def _netloc(url: str, start: int, end: int) -> tuple[Span | None, int]:
    """The ``//netloc`` of ``url[start:end]`` as urlsplit finds it, and where the rest begins."""
    while start < end and url[start].isspace():
        start += 1
    colon = url.find(":", start, end)
    if colon > start and _SCHEME.fullmatch(url, start, colon):
        start = colon + 1
    if not url.startswith("//", start, end):
        return None, start
    found = [i for i in (url.find(c, start + 2, end) for c in "/?#") if i >= 0]
    stop = min(found, default=end)
    return (start + 2, stop), stop


def _hidden_values(url: str, start: int, end: int) -> list[Span]:
    """The values of the query in ``url[start:end]`` whose option is not one of _SHOWN_OPTIONS."""
    fragment = url.find("#", start, end)
    end = end if fragment < 0 else fragment
    question = url.find("?", start, end)
    if question < 0:
        return []
    spans, field = [], question + 1
    while field <= end:
        stop = url.find("&", field, end)
        stop = end if stop < 0 else stop
        equals = url.find("=", field, stop)
        if equals >= 0 and unquote_plus(url[field:equals]) not in _SHOWN_OPTIONS:
            spans.append((equals + 1, stop))
        field = stop + 1
    return spans


def _secrets(url: str) -> tuple[list[Span], bool]:
    """Where ``url`` may hold a secret, and whether it cannot tell where a password ends.

    It cannot when an ``@`` lies outside every ``//netloc``, or starts the netloc of a node after
    the first (``...:pass,//@host``: a password with a comma). Otherwise the character before every
    ``@`` that can end a password is hidden, so no password, however it is written, shows whole.
    """
    spans: list[Span] = []
    explained = 0
    for index, (start, end) in enumerate(_sections(url)):
        netloc, rest = _netloc(url, start, end)
        if netloc is not None:
            at = url.rfind("@", *netloc)
            if at >= 0:
                spans.append((netloc[0], at))
                if index == 0 or url[netloc[0]] != "@":
                    explained += url.count("@", *netloc)
        spans += _hidden_values(url, rest, end)
    unclear = explained != url.count("@")
    if unclear:  # the password may run from any :// to any @
        last = url.rfind("@")
        first = url.find("://", 0, last)
        spans.append((first + 3 if first >= 0 else 0, last))
    return spans, unclear


def redact_url(url: str) -> str:
    """``url`` with every user name, password and unknown option's value replaced by ``***``.

    For logs and start-up banners: the same redaction :func:`store_from_url`'s errors use.
    """
    merged: list[list[int]] = []
    for start, end in sorted(span for span in _secrets(url)[0] if span[0] < span[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    shown, parts = 0, []
    for start, end in merged:
        parts += [url[shown:start], "***"]
        shown = end
    return "".join(parts) + url[shown:]


def _fail(url: str, part: str, reason: str) -> InvalidStoreURL:
    return InvalidStoreURL(redact_url(url), part, reason)


def _split(url: str, text: str) -> SplitResult:
    """urlsplit(text), whose ValueError (a lone bracket, a bad IPv6 address) names the part."""
    try:
        return urlsplit(text)
    except ValueError:
        netloc, _ = _netloc(text, 0, len(text))
        userinfo = text[netloc[0] : netloc[1]].rpartition("@")[0] if netloc else ""
        if "[" in userinfo or "]" in userinfo:
            raise _fail(url, "password", _ENCODE) from None
        raise _fail(url, "host", "must be a name, an IPv4 address or an IPv6 one in brackets") from None


def _host_port(url: str, netloc: str, default_port: int | None) -> tuple[str, int]:
    hostinfo = netloc.rpartition("@")[2]
    port_text = hostinfo.partition(":")[2]
    if "[" in hostinfo or "]" in hostinfo:
        bracketed = _BRACKETED.fullmatch(hostinfo)
        if bracketed is None or not _is_ipv6(bracketed[1]):
            raise _fail(url, "host", "an IPv6 address is written in brackets, as [::1]:6379")
        port_text = bracketed[2] or ""
    hostname = _split(url, f"//{netloc}").hostname
    if port_text and not _PORT.fullmatch(port_text):
        raise _fail(url, "port", "must be a number from 1 to 65535")
    port = int(port_text) if port_text else default_port
    if not hostname:
        raise _fail(url, "host", "is missing")
    if port is None:
        raise _fail(url, "port", "is missing")
    if not 0 < port <= 65535:
        raise _fail(url, "port", "must be a number from 1 to 65535")
    return hostname, port


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _options(url: str, query: str, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query's options, each given once at most, or an InvalidStoreURL naming the unknown one."""
    options = parse_qs(query, keep_blank_values=True)
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        credentials = unknown[0] in ("password", "username")
        hint = ": a password goes before the host, user:password@host" if credentials else ""
        raise _fail(url, "query", f"unknown option {unknown[0]!r} (only {', '.join(allowed)}){hint}")
    return {name: values[-1] for name, values in options.items()}


def _ca_certs(url: str, scheme: str, options: dict[str, str]) -> dict[str, str]:
    """``{"ssl_ca_certs": path}`` when a TLS URL names the CA file that verifies its servers."""
    if "ssl_ca_certs" not in options:
        return {}
    if scheme not in _TLS:
        raise _fail(url, "ssl_ca_certs", "is for TLS URLs: rediss://, valkeys:// or rediss+sentinel://")
    if not options["ssl_ca_certs"].startswith("/"):
        raise _fail(url, "ssl_ca_certs", "must be the CA file's absolute path")
    return {"ssl_ca_certs": options["ssl_ca_certs"]}


def _weight(url: str, options: dict[str, str]) -> float:
    if "weight" not in options:
        return 1.0
    try:
        weight = float(options["weight"])
    except ValueError:
        raise _fail(url, "weight", "must be a positive number") from None
    if not 0 < weight <= 1_000_000:
        raise _fail(url, "weight", "must be a positive number up to 1000000")
    return weight


def _protocol(url: str, options: dict[str, str]) -> dict[str, int]:
    """``{"protocol": 2 or 3}`` for the client when the URL picks a RESP version, else nothing."""
    if "protocol" not in options:
        return {}
    if options["protocol"] not in ("2", "3"):
        raise _fail(url, "protocol", "must be 2 (RESP2) or 3 (RESP3)")
    return {"protocol": int(options["protocol"])}


Node = tuple[str, float, Callable[[], SessionStore]]


def _credentials(parts: SplitResult) -> dict[str, str]:
    """``{"username": ..., "password": ...}`` from the URL's ``user:password@``, as far as given."""
    return {
        name: unquote(value)
        for name, value in (("username", parts.username), ("password", parts.password))
        if value
    }


def _single(url: str, *, timeout: float, prefix: str) -> Node:
    """One node, checked: its name on a ring, its weight, and how to build its store."""
    parts = _split(url, url)
    scheme = parts.scheme.lower()
    if scheme in _LIBRARY:
        unix = scheme.endswith("unix")
        allowed = ("weight", "protocol", "db") if unix else ("weight", "protocol", "ssl_ca_certs")
        options = _options(url, parts.query, allowed)
        protocol = _protocol(url, options)
        ca_certs = _ca_certs(url, scheme, options)
        if unix:
            if parts.netloc.rpartition("@")[2]:
                raise _fail(url, "host", "a socket URL has no host: unix:///path/to/redis.sock?db=N")
            if not parts.path.startswith("/"):
                raise _fail(url, "path", "must be the socket's absolute path: unix:///path/to/redis.sock")
            db_text = options.get("db", "0")
            if not _DB_NUMBER.fullmatch(db_text):
                raise _fail(url, "database", "?db= must be a database number")
            name, db = unquote(parts.path), int(db_text)
            query = f"db={db}"
        else:
            host, port = _host_port(url, parts.netloc, 6379)
            if not _DB.fullmatch(parts.path):
                raise _fail(url, "database", "the path must be /N, a database number")
            name, db, query = f"{host}:{port}", int(parts.path[1:] or 0), ""
        query = "&".join(q for q in (query, *(f"protocol={v}" for v in protocol.values())) if q)
        query = "&".join(q for q in (query, urlencode(ca_certs)) if q)
        # valkey-py reads a socket URL as unix://; the scheme valkey+unix only picks the library.
        bare = f"{scheme.removeprefix('valkey+')}://{parts.netloc}{parts.path}?{query}".removesuffix("?")
        library = _LIBRARY[scheme]
        build = functools.partial(RedisStore.from_url, bare, timeout=timeout, prefix=prefix, library=library)
        return (f"{name}/{db}" if db else name), _weight(url, options), build
    if scheme == "memcached":
        if "@" in parts.netloc:
            raise _fail(url, "password", "memcached://host:port takes no user name or password")
        host, port = _host_port(url, parts.netloc, 11211)
        if parts.path not in ("", "/"):
            raise _fail(url, "path", "memcached has no databases: use memcached://host:port")
        weight = _weight(url, _options(url, parts.query, ("weight",)))
        cls = optional_module("_memcached").MemcachedStore
        return f"{host}:{port}", weight, functools.partial(cls, host, port, timeout=timeout, prefix=prefix)
    raise _fail(
        url,
        "scheme",
        "expected memory, redis, rediss, unix, valkey, valkeys, valkey+unix, memcached, redis+cluster, "
        f"valkey+cluster, redis+sentinel, sqlite or postgresql, got {scheme!r}",
    )


def _hosts(url: str, parts: SplitResult, default_port: int = 6379) -> list[tuple[str, int]]:
    """Every ``host:port`` of a comma-separated netloc (a cluster's, the sentinels', PostgreSQL's)."""
    netlocs = [netloc.strip() for netloc in parts.netloc.split(",")]
    nodes = [_host_port(url, netloc, default_port) for netloc in netlocs if netloc]
    if not nodes:
        raise _fail(url, "host", "is missing")
    return nodes


def _cluster(url: str, *, timeout: float, prefix: str) -> SessionStore:
    parts = _split(url, url)
    if parts.path not in ("", "/"):
        raise _fail(url, "path", "a cluster URL is redis+cluster://host:port[,host:port...]")
    protocol = _protocol(url, _options(url, parts.query, ("protocol",)))
    nodes = _hosts(url, parts)
    library = _MULTI_HOST[parts.scheme.lower()]
    return RedisClusterStore.from_nodes(
        nodes, timeout=timeout, prefix=prefix, library=library, **protocol, **_credentials(parts)
    )


def _sentinel(url: str, *, timeout: float, prefix: str) -> SessionStore:
    parts = _split(url, url)
    service = _SERVICE.fullmatch(parts.path)
    if service is None:
        raise _fail(
            url, "path", "a Sentinel URL is redis+sentinel://host:port[,host:port...]/service_name[/db]"
        )
    options = _options(
        url, parts.query, ("protocol", "sentinel_username", "sentinel_password", "ssl_ca_certs")
    )
    sentinel_options = {
        name.removeprefix("sentinel_"): value
        for name, value in options.items()
        if name.startswith("sentinel_")
    }
    scheme = parts.scheme.lower()
    ca_certs = _ca_certs(url, scheme, options)  # refused on a scheme without TLS
    tls = {"ssl": True, **ca_certs} if scheme in _TLS else {}
    return RedisSentinelStore.from_sentinels(
        _hosts(url, parts),
        service[1],
        db=int(service[2] or 0),
        timeout=timeout,
        prefix=prefix,
        library=_MULTI_HOST[parts.scheme.lower()],
        sentinel_options={**sentinel_options, **tls},
        **_protocol(url, options),
        **_credentials(parts),
        **tls,
    )


def _postgres(url: str, *, timeout: float) -> SessionStore:
    parts = _split(url, url)
    _hosts(url, parts, 5432)
    if not _DATABASE.fullmatch(parts.path):
        raise _fail(url, "database", "the path must be /name, a database name")
    options = _options(url, parts.query, _POSTGRES_OPTIONS)
    query = urlencode({name: value for name, value in options.items() if name != "table"})
    store: SessionStore = optional_module("_postgres").PostgresStore(
        urlunsplit(parts._replace(query=query, fragment="")),
        timeout=timeout,
        table=options.get("table", DEFAULT_TABLE),
    )
    return store


def _sqlite(url: str, *, timeout: float) -> SessionStore:
    parts = _split(url, url)
    if parts.netloc:
        raise _fail(
            url, "host", "an SQLite URL names a file: sqlite:///relative.db or sqlite:////absolute.db"
        )
    path = unquote(parts.path[1:])
    if not path or path.endswith("/"):
        raise _fail(url, "path", "must name a file: sqlite:///relative.db or sqlite:////absolute.db")
    options = _options(url, parts.query, ("table",))
    return SQLiteStore(path, timeout=timeout, table=options.get("table", DEFAULT_TABLE))


def store_from_url(
    url: str, *, timeout: float = DEFAULT_TIMEOUT, prefix: str = "anemo:session:"
) -> SessionStore:
    """A store described by ``url``.

    - ``memory://``: a :class:`MemoryStore` (one process).
    - ``redis://[[user]:password@]host:port/db``, ``rediss://...`` (TLS),
      ``unix://[[user]:password@]/path/to/redis.sock?db=N``: a :class:`RedisStore` on redis-py.
    - ``valkey://...``, ``valkeys://...``, ``valkey+unix:///path?db=N``: the same on valkey-py.
      Either client works with Redis and Valkey servers.
    - ``memcached://host:port``: a :class:`MemcachedStore`.
    - several of those, comma-separated, each optionally ``?weight=N``: a :class:`ShardedStore`
      whose nodes are named ``host:port`` or the socket's path (with ``/db`` for a database
      other than 0).
    - ``redis+cluster://[[user]:password@]host:port[,host:port...]`` (``valkey+cluster://`` for
      valkey-py): a :class:`RedisClusterStore`.
    - ``redis+sentinel://[[user]:password@]host:port[,host:port...]/service_name[/db]``: a
      :class:`RedisSentinelStore` on the master the sentinels name. The password is the master's;
      the sentinels' own go in ``?sentinel_username=`` and ``?sentinel_password=``.
      ``rediss+sentinel://`` uses TLS to both; ``valkey+sentinel://`` and ``valkeys+sentinel://``
      use valkey-py.
    - ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``: an :class:`SQLiteStore`.
    - ``postgresql://[user[:password]@]host[:port][,host[:port]...]/database``: a
      :class:`PostgresStore` (``postgres://`` too). Several hosts are tried in turn; ``?sslmode=``,
      ``?target_session_attrs=`` and the other libpq options asyncpg reads are passed on.
    - A SQL store keeps its records apart by ``?table=name`` (default ``anemo_sessions``), not
      by ``prefix``.

    A Redis URL may pick the RESP version with ``?protocol=2`` or ``?protocol=3`` (redis-py 8
    defaults to 3, older releases to 2). A TLS URL may name the CA file that signed its servers'
    certificates, ``?ssl_ca_certs=/path/ca.pem``, when it is not in the system's trust store. A
    password with ``/ ? # @ , [ ] %`` in it is percent-encoded (``urllib.parse.quote(password, safe='')``).

    Every server store fails within ``timeout`` seconds. A malformed URL raises
    :class:`InvalidStoreURL` (a ``ValueError``) naming the part that is wrong, with every password
    in it replaced by ``***``. Nothing is built (no client) unless the whole URL is right.
    """
    if not isinstance(url, str):
        raise InvalidOptionType(f"a store URL is a str, not {type(url).__name__}")
    url = url.strip()
    if len(url) > _MAX_URL:
        shown = redact_url(url)[:60] + "..."
        raise InvalidStoreURL(shown, "url", f"longer than {_MAX_URL} characters")
    if "://" not in url:
        raise _fail(
            url, "scheme", "missing: write it as scheme://..., for example memory:// or redis://host:6379/0"
        )
    if _secrets(url)[1]:
        raise _fail(url, "password", f"cannot tell where user:password@ ends: {_ENCODE}")
    pieces = [piece.strip() for piece in url.split(",")]
    if any(_CONTROL.search(piece) for piece in pieces):
        raise _fail(url, "url", "has a control character (tab, newline, NUL...) inside")
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        if url.split("://", 1)[1] not in ("", "/"):
            raise _fail(url, "path", "memory:// takes no host or path")
        return MemoryStore()
    if scheme in ("redis+cluster", "valkey+cluster"):
        return _cluster(url, timeout=timeout, prefix=prefix)
    if scheme in _MULTI_HOST:
        return _sentinel(url, timeout=timeout, prefix=prefix)
    if scheme in _POSTGRES:
        return _postgres(url, timeout=timeout)
    if scheme == "sqlite":
        return _sqlite(url, timeout=timeout)
    if len(pieces) == 1:
        return _single(url, timeout=timeout, prefix=prefix)[2]()
    nodes: dict[str, Node] = {}
    for piece in pieces:
        if not piece:
            raise _fail(url, "list", "an empty entry between commas")
        node = _single(piece, timeout=timeout, prefix=prefix)
        if node[0] in nodes:
            raise _fail(url, "list", f"node {node[0]} is listed twice")
        nodes[node[0]] = node
    stores = {name: build() for name, _, build in nodes.values()}
    return ShardedStore(stores, weights={name: weight for name, weight, _ in nodes.values()})

"""Where the session lives (the cluster page), async work, subdomain routing, and the 404 page."""

from __future__ import annotations

import asyncio
import dataclasses
import math
import time
from typing import Any, ClassVar

import tornado.web
from tornado.httpclient import AsyncHTTPClient, HTTPClientError

from anemo.sessions import MemoryStore, NodeHealth, RedisClusterStore, RedisStore, ShardedStore

from ..bodies import BodyTooLarge
from ..ring import ring_svg
from .base import BaseHandler

__all__ = [
    "Cluster",
    "AsyncPage",
    "SlowWork",
    "Subdomain",
    "ApiHome",
    "NotFound",
    "TooLarge",
    "StaticFiles",
    "finite_number",
]

#: What a visitor who is not signed in sees instead of a store's error text.
UNREACHABLE = "unreachable"


def finite_number(text: str, low: float, high: float) -> float:
    """``text`` as a number clamped to [low, high]; ValueError for anything not a finite number.

    NaN and infinities never get through: ``asyncio.sleep(nan)`` corrupts the event loop's timer
    heap and stalls every timer of the process.
    """
    number = float(text[:32])
    if not math.isfinite(number):
        raise ValueError(f"{text[:32]!r} is not a finite number")
    return min(max(number, low), high)


def store_kind(store: Any) -> str:
    if isinstance(store, ShardedStore):
        return "sharded"
    if isinstance(store, RedisClusterStore):
        return "redis-cluster"
    if isinstance(store, RedisStore):
        return "redis"
    if isinstance(store, MemoryStore):
        return "memory"
    return type(store).__name__


class Cluster(BaseHandler):
    """Where sessions live. Store addresses are for signed-in visitors; nobody sees raw errors."""

    needs_stored_session = False

    async def get(self) -> None:
        store = self.services.sessions.store
        probe = getattr(store, "health", None)  # every built-in store has one; the protocol does not
        health: list[NodeHealth] = await probe() if probe is not None else []
        session_id = self.session.id
        if isinstance(store, ShardedStore):
            nodes = list(store.nodes)
            owner = store.node_of(session_id) if session_id else None
        else:
            nodes = [node.address for node in health] or [store_kind(store)]
            owner = None
            if session_id and isinstance(store, RedisClusterStore):
                owner = store.node_of(session_id)
            elif session_id:
                owner = nodes[0]
        signed_in = self.current_user is not None
        names = {name: name if signed_in else f"node {number}" for number, name in enumerate(nodes, 1)}
        for node in health:  # a cluster's health lists nodes the ring does not (replicas)
            names.setdefault(node.address, node.address if signed_in else f"node {len(names) + 1}")
        shown = [_shown(node, names[node.address]) for node in health]
        if owner is not None:
            names.setdefault(owner, owner if signed_in else "node")
        if isinstance(store, ShardedStore):
            key = session_id.partition("~")[0] if session_id else None
            picture = ring_svg(nodes, store.ring, key, owner, names)
        else:
            picture = ring_svg(nodes, None, session_id, owner, names)
        self.render(
            "cluster.html",
            kind=store_kind(store),
            health=shown,
            nodes=[names[name] for name in nodes],
            owner=names[owner] if owner is not None else None,
            picture=picture,
            has_session=session_id is not None,
        )


def _shown(node: NodeHealth, name: str) -> NodeHealth:
    """``node`` under the name the visitor may see, its error reduced to "unreachable"."""
    return dataclasses.replace(node, address=name, error=None if node.reachable else UNREACHABLE)


class SlowWork(BaseHandler):
    """Stands for slow work elsewhere: answers after ``delay`` seconds (at most 3), never blocking."""

    session_autoload = False  # an API call of the app's own: no session needed

    async def get(self) -> None:
        try:
            delay = finite_number(self.get_query_argument("delay", "1"), 0.0, 3.0)
        except ValueError:
            self.set_status(400)
            self.finish({"error": "delay must be a finite number of seconds"})
            return
        await asyncio.sleep(delay)
        self.write({"slept": delay})


class AsyncPage(BaseHandler):
    """Awaits a slow request to this same app; the process keeps serving others meanwhile.

    The request goes to the address this connection came in on, never to one taken from the
    request (a ``Host`` header would make the page a proxy to any local port). At most
    :data:`~anemo_demo.services.SELF_CALLS` run at once; more wait their turn for a few seconds,
    then get a 503 with ``Retry-After``.
    """

    needs_stored_session = False

    async def get(self) -> None:
        started = time.monotonic()
        calls = self.services.self_calls
        try:
            async with asyncio.timeout(5):
                await calls.acquire()
        except TimeoutError:
            raise _busy() from None
        try:
            response = await AsyncHTTPClient().fetch(self.own_url("/async/work?delay=1"), request_timeout=10)
        except (HTTPClientError, OSError) as exc:
            raise _busy() from exc
        finally:
            calls.release()
        self.render("async.html", elapsed=time.monotonic() - started, body=response.body.decode())

    def own_url(self, path: str) -> str:
        """``path`` on the socket address this request arrived at."""
        stream = getattr(self.request.connection, "stream", None)
        if stream is None:  # not over a socket of ours (a test harness): nowhere safe to call
            raise _busy()
        host, port = stream.socket.getsockname()[:2]  # an accepted socket's own address, never 0.0.0.0
        return f"http://{f'[{host}]' if ':' in host else host}:{port}{path}"


def _busy() -> tornado.web.HTTPError:
    return tornado.web.HTTPError(503, "the slow work is busy: try again in a few seconds")


class Subdomain(BaseHandler):
    needs_stored_session = False

    def get(self) -> None:
        port = self.request.host.rsplit(":", 1)[-1] if ":" in self.request.host else "80"
        self.render("subdomain.html", api_url=f"http://api.localhost:{port}/")


class ApiHome(tornado.web.RequestHandler):
    """Served only for the host api.localhost: another set of handlers, chosen by host name."""

    def get(self) -> None:
        self.write({"host": self.request.host, "handlers": "api.localhost", "path": self.request.path})


class StaticFiles(tornado.web.StaticFileHandler):
    """Tornado's static files, with a 404 (not a 500) for a path the filesystem cannot hold.

    Tornado routes ``/favicon.ico`` here too (ahead of the application's routes): it is sent on
    to the SVG icon. The versioned URLs ``static_url()`` makes are kept until :meth:`reset`, as
    Tornado keeps the versions: Tornado finds a file's version again (an absolute path, a lock)
    for every ``static_url()`` of every page; a page here has three.
    """

    #: (static_path, static_url_prefix, path, include_version) -> URL; cleared when it holds 256.
    _urls: ClassVar[dict[tuple[str, str, str, bool], str]] = {}

    @classmethod
    def reset(cls) -> None:
        """Forget versions and URLs (Tornado calls it on every request with ``static_hash_cache=False``)."""
        super().reset()
        cls._urls = {}

    @classmethod
    def make_static_url(cls, settings: dict[str, Any], path: str, include_version: bool = True) -> str:
        key = (settings["static_path"], settings.get("static_url_prefix", "/static/"), path, include_version)
        url = cls._urls.get(key)
        if url is None:
            if len(cls._urls) >= 256:
                cls._urls = {}
            url = cls._urls[key] = super().make_static_url(settings, path, include_version)
        return url

    async def get(self, path: str, include_body: bool = True) -> None:
        if path == "favicon.ico":
            self.redirect(self.static_url("favicon.svg", include_version=False), permanent=True)
            return
        await super().get(path, include_body)

    @classmethod
    def get_absolute_path(cls, root: str, path: str) -> str:
        if "\x00" in path:
            raise tornado.web.HTTPError(404)
        return super().get_absolute_path(root, path)


class TooLarge(BodyTooLarge, BaseHandler):
    """The 413 as the site's error page (or JSON), sent before the body is read."""


class NotFound(BaseHandler):
    async def prepare(self) -> None:
        raise tornado.web.HTTPError(404)

"""Where the session lives (the cluster page), async work, subdomain routing, and the 404 page."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import tornado.web
from tornado.httpclient import AsyncHTTPClient

from anemo.sessions import MemoryStore, NodeHealth, RedisClusterStore, RedisStore, ShardedStore

from ..ring import ring_svg
from .base import BaseHandler

__all__ = ["Cluster", "AsyncPage", "SlowWork", "Subdomain", "ApiHome", "NotFound"]


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
    async def get(self) -> None:
        store = self.services.sessions.store
        probe = getattr(store, "health", None)  # every built-in store has one; the protocol does not
        health: list[NodeHealth] = await probe() if probe is not None else []
        session_id = self.session.id
        if isinstance(store, ShardedStore):
            nodes = list(store.nodes)
            owner = store.node_of(session_id) if session_id else None
            key = session_id.partition("~")[0] if session_id else None
            picture = ring_svg(nodes, store.ring, key, owner)
        else:
            nodes = [node.address for node in health] or [store_kind(store)]
            owner = None
            if session_id and isinstance(store, RedisClusterStore):
                owner = store.node_of(session_id)
            elif session_id:
                owner = nodes[0]
            picture = ring_svg(nodes, None, session_id, owner)
        self.render(
            "cluster.html",
            kind=store_kind(store),
            health=health,
            nodes=nodes,
            owner=owner,
            picture=picture,
            has_session=session_id is not None,
        )


class SlowWork(BaseHandler):
    """Stands for slow work elsewhere: answers after ``delay`` seconds (at most 3), never blocking."""

    session_autoload = False  # an API call of the app's own: no session needed

    async def get(self) -> None:
        try:
            delay = min(max(float(self.get_query_argument("delay", "1")), 0.0), 3.0)
        except ValueError:
            raise tornado.web.HTTPError(400, "delay must be a number of seconds") from None
        await asyncio.sleep(delay)
        self.write({"slept": delay})


class AsyncPage(BaseHandler):
    """Awaits a slow request to this same app; the process keeps serving others meanwhile."""

    async def get(self) -> None:
        started = time.monotonic()
        url = f"{self.request.protocol}://127.0.0.1:{self.request.host.rsplit(':', 1)[-1]}/async/work?delay=1"
        response = await AsyncHTTPClient().fetch(url, request_timeout=10)
        self.render("async.html", elapsed=time.monotonic() - started, body=response.body.decode())


class Subdomain(BaseHandler):
    def get(self) -> None:
        port = self.request.host.rsplit(":", 1)[-1] if ":" in self.request.host else "80"
        self.render("subdomain.html", api_url=f"http://api.localhost:{port}/")


class ApiHome(tornado.web.RequestHandler):
    """Served only for the host api.localhost: another set of handlers, chosen by host name."""

    def get(self) -> None:
        self.write({"host": self.request.host, "handlers": "api.localhost", "path": self.request.path})


class NotFound(BaseHandler):
    async def prepare(self) -> None:
        raise tornado.web.HTTPError(404)

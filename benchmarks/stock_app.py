"""The demo's home and visits pages built on Tornado's stock parts only: the load benchmark's peer.

``python benchmarks/stock_app.py --port P --session-store memory://|redis://HOST:PORT/DB`` serves,
as a naive but competent Tornado app would:

- ``/bare``: a plain ``RequestHandler`` writing a string, as the demo's;
- ``/``: the demo's home page, from the demo's own template files rendered by ``tornado.template``
  (``self.render``; the ``Nav`` UI module calls ``render_string``, as Tornado's docs show), in the
  visitor's language from the demo's translations, with the header showing who is signed in, the
  flash messages kept in the session, and the theme read from a ``prefs`` cookie
  (``get_signed_cookie`` and ``json.loads``);
- ``/visits?format=json``: the same JSON visit counter.

The session is the tutorial's: a random id in a signed cookie (``set_signed_cookie`` /
``get_signed_cookie``) naming one JSON blob. Every request loads it (memory: a dict of id -> JSON
text; Redis: ``GET`` and ``json.loads``) and saves it (``json.dumps``, then ``SET EX``, which also
slides the expiry), changed or not; the home page does not start one for a visitor without one.
The Redis client is redis.asyncio with the demo's options (0.5 s socket and connect timeouts, no
retries). Responses carry the demo's security headers and ``Vary: Cookie``, and requests are
logged as the demo logs them (errors and slow requests only; ``--access-log`` for every request),
so the two apps do the same work around the page. The bare page (the security headers, no
session) is the same in both.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import logging
import secrets
import signal
import sys
from pathlib import Path
from typing import Any, NamedTuple

import redis.asyncio
import tornado.httpserver
import tornado.locale
import tornado.netutil
import tornado.web
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from anemo_demo.headers import CONTENT_SECURITY_POLICY
from anemo_demo.ui import LINKS  # the same navigation, so the two pages cannot drift apart

#: The demo's package directory: its templates, static files and translations, read from disk.
DEMO = Path(importlib.util.find_spec("anemo_demo").origin).parent  # type: ignore[arg-type,union-attr]
IDLE_TIMEOUT = 15 * 60  # the demo's anonymous idle timeout
SLOW_REQUEST = 0.5
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
access_log = logging.getLogger("tornado.access")


class Flash(NamedTuple):
    category: str
    message: str


class MemorySessions:
    """Session id -> JSON text, in this process."""

    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    async def get(self, session_id: str) -> str | None:
        return self.data.get(session_id)

    async def set(self, session_id: str, text: str) -> None:
        self.data[session_id] = text

    async def aclose(self) -> None:
        pass


class RedisSessions:
    """Session id -> JSON text in Redis, with a sliding expiry."""

    def __init__(self, url: str) -> None:
        self.client = redis.asyncio.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0)
        )

    async def get(self, session_id: str) -> str | None:
        value = await self.client.get("session:" + session_id)
        return value.decode() if isinstance(value, bytes) else value

    async def set(self, session_id: str, text: str) -> None:
        await self.client.set("session:" + session_id, text, ex=IDLE_TIMEOUT)

    async def aclose(self) -> None:
        await self.client.aclose()


class Nav(tornado.web.UIModule):
    def render(self) -> str:
        return self.render_string("modules/nav.html", links=LINKS, current=self.request.path).decode()


class Secured(tornado.web.RequestHandler):
    """Every response carries the site's security headers."""

    def set_default_headers(self) -> None:
        for name, value in HEADERS.items():
            self.set_header(name, value)


class Page(Secured):
    """Loads the session in ``prepare``; the handler saves it before it writes."""

    session_id: str | None
    session: dict[str, Any]

    async def prepare(self) -> None:
        self.set_header("Vary", "Cookie")
        self.session_id, self.session = None, {}
        signed = self.get_signed_cookie("session")
        if signed is not None:
            text = await self.settings["sessions"].get(signed.decode())
            if text is not None:
                self.session_id, self.session = signed.decode(), json.loads(text)

    async def save_session(self) -> None:
        if self.session_id is None:
            self.session_id = secrets.token_urlsafe(32)
            self.set_signed_cookie(
                "session", self.session_id, expires_days=None, httponly=True, samesite="Lax"
            )
        await self.settings["sessions"].set(self.session_id, json.dumps(self.session))

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        username = self.session.get("username")
        namespace["username"] = username if isinstance(username, str) else None
        prefs = self.get_signed_cookie("prefs")
        namespace["prefs"] = json.loads(prefs) if prefs else {}
        namespace["flashes"] = self.flashes
        return namespace

    def flashes(self) -> list[Flash]:
        """The flash messages kept in the session as ``[category, message]`` pairs, taken once."""
        return [Flash(*pair) for pair in self.session.pop("flashes", [])]


class Home(Page):
    async def get(self) -> None:
        if self.session_id is not None:  # a visitor's session slides; a stranger gets none here
            await self.save_session()
        self.render("home.html", visits=self.session.get("visits", 0))


class Visits(Page):
    async def get(self) -> None:
        visits = self.session["visits"] = self.session.get("visits", 0) + 1
        await self.save_session()
        self.write({"visits": visits})


class Bare(Secured):
    def get(self) -> None:
        self.write("bare tornado")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """The demo's access-log policy (anemo_demo/accesslog.py): errors and slow requests, or all."""
    status, seconds = handler.get_status(), handler.request.request_time()
    if status >= 500:
        level = logging.ERROR
    elif status >= 400 or seconds >= SLOW_REQUEST:
        level = logging.WARNING
    elif handler.settings["every_request_logged"]:
        level = logging.INFO
    else:
        return
    request = handler.request
    access_log.log(
        level, "%d %s %s (%s) %.2fms", status, request.method, request.uri, request.remote_ip, 1000 * seconds
    )


def make_app(
    sessions: MemorySessions | RedisSessions, cookie_secret: str, every_request_logged: bool = False
) -> Any:
    return tornado.web.Application(
        [(r"/", Home), (r"/visits", Visits), (r"/bare", Bare)],
        template_path=str(DEMO / "templates"),
        static_path=str(DEMO / "static"),
        cookie_secret=cookie_secret,
        xsrf_cookies=True,
        ui_modules={"Nav": Nav},
        log_function=log_request,
        sessions=sessions,
        every_request_logged=every_request_logged,
    )


async def serve(port: int, store: str, cookie_secret: str, every_request_logged: bool) -> None:
    sessions = MemorySessions() if store.startswith("memory") else RedisSessions(store)
    server = tornado.httpserver.HTTPServer(make_app(sessions, cookie_secret, every_request_logged))
    server.add_sockets(tornado.netutil.bind_sockets(port, "127.0.0.1"))
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await stop.wait()
    server.stop()
    await sessions.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--session-store", default="memory://", help="memory:// or a redis:// URL")
    parser.add_argument("--cookie-secret", default=secrets.token_urlsafe(48))
    parser.add_argument("--access-log", action="store_true", help="log every request, as the demo's option")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    tornado.locale.load_translations(str(DEMO / "locale"))
    asyncio.run(serve(args.port, args.session_store, args.cookie_secret, args.access_log))
    return 0


if __name__ == "__main__":
    sys.exit(main())

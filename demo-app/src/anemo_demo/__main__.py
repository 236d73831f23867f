"""``python -m anemo_demo``: read the configuration, build the app, serve (forking if asked)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
from collections.abc import Sequence

import tornado.httpserver
import tornado.ioloop
import tornado.netutil
import tornado.process

from anemo.sessions import redact_url

from .app import make_app
from .config import Config, ConfigError, parse_config
from .services import make_services

log = logging.getLogger("anemo_demo")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = parse_config(argv)
    except ConfigError as exc:
        print(f"anemo-demo: {exc}", file=sys.stderr)
        return 2
    sockets = tornado.netutil.bind_sockets(config.port, config.address)
    port = sockets[0].getsockname()[1]
    where = redact_url(config.session_store)  # the banner ends up in logs: never a password
    print(f"anemo demo: serving on http://{config.address}:{port}/ (sessions: {where})", flush=True)
    parent = None
    if config.processes > 1:
        parent = os.getpid()
        tornado.process.fork_processes(config.processes)  # every child builds its own clients below
    asyncio.run(serve(config, sockets, parent))
    return 0


async def serve(config: Config, sockets: list[socket.socket], parent: int | None = None) -> None:
    """Serve until SIGINT or SIGTERM (or, in a forked child, until ``parent`` is gone), then close
    the stores' connections."""
    services = make_services(config)
    server = tornado.httpserver.HTTPServer(make_app(services), xheaders=False)
    server.add_sockets(sockets)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if parent is not None:  # the parent was stopped: its children must not live on as orphans

        def check_parent() -> None:
            if os.getppid() != parent:
                stop.set()

        tornado.ioloop.PeriodicCallback(check_parent, 500).start()
    await stop.wait()
    server.stop()
    await server.close_all_connections()
    await services.aclose()


if __name__ == "__main__":
    sys.exit(main())

"""What the access log records: errors and slow requests always, every request only when asked.

Tornado's default writes one INFO line per request through ``logging``; with
``logging.basicConfig`` writing to a file, that cost 35-40 us of CPU a request here, a fifth of a
bare Tornado page. Behind a reverse proxy, the proxy's access log already has every request (including those
that never reach the app), so the app logs what the proxy cannot tell: which requests failed
(4xx at WARNING, 5xx at ERROR, as Tornado does) and which were slow (WARNING). ``--access-log``
adds a line at INFO for every other request, for running without a proxy or while debugging.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import tornado.web

__all__ = ["SLOW_REQUEST", "access_log_function"]

#: A request that took this long (seconds, from its first byte to its response) is logged.
SLOW_REQUEST = 0.5

access_log = logging.getLogger("tornado.access")


def access_log_function(every_request: bool = False) -> Callable[[tornado.web.RequestHandler], None]:
    """The ``log_function`` application setting: Tornado's line, for the requests worth a line."""

    def log_request(handler: tornado.web.RequestHandler) -> None:
        status = handler.get_status()
        seconds = handler.request.request_time()
        if status >= 500:
            level = logging.ERROR
        elif status >= 400 or seconds >= SLOW_REQUEST:
            level = logging.WARNING
        elif every_request:
            level = logging.INFO
        else:
            return
        request = handler.request
        access_log.log(
            level,
            "%d %s %s (%s) %.2fms",
            status,
            request.method,
            request.uri,
            request.remote_ip,
            1000 * seconds,
        )

    return log_request

"""Request body limits per route, enforced before Tornado reads a byte of the body.

Tornado buffers a whole body (up to ``max_body_size``, 100 MB by default) before a handler, or the
XSRF check, runs. Here the application looks up the route's limit when the headers arrive: a
declared ``Content-Length`` over it is refused with 413 at once (and the connection closed, so the
body is never read), and a body without a declared length is cut off when it passes the limit.
"""

from __future__ import annotations

import re
from typing import Any

import tornado.httputil
import tornado.web

__all__ = ["FORM_BODY", "BodyLimitedApplication", "BodyTooLarge", "body_limit"]

#: What a page's forms need: the hosts inventory (20 rows of 4 fields) is the largest, about 25 kB.
FORM_BODY = 64 * 1024
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def body_limit(handler_class: type[tornado.web.RequestHandler]) -> int:
    """The handler's ``max_body_size`` attribute, or :data:`FORM_BODY`."""
    limit = getattr(handler_class, "max_body_size", FORM_BODY)
    return limit if isinstance(limit, int) else FORM_BODY


@tornado.web.stream_request_body
class BodyTooLarge(tornado.web.RequestHandler):
    """Answers 413 as soon as the headers are in; streaming, so Tornado never waits for the body.

    Subclass it (with a page's own ``write_error``) and name the subclass in the application's
    ``body_too_large_class`` setting.
    """

    def initialize(self, limit: int) -> None:
        self.limit = limit

    def check_xsrf_cookie(self) -> None:
        """Nothing to protect: the request is refused whatever it holds."""

    async def prepare(self) -> None:
        raise tornado.web.HTTPError(413, f"the body is larger than the {self.limit} bytes this page accepts")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Connection", "close")  # the unread body is not read: the connection ends
        super().write_error(status_code, **kwargs)

    def data_received(self, chunk: bytes) -> None:
        """Drops whatever arrives before the connection closes."""


class BodyLimitedApplication(tornado.web.Application):
    """An Application that gives each request its route's body limit (see :func:`body_limit`).

    A request over it is handed to the ``body_too_large_class`` setting (a :class:`BodyTooLarge`).
    """

    def find_handler(self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any) -> Any:
        delegate = super().find_handler(request, **kwargs)
        limit = body_limit(delegate.handler_class)
        declared = request.headers.get("Content-Length", "")
        if _DIGITS.fullmatch(declared) and (len(declared) > 15 or int(declared) > limit):
            refuse = self.settings.get("body_too_large_class", BodyTooLarge)
            return self.get_handler_delegate(request, refuse, {"limit": limit})
        # Any other malformed length is Tornado's 400; a body of unstated length stops at the limit.
        set_max_body_size = getattr(request.connection, "set_max_body_size", None)
        if set_max_body_size is not None:
            set_max_body_size(limit)
        return delegate

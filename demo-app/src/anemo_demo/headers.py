"""The headers every response of the site carries, static files and error pages included."""

from __future__ import annotations

import tornado.httputil
import tornado.web

__all__ = ["CONTENT_SECURITY_POLICY", "SecurityHeaders"]

#: No inline script or style, nothing from elsewhere, and no framing by any page (clickjacking).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeaders(tornado.web.OutputTransform):
    """Adds the site's security headers to each response that does not set its own."""

    def transform_first_chunk(
        self, status_code: int, headers: tornado.httputil.HTTPHeaders, chunk: bytes, finishing: bool
    ) -> tuple[int, tornado.httputil.HTTPHeaders, bytes]:
        for name, value in _HEADERS.items():
            if name not in headers:
                headers[name] = value
        return status_code, headers, chunk

"""What every page shares: the session, the services, the visitor's language, error pages."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

import tornado.web

from anemo.sessions import StoreUnavailable
from anemo.sessions.tornado import SessionMixin
from anemo.signedvalue.tornado import JSONCookieMixin

from ..services import Services

__all__ = ["BaseHandler", "safe_next"]

log = logging.getLogger("anemo_demo")


#: A redirect target: printable ASCII only (no control character, space or backslash), at most 2 kB.
_TARGET = re.compile(r"/[!-\[\]-~]{0,2047}", re.ASCII)


def safe_next(target: str | None, default: str = "/account") -> str:
    """A redirect target on this site only: a path, never ``//host`` or ``https://elsewhere``.

    Anything else, including a control character that a ``Location`` header cannot carry, gives
    ``default``: a crafted link must not be able to break the sign-in it leads to.
    """
    if not target or not _TARGET.fullmatch(target) or target.startswith("//"):
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target


class BaseHandler(SessionMixin, JSONCookieMixin, tornado.web.RequestHandler):
    """A page with ``self.session``, ``self.services`` and templated error pages.

    A page that only reads the session, or can start a new one, sets ``needs_stored_session =
    False``: when the node holding the visitor's session is down, it serves them with a fresh
    session (placed on a live node if it is saved) instead of a 503.
    """

    #: Whether the page must have the visitor's stored session (their sign-in, their data).
    needs_stored_session = True

    async def prepare(self) -> None:
        try:
            await super().prepare()
        except StoreUnavailable as exc:
            if self.needs_stored_session:
                raise
            log.warning("%s %s: serving a fresh session, %s", self.request.method, self.request.path, exc)
            await self.start_new_session()

    def on_finish(self) -> None:
        # Tornado keeps each UI module a page rendered (``_active_modules``), and the module keeps
        # the handler: a reference cycle that left every finished page, with its request,
        # connection and session, to the cyclic GC. Its passes took 9% of the home page's CPU
        # under load, and a full one paused the process for 20 ms.
        vars(self).pop("_active_modules", None)
        super().on_finish()

    @property
    def services(self) -> Services:
        services: Services = self.settings["services"]
        return services

    @property
    def username(self) -> str | None:
        """The signed-in user's name, kept in the session at login."""
        session = getattr(self, "session", None)
        if session is None or not session.loaded or session.user_id is None:
            return None
        name = session.get("username")
        return name if isinstance(name, str) else None

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["username"] = self.username
        namespace["prefs"] = self.get_signed_json_cookie("prefs") or {}
        return namespace

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if self.settings.get("serve_traceback") and exc is not None and not isinstance(exc, StoreUnavailable):
            super().write_error(status_code, **kwargs)
            return
        if status_code == 503:
            self.set_header("Retry-After", "5")
        reason = exc.log_message if isinstance(exc, tornado.web.HTTPError) and exc.log_message else None
        if _wants_json(self):
            self.finish({"error": self._reason, "status": status_code})
            return
        try:
            self.render("error.html", status=status_code, reason=reason)
        except Exception:  # a broken template must not hide the error itself
            log.exception("error page failed to render")
            self.finish(f"<!doctype html><title>{status_code}</title><h1>{status_code}</h1>")


def _wants_json(handler: tornado.web.RequestHandler) -> bool:
    headers = handler.request.headers
    return (
        "application/json" in headers.get("Accept", "") or headers.get("X-Requested-With") == "XMLHttpRequest"
    )

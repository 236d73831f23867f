"""The UI module and UI methods the templates use (Tornado's ``ui_modules`` and ``ui_methods``)."""

from __future__ import annotations

import time
from typing import Any

import tornado.web

__all__ = ["MODULES", "METHODS", "Nav", "ago"]

LINKS = (
    ("/", "Home"),
    ("/hosts", "Hosts"),
    ("/cookies", "Cookies"),
    ("/cluster", "Cluster"),
    ("/async", "Async"),
    ("/subdomain", "Subdomain"),
)


class Nav(tornado.web.UIModule):
    """The site's navigation, the current page marked (``{% module Nav() %}``)."""

    def render(self) -> str:
        return self.render_string("modules/nav.html", links=LINKS, current=self.request.path).decode()


def ago(handler: tornado.web.RequestHandler, timestamp: float) -> str:
    """``5 minutes ago``, in the visitor's language (``{{ ago(info.last_seen) }}``)."""
    _ = handler.locale.translate
    seconds = max(0, int(time.time() - timestamp))
    if seconds < 60:
        return _("just now")
    if seconds < 3600:
        return _("%(n)d min ago") % {"n": seconds // 60}
    return _("%(n)d h ago") % {"n": seconds // 3600}


def device(handler: tornado.web.RequestHandler, user_agent: str | None) -> str:
    """A short name for a browser's user agent."""
    if not user_agent:
        return handler.locale.translate("unknown device")
    for name in ("Firefox", "Edg", "Chrome", "Safari", "curl", "python"):
        if name in user_agent:
            return {"Edg": "Edge"}.get(name, name) + (" (headless)" if "Headless" in user_agent else "")
    return user_agent[:40]


MODULES: dict[str, Any] = {"Nav": Nav}
METHODS: dict[str, Any] = {"ago": ago, "device": device}

"""The UI module and UI methods the templates use (Tornado's ``ui_modules`` and ``ui_methods``)."""

from __future__ import annotations

import functools
import time
from typing import Any

import tornado.locale
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
    """The site's navigation, the current page marked (``{% module Nav() %}``).

    Its markup depends only on the visitor's language and on which link, if any, is the page
    shown, so each such pair is rendered once and kept (a template changed on disk is a new
    template object, so ``debug`` reloads still show). ``UIModule.render_string`` is not used: it
    would build the handler's whole template namespace again (the signed prefs cookie verified,
    the session read) when the page's own render has just built it.
    """

    def render(self) -> str:
        path = self.request.path
        template = self.handler.settings["template_loader"].load("modules/nav.html")
        return _nav(template, self.locale, path if path in _HREFS else None)


_HREFS = frozenset(href for href, _label in LINKS)


@functools.lru_cache(maxsize=64)
def _nav(template: Any, locale: tornado.locale.Locale, current: str | None) -> str:
    html: bytes = template.generate(_=locale.translate, locale=locale, links=LINKS, current=current)
    return html.decode()


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

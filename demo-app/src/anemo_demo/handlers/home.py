"""The home page, a session-writing counter, and a bare Tornado page to measure against."""

from __future__ import annotations

import tornado.web

from .base import BaseHandler

__all__ = ["Home", "Visits", "Bare"]


class Home(BaseHandler):
    """Reads the session (the header shows who is signed in) and writes nothing."""

    needs_stored_session = False

    def get(self) -> None:
        self.render("home.html", visits=self.session.get("visits", 0))


class Visits(BaseHandler):
    """Counts this visitor's visits in the session: every request writes one key."""

    def get(self) -> None:
        visits = self.session.get("visits", 0) + 1
        self.session["visits"] = visits
        if self.get_query_argument("format", "") == "json":
            self.write({"visits": visits})
            return
        self.render("visits.html", visits=visits)


class Bare(tornado.web.RequestHandler):
    """Plain Tornado, no session, no template: the floor for the load benchmark."""

    def get(self) -> None:
        self.write("bare tornado")

"""The tutorial's hosts inventory as a list form, kept in the session as a draft until saved.

Rows are ``hosts[0].host``, ``hosts[0].ip``, ... with a nested ``owner`` sub-form. Adding and
removing rows posts the form (so it works without script); saving validates everything. A
signed-in visitor's draft and inventory are kept in their session. An anonymous visitor's are
not: the page works from what the form posts, so a script posting it cannot fill the session
store with drafts of strangers.
"""

from __future__ import annotations

import re
from typing import Any

import tornado.web

from anemo.formvalidate.tornado import form_from_handler

from ..forms import InventoryForm
from .base import BaseHandler

__all__ = ["Hosts"]

ROW_FIELDS = ("host", "ip", "port", "phone")
#: The most of each field a draft keeps: what a valid value can hold, so a draft stays a few kB.
DRAFT_LENGTH = {"host": 255, "ip": 45, "port": 5, "phone": 32}
_ROW_NAME = re.compile(r"hosts\[(0|[1-9][0-9]{0,2})\]\.(host|ip|port|phone)", re.ASCII)
_ACTION = re.compile(r"add|save|remove-(0|[1-9][0-9]?)", re.ASCII)
MAX_ROWS = 20


def _text(value: Any) -> str:
    return "" if value is None else str(value)


class Hosts(BaseHandler):
    def rows_from_request(self) -> tuple[dict[str, str], list[dict[str, str]]]:
        """What was typed, rows renumbered 0.. in submitted order (at most MAX_ROWS)."""
        owner = {name: self.get_body_argument(f"owner.{name}", "")[:255] for name in ("name", "email")}
        rows: dict[int, dict[str, str]] = {}
        for name in self.request.body_arguments:
            match = _ROW_NAME.fullmatch(name)
            if match:
                row = rows.setdefault(int(match.group(1)), dict.fromkeys(ROW_FIELDS, ""))
                field = match.group(2)
                row[field] = self.get_body_argument(name, "")[: DRAFT_LENGTH[field]]
        return owner, [rows[index] for index in sorted(rows)][:MAX_ROWS]

    def get(self) -> None:
        draft = self.session.get("hosts_draft")
        saved = self.session.get("hosts")
        source = (
            draft or saved or {"owner": {"name": "", "email": ""}, "rows": [dict.fromkeys(ROW_FIELDS, "")]}
        )
        self.render(
            "hosts.html",
            owner=source["owner"],
            rows=source["rows"],
            errors={},
            saved=False,
            draft=bool(draft),
        )

    def post(self) -> None:
        action = self.get_body_argument("action", "save")
        chosen = _ACTION.fullmatch(action)
        if chosen is None:
            raise tornado.web.HTTPError(400, "unknown action")
        owner, rows = self.rows_from_request()
        kept = self.current_user is not None  # only a signed-in visitor's inventory is kept
        errors: dict[str, str] = {}
        saved = False
        if action == "add" and len(rows) < MAX_ROWS:
            rows.append(dict.fromkeys(ROW_FIELDS, ""))
        elif chosen.group(1) is not None and int(chosen.group(1)) < len(rows):
            del rows[int(chosen.group(1))]
        elif action == "save":
            form = form_from_handler(InventoryForm, self)
            if form.is_valid():
                data = form.data
                owner = {"name": data["owner"]["name"], "email": data["owner"]["email"]}
                rows = [{name: _text(host[name]) for name in ROW_FIELDS} for host in data["hosts"]]
                saved = True
                if kept:
                    self.session["hosts"] = {"owner": owner, "rows": rows}
                    self.session.pop("hosts_draft", None)
            else:
                errors = form.errors
                self.set_status(400)
        if kept and not saved:
            self.session["hosts_draft"] = {"owner": owner, "rows": rows}
        self.render(
            "hosts.html", owner=owner, rows=rows, errors=errors, saved=saved, draft=kept and not saved
        )

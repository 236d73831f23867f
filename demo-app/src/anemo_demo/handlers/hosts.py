"""The tutorial's hosts inventory as a list form, kept in the session as a draft until saved.

Rows are ``hosts[0].host``, ``hosts[0].ip``, ... with a nested ``owner`` sub-form. Adding and
removing rows posts the form (so it works without script) and keeps what was typed, in the
session, as a draft; saving validates everything and keeps the inventory.
"""

from __future__ import annotations

import re
from typing import Any

from anemo.formvalidate.tornado import form_from_handler

from ..forms import InventoryForm
from .base import BaseHandler

__all__ = ["Hosts"]

ROW_FIELDS = ("host", "ip", "port", "phone")
_ROW_NAME = re.compile(r"hosts\[(0|[1-9][0-9]{0,2})\]\.(host|ip|port|phone)", re.ASCII)
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
                row[match.group(2)] = self.get_body_argument(name, "")[:255]
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
        owner, rows = self.rows_from_request()
        errors: dict[str, str] = {}
        saved = False
        if action == "add" and len(rows) < MAX_ROWS:
            rows.append(dict.fromkeys(ROW_FIELDS, ""))
        elif action.startswith("remove-") and action[7:].isdigit() and int(action[7:]) < len(rows):
            del rows[int(action[7:])]
        elif action == "save":
            form = form_from_handler(InventoryForm, self)
            if form.is_valid():
                data = form.data
                self.session["hosts"] = {
                    "owner": {"name": data["owner"]["name"], "email": data["owner"]["email"]},
                    "rows": [{name: _text(host[name]) for name in ROW_FIELDS} for host in data["hosts"]],
                }
                self.session.pop("hosts_draft", None)
                saved = True
                owner, rows = self.session["hosts"]["owner"], self.session["hosts"]["rows"]
            else:
                errors = form.errors
                self.set_status(400)
        if not saved:
            self.session["hosts_draft"] = {"owner": owner, "rows": rows}
        self.render("hosts.html", owner=owner, rows=rows, errors=errors, saved=saved, draft=not saved)

"""The visitor's active sessions, from anemo-sessions' per-user index, and "sign out everywhere else"."""

from __future__ import annotations

import tornado.web

from anemo.sessions import NotSupported, StoreUnavailable

from .auth import FLASH
from .base import BaseHandler

__all__ = ["Account", "SignOutOthers"]


class Account(BaseHandler):
    @tornado.web.authenticated
    async def get(self) -> None:
        manager = self.services.sessions
        user_id = self.current_user
        unsupported: str | None = None
        try:
            sessions = await manager.sessions_of(user_id)
        except NotSupported as exc:
            sessions, unsupported = [], exc.reason
        except StoreUnavailable:  # one shard down: the list would be short, so show none
            sessions, unsupported = [], self.locale.translate("a session store node is unavailable right now")
        current = self.session.id_hash
        ended = self.get_query_argument("ended", None)
        flash = self.session.pop(FLASH, None)  # shown once: set by the page that sent the visitor here
        self.render(
            "account.html",
            sessions=sessions,
            current=current,
            unsupported=unsupported,
            ended=ended,
            flash=flash if isinstance(flash, str) else None,
        )


class SignOutOthers(BaseHandler):
    @tornado.web.authenticated
    async def post(self) -> None:
        assert self.session.id is not None
        try:
            ended = await self.services.sessions.invalidate_user(self.current_user, except_id=self.session.id)
        except NotSupported:
            ended = 0
        self.redirect(f"/account?ended={ended}")

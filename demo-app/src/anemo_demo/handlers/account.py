"""The visitor's devices: active sessions from anemo-sessions' per-user index, each of which can be
signed out, "sign out everywhere else", and alerts of sign-ins on browsers new to the user."""

from __future__ import annotations

import logging

import tornado.web

from anemo.sessions import NotSupported, SessionInfo, StoreUnavailable
from anemo.sessions.tornado import SessionMixin

from .base import BaseHandler

__all__ = ["Account", "SignOutOthers", "SignOutDevice", "alert_new_device"]

log = logging.getLogger("anemo_demo")

ENDED_ONE = "That device is signed out."


async def alert_new_device(handler: SessionMixin, info: SessionInfo) -> None:
    """The ``session_on_new_device`` hook: a real site would e-mail the user; the demo keeps an alert."""
    assert isinstance(handler, BaseHandler)
    user_id = int(handler.current_user)
    await handler.services.users.add_sign_in_alert(user_id, info.device, info.ip)
    log.info("sign-in on a new browser for user %d: %s from %s", user_id, info.device, info.ip)


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
        alerts = await self.services.users.sign_in_alerts(int(user_id))
        self.render(
            "account.html",
            sessions=sessions,
            current=current,
            unsupported=unsupported,
            ended=ended,
            alerts=alerts,
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


class SignOutDevice(BaseHandler):
    """Ends one of the visitor's other sessions, named by its ``id_hash`` from the list."""

    @tornado.web.authenticated
    async def post(self, id_hash: str) -> None:
        if id_hash == self.session.id_hash:  # this browser signs out with the Log out button
            self.redirect("/account")
            return
        try:
            if await self.services.sessions.end_session(self.current_user, id_hash):
                self.flash(ENDED_ONE, "success")
        except NotSupported:
            pass
        self.redirect("/account")

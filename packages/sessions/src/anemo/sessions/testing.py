"""For an application's own tests: a signed-in visitor's cookie, without going through the login form.

Like Django's ``Client.force_login``::

    cookie = await force_login(app, "alice", data={"cart": [1]})
    response = await http_client.fetch(url, headers={"Cookie": f"{cookie.name}={cookie.value}"})

The session is made as a real login makes it (a new id, the user index updated, in the
application's own store), so the code under test sees exactly what it would in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._manager import CookieUpdate, SessionManager

__all__ = ["force_login"]


async def force_login(
    manager: SessionManager | Any,
    user_id: str,
    *,
    data: Mapping[str, Any] | None = None,
    user_agent: str | None = None,
    remember: bool = True,
) -> CookieUpdate:
    """A new session signed in as ``user_id`` holding ``data``, saved; the cookie that names it.

    ``manager`` is a :class:`~anemo.sessions.SessionManager`, or a Tornado application whose
    sessions :mod:`anemo.sessions.tornado` manages.
    """
    if not isinstance(manager, SessionManager):
        from .tornado import session_manager  # noqa: PLC0415 (Tornado is an optional extra)

        manager = session_manager(manager)
    session = await manager.load(manager.open(None))
    session.set_user(user_id, user_agent=user_agent, remember=remember)
    session.update(data or {})
    update = await manager.save(session)
    assert update is not None  # a sign-in always sets the cookie
    return update

"""``self.session`` in Tornado request handlers, saved before the response is sent.

::

    class Cart(SessionMixin, tornado.web.RequestHandler):
        def post(self):
            self.session["items"] = self.session.get("items", 0) + 1
            self.redirect("/cart")  # the next request sees the change

Configured from application settings: ``cookie_secret`` (required: one secret, a list, or
Tornado's ``{key_version: secret}`` dict), ``session_store`` (a store or a URL for
:func:`~anemo.sessions.store_from_url`; default ``"memory://"``), ``session_idle_timeout``,
``session_anonymous_idle_timeout``, ``session_lifetime``, ``session_browser_lifetime``,
``session_refresh_interval``, ``session_max_size``, ``session_encrypt``, ``session_ip_detail``,
``session_cookie_name`` (each the :class:`~anemo.sessions.SessionManager` option of that name)
and ``session_cookie_options`` (extra ``set_cookie`` arguments such as ``domain``), or a ready
``session_manager``. The cookie is HttpOnly, SameSite=Lax, and Secure over HTTPS.

``session_on_new_device`` is called as ``hook(handler, info)`` (awaited when it returns an
awaitable) after a user signs in on a browser that user never signed in on before, so the
application can e-mail them; ``info`` is the new session's :class:`~anemo.sessions.SessionInfo`.
The browser is remembered by a signed ``session_device`` cookie, set at every sign-in.

``session_xsrf = True`` protects every unsafe request (not GET, HEAD or OPTIONS) with a token
kept in the session (see :class:`SessionMixin`); it replaces Tornado's ``xsrf_cookies``, and
goes well with Tornado's ``cross_origin_protection``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import weakref
from collections.abc import Coroutine
from typing import Any

try:
    import tornado.web
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "tornado":
        raise
    raise ModuleNotFoundError(
        "anemo.sessions.tornado needs Tornado: pip install 'anemo-sessions[tornado]'", name="tornado"
    ) from exc

from anemo.signedvalue.tornado import add_vary_cookie, cookie_secrets, forbid_shared_caching

from ._manager import CookieUpdate, SessionManager
from ._session import Flash, Session
from ._store import SessionStore
from ._url import store_from_url
from ._xsrf import is_token, mask, matches, new_token
from .errors import InvalidOption, InvalidOptionType, SessionNotOpened, StoreUnavailable

__all__ = ["SessionMixin", "session_manager"]

log = logging.getLogger("anemo.sessions")

_managers: weakref.WeakKeyDictionary[tornado.web.Application, SessionManager] = weakref.WeakKeyDictionary()

#: The session key that holds the CSRF token when ``session_xsrf`` is on.
_XSRF_KEY = "_xsrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _session_xsrf(settings: dict[str, Any]) -> bool:
    """Whether the ``session_xsrf`` setting is on; it and ``xsrf_cookies`` exclude each other."""
    if not settings.get("session_xsrf"):
        return False
    if settings.get("xsrf_cookies"):
        raise InvalidOption(
            "the session_xsrf and xsrf_cookies settings exclude each other: session_xsrf keeps the "
            "token in the session instead of a cookie; turn xsrf_cookies off"
        )
    return True


def session_manager(application: tornado.web.Application) -> SessionManager:
    """The application's manager: its ``session_manager`` setting, or one built from its settings once."""
    settings = application.settings
    _session_xsrf(settings)
    given = settings.get("session_manager")
    if given is not None:
        if not isinstance(given, SessionManager):
            raise InvalidOptionType(
                f"the session_manager setting must be a SessionManager, not {type(given).__name__}"
            )
        return given
    manager = _managers.get(application)
    if manager is None:
        if "cookie_secret" not in settings:
            raise InvalidOption("sessions need the application's cookie_secret setting")
        store: SessionStore | str = settings.get("session_store", "memory://")
        if isinstance(store, str):
            store = store_from_url(store)
        options = {
            option: settings[f"session_{option}"]
            for option in (
                "idle_timeout",
                "anonymous_idle_timeout",
                "lifetime",
                "browser_lifetime",
                "refresh_interval",
                "max_size",
                "encrypt",
                "ip_detail",
                "cookie_name",
            )
            if f"session_{option}" in settings
        }
        manager = _managers[application] = SessionManager(store, cookie_secrets(settings), **options)
    return manager


def _wants_json(request: Any) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or request.headers.get("X-Requested-With") == "XMLHttpRequest"


class SessionMixin(tornado.web.RequestHandler):
    """Gives handlers ``self.session``, loaded in :meth:`prepare` and saved in :meth:`finish`.

    A handler that overrides ``prepare`` calls ``await super().prepare()`` first. With
    ``session_autoload = False`` the session is opened but not loaded: ``await
    self.load_session()`` when needed, and requests that never do cost no store access.
    ``get_current_user`` is the session's ``user_id``, so ``@tornado.web.authenticated`` works.

    Every save failure becomes a response, never a hang: a store that is down gives a 503 with
    ``Retry-After`` (a short page, or JSON for API requests) and a log line with the reason;
    anything else takes Tornado's 500 path (``log_exception``, then ``send_error``). A response
    that used the session carries ``Vary: Cookie``; one that sets or clears the session cookie,
    or shows a signed-in page, carries ``Cache-Control: private`` (``no-store`` when signed in).

    With the ``session_xsrf`` setting, :meth:`prepare` loads the session of every unsafe request
    (not GET, HEAD or OPTIONS) and calls :meth:`check_xsrf_cookie` before the handler runs;
    :attr:`xsrf_token` (so ``xsrf_form_html()``) gives a fresh mask of the session's token.
    """

    session_autoload = True
    _session: Session | None = None
    _session_finishing: asyncio.Future[None] | None = None
    _session_done = False
    _session_cookie_changed = False

    @property
    def session(self) -> Session:
        """The request's session; set by :meth:`prepare`."""
        if self._session is None:
            raise SessionNotOpened(type(self).__name__)
        return self._session

    @property
    def session_manager(self) -> SessionManager:
        """The application's :class:`~anemo.sessions.SessionManager`."""
        return session_manager(self.application)

    async def prepare(self) -> None:
        manager = self.session_manager
        self._session = manager.open(self.get_cookie(manager.cookie_name))
        self._session.client_ip = self.request.remote_ip
        if self.session_autoload:
            await manager.load(self._session)
        if self.request.method not in _SAFE_METHODS and _session_xsrf(self.settings):
            await manager.load(self._session)  # a no-op once loaded
            self.check_xsrf_cookie()
        result = super().prepare()
        if result is not None:
            await result

    async def load_session(self) -> Session:
        """The session, loaded (a no-op once it is)."""
        return await self.session_manager.load(self.session)

    async def start_new_session(self) -> Session:
        """Serve this request with a new, empty session instead of the one its cookie names.

        For a page that can do without the visitor's stored session when it cannot be read (its
        store node is down: :meth:`prepare` raised StoreUnavailable). No store is touched here;
        the cookie is replaced only if the new session is saved, and a sharded store then places
        it on a live node. The old record is left as it is.
        """
        manager = self.session_manager
        self._session = await manager.load(manager.open(None))
        self._session.client_ip = self.request.remote_ip
        return self._session

    @property
    def xsrf_token(self) -> bytes:
        """With ``session_xsrf``: a fresh mask of the session's token, made on first use; else Tornado's."""
        if not _session_xsrf(self.settings):
            return super().xsrf_token
        session = self.session
        token = session.get(_XSRF_KEY)
        if not is_token(token):
            token = session[_XSRF_KEY] = new_token()
        return mask(token).encode("ascii")

    def check_xsrf_cookie(self) -> None:
        """With ``session_xsrf``: 403 unless the ``_xsrf`` form field or the ``X-XSRFToken`` (or
        ``X-CSRFToken``) header is a mask of the session's token; else Tornado's cookie check."""
        if not _session_xsrf(self.settings):
            super().check_xsrf_cookie()
            return
        submitted = (
            self.get_body_argument("_xsrf", None)
            or self.request.headers.get("X-Xsrftoken")
            or self.request.headers.get("X-Csrftoken")
        )
        if not submitted:
            raise tornado.web.HTTPError(403, "'_xsrf' form field or X-XSRFToken header missing")
        token = self.session.get(_XSRF_KEY)
        if token is None:
            raise tornado.web.HTTPError(403, "no XSRF token in the session (no session, or it ended)")
        if not matches(token, submitted):
            raise tornado.web.HTTPError(403, "'_xsrf' does not match the session's token")

    def flash(self, message: Any, category: str = "message") -> None:
        """Keep ``message`` for the next page that shows flash messages (after a redirect, say)."""
        self.session.flash(message, category)

    def get_template_namespace(self) -> dict[str, Any]:
        """Tornado's namespace, plus ``flashes(category=None)``: the messages to show, taken once."""
        namespace = super().get_template_namespace()
        namespace["flashes"] = self._template_flashes
        return namespace

    def _template_flashes(self, category: str | None = None) -> list[Flash]:
        session = self._session
        return session.flashes(category) if session is not None and session.loaded else []

    def get_current_user(self) -> Any:
        session = self._session
        return session.user_id if session is not None and session.loaded else None

    def finish(self, chunk: str | bytes | dict[str, Any] | None = None) -> asyncio.Future[None]:
        """Save the session, set its cookie, then finish: the next request sees what this one wrote.

        A save with nothing to write finishes at once; one with store work finishes in a task.
        """
        if self._session_finishing is not None:
            return self._session_finishing
        session = self._session
        if self._session_done or session is None or not session.loaded or self.get_status() >= 500:
            self._session_done = True
            return super().finish(chunk)
        if chunk is not None:
            self.write(chunk)
        try:
            steps = self.session_manager.begin_save(session)
        except Exception as exc:
            self._save_failed(exc)
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            done.set_result(None)
            return done
        if steps is None:
            self._session_done = True
            return super().finish()
        signing_in = session.signing_in
        self._session_finishing = asyncio.ensure_future(self._save_and_finish(steps, signing_in))
        return self._session_finishing

    async def _save_and_finish(
        self, steps: Coroutine[Any, Any, CookieUpdate | None], signing_in: bool
    ) -> None:
        try:
            update = await steps
        except Exception as exc:
            self._save_failed(exc)
            return
        self._session_done = True
        if update is not None:
            self._apply_cookie(update)
        if signing_in and self.session.user_id is not None:
            await self._signed_in(self.session.user_id)
        await super().finish()

    async def _signed_in(self, user_id: str) -> None:
        """Remember this browser for the user, and call ``session_on_new_device`` if it is new to them."""
        manager = self.session_manager
        device_cookie = self.get_cookie(manager.device_cookie_name)
        known = manager.is_known_device(device_cookie, user_id)
        self._apply_cookie(manager.known_device_cookie(device_cookie, user_id))
        hook = self.settings.get("session_on_new_device")
        if known or hook is None:
            return
        try:
            result = hook(self, manager.describe(self.session))
            if inspect.isawaitable(result):
                await result
        except Exception:  # the sign-in stands; the failed notice is logged
            log.exception("session_on_new_device failed")

    def _save_failed(self, exc: Exception) -> None:
        """Whatever the store or the session raised, the client gets an answer: 503 or 500."""
        self._session_done = True
        self._session_finishing = None
        exc_info = (type(exc), exc, exc.__traceback__)
        self.log_exception(*exc_info)
        self.send_error(503 if isinstance(exc, StoreUnavailable) else 500, exc_info=exc_info)

    def _apply_cookie(self, update: CookieUpdate) -> None:
        options: dict[str, Any] = dict(self.settings.get("session_cookie_options", {}))
        if self._headers_written:
            log.warning("session cookie not sent: the response was flushed before the session was saved")
            return
        self._session_cookie_changed = True
        if update.value is None:
            self.clear_cookie(update.name, path=options.get("path", "/"), domain=options.get("domain"))
            return
        options.setdefault("httponly", True)
        options.setdefault("samesite", "Lax")
        options.setdefault("secure", self.request.protocol == "https")
        self.set_cookie(update.name, update.value, max_age=update.max_age, **options)

    def flush(self, include_footers: bool = False) -> asyncio.Future[None]:
        """Send the headers (with the cache headers the session calls for) and what is written so far."""
        session = self._session
        if not self._headers_written and session is not None and session.loaded:
            used, changed = session.accessed, self._session_cookie_changed
            signed_in = session.state.user_id is not None or session.user_id is not None
            if used or changed:
                add_vary_cookie(self)
            if changed or (used and signed_in):
                forbid_shared_caching(self, no_store=signed_in)
        return super().flush(include_footers)

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if status_code == 500 and exc_info is not None and isinstance(exc_info[1], StoreUnavailable):
            status_code = 503
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, StoreUnavailable):
            log.warning("%s %s: 503, %s", self.request.method, self.request.path, value)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        if exc_info is None or not isinstance(exc_info[1], StoreUnavailable):
            super().write_error(status_code, **kwargs)
            return
        self.set_header("Retry-After", "5")
        if _wants_json(self.request):
            self.finish({"error": "service unavailable", "reason": "the session store is unavailable"})
            return
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(
            "<!doctype html><title>503 Service Unavailable</title>"
            "<h1>Service unavailable</h1><p>Sessions are unavailable for a moment. Please try again.</p>"
        )

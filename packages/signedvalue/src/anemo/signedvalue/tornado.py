"""Signed and encrypted JSON cookies for Tornado request handlers, with secure defaults.

::

    class Preferences(JSONCookieMixin, tornado.web.RequestHandler):
        def post(self):
            self.set_signed_json_cookie("prefs", {"theme": "dark"})

        def get(self):
            prefs = self.get_signed_json_cookie("prefs") or {}

Secrets come from the application's ``cookie_secret`` setting: one secret, a list of secrets (the
first signs, all verify), or Tornado's ``{key_version: secret}`` dict, whose ``key_version``
setting names the signing secret (the others still verify). Each cookie name is its own purpose:
a value set as ``"prefs"`` never validates as ``"user"``. Cookies are HttpOnly and SameSite=Lax,
and Secure when the request came over HTTPS, unless the caller says otherwise.

A response that read one of these cookies goes out with ``Vary: Cookie``; one that set one is also
``Cache-Control: private``, so a shared cache never hands a visitor's page or cookie to another.
:func:`add_vary_cookie` and :func:`forbid_shared_caching` do the same for any handler.

Encrypted cookies need the ``encrypt`` extra (the ``cryptography`` package).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

try:
    import tornado.web
    from tornado.concurrent import Future
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "tornado":
        raise
    raise ModuleNotFoundError(
        "anemo.signedvalue.tornado needs Tornado: pip install 'anemo-signedvalue[tornado]'", name="tornado"
    ) from exc

from ._cache_headers import cache_control_private, vary_with_cookie
from ._serializer import Serializer, TokenSerializer
from .errors import InvalidOption

__all__ = [
    "JSONCookieMixin",
    "MAX_COOKIE_BYTES",
    "cookie_secrets",
    "add_vary_cookie",
    "forbid_shared_caching",
]

#: Browsers keep cookies up to about this size (name, "=" and value); larger ones vanish silently.
MAX_COOKIE_BYTES = 4096

_DAY = 86400


class JSONCookieMixin(tornado.web.RequestHandler):
    """Adds signed and encrypted JSON cookie methods to a RequestHandler.

    Its ``flush`` sends, with the headers, ``Vary: Cookie`` once one of these cookies was read or
    set, and ``Cache-Control: private`` once one was set, merged with the handler's own.
    """

    _json_cookie_read = False
    _json_cookie_set = False

    def set_signed_json_cookie(
        self, name: str, obj: Any, *, expires_days: float | None = 30, **options: Any
    ) -> None:
        """Set cookie ``name`` to a signed token of ``obj``: readable by the client, not forgeable."""
        self._set_json_cookie(name, self._json_serializer("sign", name).dumps(obj), expires_days, options)

    def get_signed_json_cookie(self, name: str, *, max_age_days: float = 31) -> Any:
        """The object in signed cookie ``name``, or None if absent, forged, expired or set as another name."""
        return self._get_json_cookie("sign", name, max_age_days)

    def set_encrypted_json_cookie(
        self, name: str, obj: Any, *, expires_days: float | None = 30, **options: Any
    ) -> None:
        """Set cookie ``name`` to an encrypted token of ``obj``: neither readable nor forgeable."""
        self._set_json_cookie(name, self._json_serializer("encrypt", name).dumps(obj), expires_days, options)

    def get_encrypted_json_cookie(self, name: str, *, max_age_days: float = 31) -> Any:
        """The object in encrypted cookie ``name``, or None if absent, forged, expired or misnamed."""
        return self._get_json_cookie("encrypt", name, max_age_days)

    def flush(self, include_footers: bool = False) -> Future[None]:
        """Flush as Tornado does; the first time, mark a cookie-dependent response uncacheable first."""
        if not self._headers_written:
            if self._json_cookie_read or self._json_cookie_set:
                add_vary_cookie(self)
            if self._json_cookie_set:
                forbid_shared_caching(self)
        return super().flush(include_footers)

    def _json_serializer(self, kind: str, name: str) -> TokenSerializer:
        self.require_setting("cookie_secret", "signed and encrypted JSON cookies")
        return _serializer(kind, cookie_secrets(self.application.settings), name)

    def _set_json_cookie(
        self, name: str, token: str, expires_days: float | None, options: dict[str, Any]
    ) -> None:
        if len(name) + 1 + len(token) > MAX_COOKIE_BYTES:
            raise InvalidOption(
                f"cookie {name!r} would be {len(name) + 1 + len(token)} bytes; browsers drop cookies over "
                f"{MAX_COOKIE_BYTES}: store less, or keep it server-side"
            )
        options.setdefault("httponly", True)
        options.setdefault("samesite", "Lax")
        options.setdefault("secure", self.request.protocol == "https")
        self.set_cookie(name, token, expires_days=expires_days, **options)
        self._json_cookie_set = True

    def _get_json_cookie(self, kind: str, name: str, max_age_days: float) -> Any:
        self._json_cookie_read = True  # an absent cookie shapes the response too
        token = self.get_cookie(name)
        if token is None:
            return None
        return self._json_serializer(kind, name).loads_or_none(token, max_age=max_age_days * _DAY)


def add_vary_cookie(handler: tornado.web.RequestHandler) -> None:
    """Make ``handler``'s response say ``Vary: Cookie``, merged with the Vary it already has.

    Call it, before the headers are sent, on any response that depends on a cookie, so a cache
    keeps one copy per cookie. ``Vary: *`` is left as is; it already covers cookies.
    """
    vary = ", ".join(handler._headers.get_list("Vary"))
    handler.set_header("Vary", vary_with_cookie(vary))


def forbid_shared_caching(handler: tornado.web.RequestHandler, *, no_store: bool = False) -> None:
    """Make ``handler``'s Cache-Control keep shared caches from storing the response.

    ``public`` and ``s-maxage`` are dropped and ``private`` added; ``no_store=True`` (for signed-in
    pages) adds ``no-store`` too. The handler's other directives (``max-age``, ``no-cache``, ...)
    stay, and calling it again changes nothing. Call it before the headers are sent on any
    response that sets a cookie, so no shared cache hands that cookie to another visitor.
    """
    cache_control = ", ".join(handler._headers.get_list("Cache-Control"))
    handler.set_header("Cache-Control", cache_control_private(cache_control, no_store=no_store))


def cookie_secrets(settings: Mapping[str, Any]) -> tuple[str | bytes, ...]:
    """The secrets of an application's ``cookie_secret`` setting, the signing one first.

    Other packages that sign with the application's secret (anemo-sessions' cookie) read it here,
    so a list or a ``{key_version: secret}`` dict rotates the same way for all of them.
    """
    cookie_secret = settings["cookie_secret"]
    key_version = settings.get("key_version")
    if isinstance(cookie_secret, str | bytes):
        return (cookie_secret,)
    if isinstance(cookie_secret, Mapping):
        if key_version not in cookie_secret:
            raise InvalidOption(
                "with a dict cookie_secret, the key_version setting must name one of its keys"
            )
        others = [
            secret
            for version, secret in sorted(cookie_secret.items(), reverse=True)
            if version != key_version
        ]
        return (cookie_secret[key_version], *others)
    return tuple(cookie_secret)


@functools.lru_cache(maxsize=256)
def _serializer(kind: str, secrets: tuple[str | bytes, ...], name: str) -> TokenSerializer:
    """The serializer for one cookie name, cached: key derivation is not free."""
    salt = f"anemo.signedvalue.tornado.cookie:{name}"
    if kind == "encrypt":
        from .encrypted import EncryptedSerializer  # noqa: PLC0415 (cryptography is an optional extra)

        return EncryptedSerializer(secrets, salt=salt)
    return Serializer(secrets, salt=salt)

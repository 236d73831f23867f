"""Tornado adapter: the image handler, and a check of a submitted form.

Needs the ``tornado`` extra. Rendering is CPU work (about a millisecond at 160x60, far more at large
sizes), so :class:`CaptchaImageHandler` draws in an executor and the IOLoop keeps serving others.
With an async store (:class:`~anemo.captcha.redis.AsyncRedisStore`), the image handler and
:func:`apasses_captcha` await it, so a slow store never holds the IOLoop. A store that is down
gives a 503, never a traceback.

::

    service = CaptchaService()
    app = tornado.web.Application([
        (r"/captcha/([A-Za-z0-9_-]{22})", CaptchaImageHandler, {"service": service}),
        ...
    ])
    # in the form's handler: challenge = service.issue(), then in the template
    # <img src="/captcha/{{ challenge.id }}">, <input type=hidden name=captcha.challenge
    # value="{{ challenge.token }}"> and <input name=captcha.answer autocomplete=off>
    # on POST, before looking at credentials: if not await apasses_captcha(self, service): ...

:class:`CaptchaRefreshHandler` gives a form a new challenge (the "new picture" button), and with a
:class:`~anemo.captcha.ratelimit.CaptchaLimits` (the ``limits`` extra) it and
:func:`apasses_captcha` hold each client, and each account, to the limits' rates.
"""

from __future__ import annotations

import http.client
import logging
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

try:
    import tornado.web
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "tornado":
        raise
    raise ModuleNotFoundError(
        "anemo.captcha.tornado needs Tornado: pip install 'anemo-captcha[tornado]'", name="tornado"
    ) from exc

from ._service import CaptchaService, Challenge
from ._verdict import PendingVerdict
from .errors import InvalidChallenge, InvalidOption, StoreUnavailable

if TYPE_CHECKING:  # the limits extra is only needed by those who pass limits
    from .ratelimit import CaptchaLimits

__all__ = [
    "CaptchaImageHandler",
    "CaptchaRefreshHandler",
    "passes_captcha",
    "apasses_captcha",
    "NO_CACHE_HEADERS",
]

log = logging.getLogger("anemo.captcha")

#: Headers that keep every cache (browser, proxy) from keeping or reusing a challenge image.
NO_CACHE_HEADERS = {
    "Cache-Control": "no-store, no-cache, must-revalidate, max-age=0, private",
    "Pragma": "no-cache",
    "Expires": "0",
    "X-Content-Type-Options": "nosniff",
}


class CaptchaImageHandler(tornado.web.RequestHandler):
    """Serves the image of the challenge whose id is the route's one group; 404 if there is none.

    ``executor`` is where images are drawn (default: the IOLoop's default executor).
    """

    def initialize(self, service: CaptchaService, executor: Executor | None = None) -> None:
        self.service = service
        self.executor = executor

    async def get(self, challenge_id: str) -> None:
        try:
            image = await self.service.aimage(challenge_id, executor=self.executor)
        except InvalidChallenge:
            raise tornado.web.HTTPError(404, "no such captcha") from None
        except StoreUnavailable as exc:
            raise _unavailable(exc) from None
        _no_cache(self)
        self.set_header("Content-Type", self.service.media_type)
        self.finish(image)


class CaptchaRefreshHandler(tornado.web.RequestHandler):
    """Answers a POST with a new challenge for the same form, as JSON: the "new picture" button.

    The body is ``{"id", "token", "image", "expires_at"}``: the page swaps its image's ``src`` for
    ``image`` and its hidden challenge field for ``token``. ``image_url`` makes ``image`` from the
    challenge id (``{id}`` is replaced), and must match the :class:`CaptchaImageHandler` route.

    POST only (405 otherwise), so a link, a prefetch or an image on another site cannot spend a
    visitor's allowance; with the application's ``xsrf_cookies`` on, the request must carry the
    XSRF token (``X-XSRFToken`` header or ``_xsrf`` field) like any other POST, else 403.

    With ``limits``, each new challenge counts against the client's
    new-challenge limit (:data:`~anemo.captcha.ratelimit.CHALLENGES` by default); past it the answer is 429
    with ``Retry-After`` and ``{"error", "retry_after"}``, and no challenge is issued. A challenge
    store that is down gives 503. Every answer carries :data:`NO_CACHE_HEADERS`.

    The challenge the form held is not revoked: it stays answerable, once, until its lifetime ends
    (stateless, revoking it would mean storing its id; server-side it would mean trusting the
    client to say which one to drop). The challenge limit bounds how many one client holds.
    Override :meth:`issued` to record the new challenge, such as binding it to the session, and
    `refusal_text` to word the 429's error.
    """

    SUPPORTED_METHODS = ("POST",)

    def initialize(
        self,
        service: CaptchaService,
        limits: CaptchaLimits | None = None,
        image_url: str = "/captcha/{id}",
    ) -> None:
        self.service = service
        self.captcha_limits = limits
        self.image_url = image_url

    async def post(self) -> None:
        _no_cache(self)
        if self.captcha_limits is not None:
            wait = await self.captcha_limits.challenge(self.request.remote_ip)
            if wait:
                self.set_status(429)
                self.set_header("Retry-After", str(wait))
                self.finish({"error": self.refusal_text(wait), "retry_after": wait})
                return
        try:
            challenge = await self.service.aissue()
        except StoreUnavailable as exc:
            raise _unavailable(exc) from None
        self.issued(challenge)
        self.finish(
            {
                "id": challenge.id,
                "token": challenge.token,
                "image": self.image_url.replace("{id}", challenge.id),
                "expires_at": challenge.expires_at,
            }
        )

    def issued(self, challenge: Challenge) -> None:
        """Called with each new challenge before it is sent; does nothing unless overridden."""

    def refusal_text(self, wait: int) -> str:
        """The ``error`` of a 429: override it to word it in the visitor's language."""
        return f"too many new challenges: try again in {wait} s"

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Errors as JSON too (``{"error": reason}``), uncacheable: the caller is a script."""
        _no_cache(self)
        self.finish({"error": http.client.responses.get(status_code, "Unknown")})


def passes_captcha(
    handler: tornado.web.RequestHandler,
    service: CaptchaService,
    *,
    challenge_field: str = "captcha.challenge",
    answer_field: str = "captcha.answer",
) -> bool:
    """Whether the request's body answers its captcha; the challenge is used up either way.

    The form carries ``challenge.token`` in ``challenge_field`` and what the person typed in
    ``answer_field``: the names :func:`anemo.captcha.formvalidate.captcha_field` reads too.

    Check it before, and independently of, anything else in the form (credentials above all), so
    the captcha cannot be skipped and says nothing about them. Rate limits are asynchronous: to
    apply them in the same call, use :func:`apasses_captcha`.
    """
    token = handler.get_body_argument(challenge_field, "")
    answer = handler.get_body_argument(answer_field, "")
    try:
        return service.passes(token, answer)
    except StoreUnavailable as exc:
        raise _unavailable(exc) from None


def apasses_captcha(
    handler: tornado.web.RequestHandler,
    service: CaptchaService,
    *,
    limits: CaptchaLimits | None = None,
    account: str | None = None,
    challenge_field: str = "captcha.challenge",
    answer_field: str = "captcha.answer",
) -> PendingVerdict:
    """:func:`passes_captcha` for any store, awaiting an async one: the IOLoop keeps serving.

    Write ``if not await apasses_captcha(self, service):``; without ``await`` the test raises
    CallModeError (see :class:`~anemo.captcha.PendingVerdict`) instead of passing every answer.

    With ``limits``, the answer first counts against the client's answer limit and, given the
    ``account`` the form is about (the typed user name), is checked against that account's limit
    of passed answers, which it raises when it passes. Past a limit the request ends there, the
    challenge untouched: 429 with ``Retry-After`` and a one-line text body, raised as
    :class:`tornado.web.Finish`, so nothing after the call runs. For a page of your own, call
    :meth:`~anemo.captcha.ratelimit.CaptchaLimits.answer` yourself first. The client is
    ``handler.request.remote_ip``: behind a proxy, serve with ``xheaders=True``.
    """
    if account is not None and limits is None:
        raise InvalidOption("apasses_captcha(account=...) needs limits=CaptchaLimits(...) to count it")
    token = handler.get_body_argument(challenge_field, "")
    answer = handler.get_body_argument(answer_field, "")
    return PendingVerdict(_apasses(handler, service, token, answer, limits=limits, account=account))


async def _apasses(
    handler: tornado.web.RequestHandler,
    service: CaptchaService,
    token: str,
    answer: str,
    *,
    limits: CaptchaLimits | None,
    account: str | None,
) -> bool:
    if limits is not None:
        wait = await limits.answer(handler.request.remote_ip, account)
        if wait:
            handler.set_status(429)
            handler.set_header("Retry-After", str(wait))
            handler.set_header("Content-Type", "text/plain; charset=UTF-8")
            raise tornado.web.Finish(f"Too many answers: try again in {wait} s.\n")
    try:
        passed = await service.apasses(token, answer)
    except StoreUnavailable as exc:
        raise _unavailable(exc) from None
    if passed and limits is not None and account is not None:
        await limits.passed(account)
    return passed


def _no_cache(handler: tornado.web.RequestHandler) -> None:
    for name, value in NO_CACHE_HEADERS.items():
        handler.set_header(name, value)


def _unavailable(exc: StoreUnavailable) -> tornado.web.HTTPError:
    """One log line and a 503 (never a traceback) for a store that is down."""
    log.warning("captcha: 503, %s", exc)
    return tornado.web.HTTPError(503, "captcha store unavailable")

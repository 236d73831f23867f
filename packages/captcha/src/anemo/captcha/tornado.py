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
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor

try:
    import tornado.web
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "tornado":
        raise
    raise ModuleNotFoundError(
        "anemo.captcha.tornado needs Tornado: pip install 'anemo-captcha[tornado]'", name="tornado"
    ) from exc

from ._service import CaptchaService
from ._verdict import PendingVerdict
from .errors import InvalidChallenge, StoreUnavailable

__all__ = ["CaptchaImageHandler", "passes_captcha", "apasses_captcha", "NO_CACHE_HEADERS"]

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
        for name, value in NO_CACHE_HEADERS.items():
            self.set_header(name, value)
        self.set_header("Content-Type", self.service.media_type)
        self.finish(image)


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
    the captcha cannot be skipped and says nothing about them.
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
    challenge_field: str = "captcha.challenge",
    answer_field: str = "captcha.answer",
) -> PendingVerdict:
    """:func:`passes_captcha` for any store, awaiting an async one: the IOLoop keeps serving.

    Write ``if not await apasses_captcha(self, service):``; without ``await`` the test raises
    CallModeError (see :class:`~anemo.captcha.PendingVerdict`) instead of passing every answer.
    """
    token = handler.get_body_argument(challenge_field, "")
    answer = handler.get_body_argument(answer_field, "")
    return PendingVerdict(_apasses(service, token, answer))


async def _apasses(service: CaptchaService, token: str, answer: str) -> bool:
    try:
        return await service.apasses(token, answer)
    except StoreUnavailable as exc:
        raise _unavailable(exc) from None


def _unavailable(exc: StoreUnavailable) -> tornado.web.HTTPError:
    """One log line and a 503 (never a traceback) for a store that is down."""
    log.warning("captcha: 503, %s", exc)
    return tornado.web.HTTPError(503, "captcha store unavailable")

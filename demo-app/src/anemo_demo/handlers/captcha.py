"""POST /captcha/new: a new challenge for the login and register forms' "New picture" button.

anemo.captcha's refresh handler, with what the form pages add: the site's rate limits (one count
with the pages' own challenges) and the binding of each challenge to the visitor's session, without
which the form would refuse the new challenge as one issued to someone else.
"""

from __future__ import annotations

from anemo.captcha import CaptchaService, Challenge
from anemo.captcha.ratelimit import CaptchaLimits
from anemo.captcha.tornado import CaptchaRefreshHandler

from ..ratelimit import rate_limits
from .auth import _CaptchaPage

__all__ = ["NewPicture"]


class NewPicture(CaptchaRefreshHandler, _CaptchaPage):
    """The refresh endpoint (POST only, XSRF-checked), in the form pages' session."""

    def initialize(
        self, service: CaptchaService, limits: CaptchaLimits | None = None, image_url: str = "/captcha/{id}"
    ) -> None:
        """Without ``limits``, the application's (:func:`~anemo_demo.ratelimit.rate_limits`)."""
        super().initialize(service, limits or rate_limits(self.application), image_url)

    def issued(self, challenge: Challenge) -> None:
        self.bind(challenge.token)

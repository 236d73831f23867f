"""The site's rate limits: anemo.captcha's per client, and failed logins per account name.

Challenges and answers per client address are :mod:`anemo.captcha.ratelimit`'s limits (its
defaults, documented there, are the site's); failed logins per account are the site's own, since
only the login page knows a password was wrong. All are kept in one ``limits`` storage named by a
URI, this process's memory by default; a storage that fails lets requests through with a log line
(the captcha itself still holds), as :class:`~anemo.captcha.ratelimit.CaptchaLimits` explains.
"""

from __future__ import annotations

import weakref

import tornado.web
from limits import RateLimitItemPerMinute

from anemo.captcha.ratelimit import ANSWERS, CHALLENGES, CaptchaLimits, client_key

__all__ = [
    "CHALLENGES",
    "ANSWERS",
    "FAILED_LOGINS",
    "RateLimits",
    "rate_limits_from_uri",
    "rate_limits",
    "client_key",
]

#: Failed logins per account name, from any address: a person who forgot a password gives up or
#: resets it long before 10 tries in 15 minutes; a guesser gets under a thousand a day, each one
#: behind a captcha. (The price: a stranger can keep one account locked by failing on purpose.)
FAILED_LOGINS = RateLimitItemPerMinute(10, 15, namespace="anemo-demo.failed-logins")

#: The site's limits: anemo.captcha's, whose ``hit`` and ``wait`` also count the site's own.
RateLimits = CaptchaLimits


def rate_limits_from_uri(uri: str = "memory://", secret_key: str | bytes | None = None) -> RateLimits:
    """Rate limits kept where ``uri`` says: ``memory://`` (this process) or ``redis://host:port/db``.

    A shared storage needs ``secret_key``, the same in every process (see CaptchaLimits).
    """
    return CaptchaLimits(uri, secret_key=secret_key)


_per_application: weakref.WeakKeyDictionary[tornado.web.Application, RateLimits] = weakref.WeakKeyDictionary()


def rate_limits(application: tornado.web.Application) -> RateLimits:
    """The application's limits: its ``rate_limits`` setting, else one in-memory set of its own."""
    configured = application.settings.get("rate_limits")
    if isinstance(configured, CaptchaLimits):
        return configured
    limits = _per_application.get(application)
    if limits is None:
        limits = _per_application[application] = rate_limits_from_uri()
    return limits

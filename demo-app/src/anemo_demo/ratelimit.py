"""Rate limits per client address and per account name, on the ``limits`` library's async API.

The counters live in a ``limits`` storage named by a URI: this process's memory by default, or a
Redis URL, which every process and machine serving the site must share for the limits to hold
across them. A storage that fails lets the request through (logged): the limits protect the
captcha store and the password check, and an outage of theirs must not lock every visitor out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
import weakref

import tornado.web
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

__all__ = [
    "CHALLENGES",
    "ANSWERS",
    "FAILED_LOGINS",
    "RateLimits",
    "rate_limits_from_uri",
    "rate_limits",
    "client_key",
    "account_key",
]

log = logging.getLogger("anemo_demo")

#: New captcha challenges per client address. A person loads a form, mistypes an answer or asks
#: for a new picture a few times a minute at most; 60 leaves room for an office or a school behind
#: one NAT address (eight people registering at once take about 40). With the 5-minute challenge
#: lifetime one address then holds at most 300 live challenges, 0.3% of the 100,000 the memory
#: store keeps: crowding out everyone else takes hundreds of addresses, not one script.
CHALLENGES = RateLimitItemPerMinute(60, namespace="anemo-demo.challenges")
#: Captcha answers (form posts to /login and /register) per client address: a person posts a form
#: every few seconds at the fastest; a script is held to one answer every 2 s, whatever it posts.
ANSWERS = RateLimitItemPerMinute(30, namespace="anemo-demo.answers")
#: Failed logins per account name, from any address: a person who forgot a password gives up or
#: resets it long before 10 tries in 15 minutes; a guesser gets under a thousand a day, each one
#: behind a captcha. (The price: a stranger can keep one account locked by failing on purpose.)
FAILED_LOGINS = RateLimitItemPerMinute(10, 15, namespace="anemo-demo.failed-logins")

#: The prefix of the URI schemes of ``limits``' async storages (``async+redis://``).
_ASYNC = "async+"


class RateLimits:
    """Counts hits against the site's limits in one ``limits`` storage; each answer is a wait.

    A wait is the number of seconds until the limit allows one more (what ``Retry-After`` says),
    0 when it allows one now. The limiter is a sliding window counter: two counters per key, no
    list of hits, and no burst of twice the limit at a window's edge as a fixed window allows.
    """

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        raised = storage.base_exceptions
        #: What a failing storage raises: wrapped by ``limits`` or not, depending on the method.
        self._failures: tuple[type[Exception], ...] = (
            StorageError,
            *(raised if isinstance(raised, tuple) else (raised,)),
        )

    async def hit(self, limit: RateLimitItem, key: str) -> int:
        """Count one against ``limit`` for ``key`` if it allows one more: 0, else the wait (not counted)."""
        try:
            if await self._limiter.hit(limit, key):
                return 0
        except self._failures as exc:
            log.warning("rate limit %s not applied: storage failed: %r", limit.namespace, exc)
            return 0
        return await self.wait(limit, key) or 1

    async def wait(self, limit: RateLimitItem, key: str) -> int:
        """The wait before ``limit`` allows one more for ``key``, counting nothing: 0 if it does now."""
        try:
            if await self._limiter.test(limit, key):
                return 0
            stats = await self._limiter.get_window_stats(limit, key)
        except self._failures as exc:
            log.warning("rate limit %s not applied: storage failed: %r", limit.namespace, exc)
            return 0
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        """Forget every count (tests, and an operator lifting a block)."""
        await self.storage.reset()


def rate_limits_from_uri(uri: str = "memory://") -> RateLimits:
    """Rate limits kept where ``uri`` says: ``memory://`` (this process) or ``redis://host:port/db``.

    Any storage URI ``limits`` knows works, with or without its ``async+`` prefix. Redis is reached
    through redis-py's asyncio client, which the site already has for sessions (not coredis).
    """
    scheme = uri.partition("://")[0]
    full = uri if scheme.startswith(_ASYNC) else _ASYNC + uri
    options: dict[str, str | bool] = {"wrap_exceptions": True}
    if "redis" in scheme or "valkey" in scheme:
        options["implementation"] = "redispy"
    storage = storage_from_string(full, **options)
    if not isinstance(storage, Storage):  # pragma: no cover - the async+ prefix names async storages
        raise TypeError(f"{uri!r} does not name an async storage")
    return RateLimits(storage)


_per_application: weakref.WeakKeyDictionary[tornado.web.Application, RateLimits] = weakref.WeakKeyDictionary()


def rate_limits(application: tornado.web.Application) -> RateLimits:
    """The application's limits: its ``rate_limits`` setting, else one in-memory set of its own."""
    configured = application.settings.get("rate_limits")
    if isinstance(configured, RateLimits):
        return configured
    limits = _per_application.get(application)
    if limits is None:
        limits = _per_application[application] = rate_limits_from_uri()
    return limits


def client_key(remote_ip: str | None) -> str:
    """Whom per-client limits count: an IPv4 address, or the /64 network of an IPv6 one.

    One IPv6 subscriber usually holds a whole /64 (2**64 addresses): counting single addresses
    would let one machine pick a new one per request.
    """
    try:
        address = ipaddress.ip_address(remote_ip or "")
    except ValueError:
        return (remote_ip or "unknown")[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address), 64), strict=False))
    return str(address)


def account_key(username: str) -> str:
    """How per-account limits name an account: a hash of the name as the user store compares it.

    Names compare case-insensitively there, so ``Bob`` and ``bob`` share one count; hashed, a key
    has a fixed length whatever was typed, and a dump of a shared storage lists no names.
    """
    return hashlib.sha256(username.lower().encode()).hexdigest()[:32]

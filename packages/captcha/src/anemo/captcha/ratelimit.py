"""Rate limits on captcha challenges and answers, per client and per account, on ``limits``.

Needs the ``limits`` extra (``pip install 'anemo-captcha[limits]'``; with ``redis`` too for a
Redis storage). A captcha makes each answer cost a person's attention, not a script's nothing;
what it cannot do alone is stop one client from asking for challenges by the thousand (filling
the challenge store, or harvesting pictures for a solving service) or from posting answers as
fast as it can. :class:`CaptchaLimits` counts those, per client and per account::

    limits = CaptchaLimits("redis://127.0.0.1:6379/0", secret_key=SECRET)
    wait = await limits.challenge(request.remote_ip)   # before issuing: 0, or seconds to wait
    wait = await limits.answer(request.remote_ip, account=form["username"])  # before verifying
    ...
    await limits.passed(form["username"])              # after an answer passed

Every check returns the wait in seconds until the limit allows one more, 0 when it allows one
now: what a 429 response's ``Retry-After`` says. The counters are ``limits``' sliding window
counters: two per key, no list of hits, and no burst of twice the limit at a window's edge as a
fixed window allows. Whom they count is decided by :func:`client_key` (an IPv4 address, or the
/64 network of an IPv6 one) and :func:`account_key` (a keyed hash of the account name: a dump of
the storage lists no names).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import math
import secrets
import time
import unicodedata
from typing import Any

try:
    from limits import RateLimitItem, RateLimitItemPerMinute
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "limits":
        raise
    raise ModuleNotFoundError(
        "anemo.captcha.ratelimit needs limits: pip install 'anemo-captcha[limits]'", name="limits"
    ) from exc
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import ConfigurationError, StorageError
from limits.storage import storage_from_string

from .errors import InvalidOption, InvalidOptionType

__all__ = [
    "CaptchaLimits",
    "CHALLENGES",
    "ANSWERS",
    "ACCOUNT_ANSWERS",
    "DEFAULT_TIMEOUT",
    "client_key",
    "account_key",
]

log = logging.getLogger("anemo.captcha")

#: New challenges per client. A person loads a form, mistypes an answer or asks for a new picture a
#: few times a minute at most; 60 leaves room for an office or a school behind one NAT address
#: (eight people registering at once take about 40). With the default 5-minute lifetime one
#: client then holds at most 300 live challenges: crowding out everyone else from a store of
#: 100,000 takes hundreds of addresses, not one script.
CHALLENGES = RateLimitItemPerMinute(60, namespace="anemo.captcha.challenges")
#: Answers per client, right or wrong: a person posts a form every few seconds at the fastest; a
#: script is held to one answer every 2 s, whatever it posts.
ANSWERS = RateLimitItemPerMinute(30, namespace="anemo.captcha.answers")
#: Passed answers per account, from any client: each is one try at the account's password behind a
#: solved captcha, which a solving service sells by the thousand. A person signs in a few times a
#: day; 10 in 15 minutes bounds a farm of solvers to under a thousand tries a day per account.
ACCOUNT_ANSWERS = RateLimitItemPerMinute(10, 15, namespace="anemo.captcha.account-answers")
#: Seconds a Redis storage waits for its server before a check gives up (and lets the request by).
DEFAULT_TIMEOUT = 0.5

#: The prefix of the URI schemes of ``limits``' async storages (``async+redis://``).
_ASYNC = "async+"
#: URI schemes of a single Redis server, and how redis-py spells each.
_REDIS_SCHEMES = {"redis": "redis", "rediss": "rediss", "redis+unix": "unix", "unix": "unix"}
#: What an account key is derived under, from ``secret_key``.
_ACCOUNT_PURPOSE = b"anemo.captcha.ratelimit/account"


class CaptchaLimits:
    """Counts challenges and answers against per-client and per-account limits in one storage.

    ``storage`` is a ``limits`` storage URI or an async storage object: ``memory://`` (this
    process), ``redis://host:port/db`` (turned into ``async+redis://``, reached through redis-py's
    asyncio client with ``timeout``-second socket timeouts and no retries), or any ``async+...``
    URI ``limits`` knows. Every process and machine serving the site must share the storage for the
    limits to hold across them, and then one ``secret_key`` too, since account keys are derived
    from it; without a key a random one is drawn, which only ``memory://`` can work with.

    ``challenges`` and ``answers`` are per client, ``account_answers`` per account (see the
    module's constants for why each default is what it is); any ``limits`` item works.

    **A storage that fails lets the request through**, with one warning logged per check: the
    limits protect the challenge store and the checks behind the captcha, and an outage of the
    limiter must not lock every visitor out. The captcha itself still holds (one answer per
    challenge, expiry), so an attacker who waits for an outage only gets the plain captcha back.
    """

    def __init__(
        self,
        storage: str | Storage = "memory://",
        *,
        secret_key: str | bytes | None = None,
        challenges: RateLimitItem = CHALLENGES,
        answers: RateLimitItem = ANSWERS,
        account_answers: RateLimitItem = ACCOUNT_ANSWERS,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        items = {"challenges": challenges, "answers": answers, "account_answers": account_answers}
        for name, item in items.items():
            if not isinstance(item, RateLimitItem):
                raise InvalidOptionType(f"{name} must be a limits RateLimitItem, not {type(item).__name__}")
        #: Where the counters are kept.
        self.storage: Storage
        self._pool: Any = None
        if isinstance(storage, Storage):
            self.storage = storage
        else:
            self.storage, self._pool = _storage(storage, timeout)
        if secret_key is None:
            if not isinstance(self.storage, MemoryStorage):
                raise InvalidOption("a shared storage needs secret_key: each process must key accounts alike")
            secret_key = secrets.token_bytes(32)
        self._account_secret = _account_secret(secret_key)
        self.challenges = challenges
        self.answers = answers
        self.account_answers = account_answers
        self._limiter = SlidingWindowCounterRateLimiter(self.storage)
        raised = self.storage.base_exceptions
        #: What a failing storage raises: wrapped by ``limits`` or not, depending on the method.
        self._failures: tuple[type[Exception], ...] = (
            StorageError,
            *(raised if isinstance(raised, tuple) else (raised,)),
        )

    async def challenge(self, remote_ip: str | None) -> int:
        """Count a new challenge for the client at ``remote_ip``: 0, or the wait (nothing counted)."""
        return await self.hit(self.challenges, client_key(remote_ip))

    async def answer(self, remote_ip: str | None, account: str | None = None) -> int:
        """Before an answer is verified: count it for the client, and check the account's budget.

        The account's count is only tested here, not raised: a wrong answer costs nothing to post,
        so counting those would let anyone lock any account out. :meth:`passed` counts the answers
        that pass. 0 if the answer may be verified, else the longer of the two waits.
        """
        if account is not None:
            wait = await self.wait(self.account_answers, self.account_key(account))
            if wait:
                return wait
        return await self.hit(self.answers, client_key(remote_ip))

    async def passed(self, account: str) -> None:
        """Count an answer that passed against ``account`` (whatever the rest of the form held)."""
        await self.hit(self.account_answers, self.account_key(account))

    def account_key(self, account: str) -> str:
        """The key per-account limits count ``account`` under: see :func:`account_key`."""
        return account_key(account, self._account_secret)

    async def hit(self, limit: RateLimitItem, key: str) -> int:
        """Count one against ``limit`` for ``key`` if it allows one more: 0, else the wait (not counted)."""
        try:
            if await self._limiter.hit(limit, key):
                return 0
        except self._failures as exc:
            self._failed(limit, exc)
            return 0
        return await self.wait(limit, key) or 1

    async def wait(self, limit: RateLimitItem, key: str) -> int:
        """The wait before ``limit`` allows one more for ``key``, counting nothing: 0 if it does now."""
        try:
            if await self._limiter.test(limit, key):
                return 0
            stats = await self._limiter.get_window_stats(limit, key)
        except self._failures as exc:
            self._failed(limit, exc)
            return 0
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def reset(self) -> None:
        """Forget every count (tests, and an operator lifting a block)."""
        await self.storage.reset()

    async def aclose(self) -> None:
        """Close the Redis connections made for a ``redis://`` URI; a storage object given stays open."""
        if self._pool is not None:
            await self._pool.aclose()

    def _failed(self, limit: RateLimitItem, exc: Exception) -> None:
        log.warning("captcha: rate limit %s not applied, its storage failed: %r", limit.namespace, exc)


def _storage(uri: str, timeout: float) -> tuple[Storage, Any]:
    """The async ``limits`` storage ``uri`` names, and the Redis connection pool made for it, if any.

    A single Redis server (``redis``, ``rediss``, ``redis+unix``) is reached through a pool of
    redis-py asyncio connections made here, which fail within ``timeout`` seconds and never retry;
    other storages (Cluster, Sentinel, memcached, ...) are built by ``limits`` from the URI alone.
    """
    if not isinstance(uri, str) or "://" not in uri:
        raise InvalidOption(f"storage must be a URI such as memory:// or redis://host:port/db, not {uri!r}")
    if isinstance(timeout, bool) or not (isinstance(timeout, int | float) and 0 < timeout <= 60):
        raise InvalidOption(f"timeout must be a number of seconds in (0, 60], not {timeout!r}")
    scheme, _, rest = uri.partition("://")
    scheme = scheme.removeprefix(_ASYNC)
    options: dict[str, Any] = {"wrap_exceptions": True}
    pool = None
    if scheme in _REDIS_SCHEMES:
        pool = _redis_pool(f"{_REDIS_SCHEMES[scheme]}://{rest}", timeout)
        options.update(implementation="redispy", connection_pool=pool)
    try:
        storage = storage_from_string(f"{_ASYNC}{scheme}://{rest}", **options)
    except ConfigurationError as exc:
        raise InvalidOption(f"storage {uri!r}: {exc}") from None
    if not isinstance(storage, Storage):  # pragma: no cover - the async+ prefix names async storages
        raise InvalidOption(f"storage {uri!r} does not name an async limits storage")
    return storage, pool


def _redis_pool(url: str, timeout: float) -> Any:
    """redis-py asyncio connections to ``url`` that fail within ``timeout`` seconds, never retried."""
    try:
        import redis.asyncio  # noqa: PLC0415 -- redis-py is only needed for Redis
        import redis.asyncio.retry  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415
    except ModuleNotFoundError as exc:
        if exc.name != "redis":
            raise
        raise ModuleNotFoundError(
            "a Redis storage needs redis-py: pip install 'anemo-captcha[limits,redis]'", name="redis"
        ) from exc
    retry = redis.asyncio.retry.Retry(NoBackoff(), 0)
    try:
        return redis.asyncio.ConnectionPool.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, retry=retry
        )
    except ValueError as exc:
        raise InvalidOption(f"storage {url!r}: {exc}") from None


def client_key(remote_ip: str | None) -> str:
    """Whom per-client limits count: an IPv4 address, or the /64 network of an IPv6 one.

    One IPv6 subscriber usually holds a whole /64 (2**64 addresses): counting single addresses
    would let one machine take a new one per request. An IPv4-mapped IPv6 address counts as the
    IPv4 one. Anything else (no address, a unix socket's peer) is counted under a short hash of it,
    so every such client shares one count and no client string reaches the storage unbounded.
    """
    if not remote_ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(remote_ip)
    except ValueError:
        return "other:" + hashlib.sha256(remote_ip.encode(errors="surrogatepass")).hexdigest()[:16]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address), 64), strict=False))
    return str(address)


def account_key(account: str, secret: bytes) -> str:
    """How per-account limits name ``account``: HMAC-SHA256 under ``secret`` of its normalized form.

    Normalized is NFKC, case-folded, surrounding whitespace stripped: names a user store takes for
    one (``Bob`` and ``bob``) share one count, and names it would take for two at worst share one
    too, which errs on the strict side. Keyed, a dump of the storage cannot be matched against a
    list of likely names; hashed, a key has a fixed length (128 bits, hex) whatever was typed.
    """
    if not isinstance(account, str):
        raise InvalidOptionType(f"account must be str, not {type(account).__name__}")
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise InvalidOption("secret must be bytes, at least 16 of them")
    normalized = unicodedata.normalize("NFKC", account).casefold().strip()
    return hmac.new(secret, normalized.encode(errors="surrogatepass"), hashlib.sha256).hexdigest()[:32]


def _account_secret(secret_key: str | bytes) -> bytes:
    """The account-key secret derived from ``secret_key`` (never the key itself: one key, one use)."""
    secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
    if not isinstance(secret, bytes) or len(secret) < 16:
        raise InvalidOption("secret_key must be str or bytes of at least 16 bytes")
    return hmac.digest(secret, _ACCOUNT_PURPOSE, hashlib.sha256)

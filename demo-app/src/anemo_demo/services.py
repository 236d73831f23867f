"""The services the handlers share, made from the configuration once per process (after a fork)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from anemo.captcha import AsyncChallengeStore, CaptchaService, ChallengeStore, ProofOfWork
from anemo.captcha.redis import AsyncRedisStore
from anemo.sessions import SessionManager, SessionStore, store_from_url

from .challenges import SQLiteChallengeStore
from .config import Config, load_cookie_secret
from .users import UserStore

__all__ = ["Services", "make_services", "SELF_CALLS"]

#: An anonymous visitor's session (a visit count, captcha bindings) ends after 15 idle minutes.
ANONYMOUS_IDLE_TIMEOUT = 15 * 60
#: The largest session: a signed-in visitor's full hosts draft is about 8 kB of JSON.
MAX_SESSION_SIZE = 16 * 1024

#: The proof of work's difficulty: a browser tries half of it on average, about 1 s in Chromium on
#: a 2-core server (130,000 SHA-256 a second through Web Crypto); a bot pays about 50 ms of Python.
POW_DIFFICULTY = 250_000

#: Requests the async page makes to the app itself at once: Tornado's HTTP client's own limit.
SELF_CALLS = 10


@dataclass
class Services:
    """What the handlers share, made once per process (after any fork)."""

    config: Config
    sessions: SessionManager
    captcha: CaptchaService
    users: UserStore
    avatars: Path
    #: The accessible alternative to the picture, verified once each in the captcha's store.
    proof_of_work: ProofOfWork
    #: Thumbnails run here, two at a time: an upload flood queues here and never delays captchas.
    images: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="anemo-demo-images")
    )
    #: Captcha pictures are drawn here, on threads no other work can take.
    captcha_pictures: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(2, thread_name_prefix="anemo-demo-captcha")
    )

    #: Taken by each request the async page makes to the app itself.
    self_calls: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SELF_CALLS))

    async def aclose(self) -> None:
        self.images.shutdown(wait=False, cancel_futures=True)
        self.captcha_pictures.shutdown(wait=False, cancel_futures=True)
        await self.sessions.store.aclose()
        store = self.captcha.store
        if isinstance(store, AsyncRedisStore):
            await store.aclose()
        if isinstance(store, SQLiteChallengeStore):
            store.close()
        self.users.close()


def make_services(
    config: Config,
    *,
    session_store: SessionStore | None = None,
    captcha_store: ChallengeStore | AsyncChallengeStore | None = None,
) -> Services:
    """The services ``config`` names; ``session_store`` and ``captcha_store`` replace the
    configured stores (tests give stores with other limits)."""
    secret = load_cookie_secret(config)
    store = session_store if session_store is not None else store_from_url(config.session_store)
    manager = SessionManager(
        store, secret, anonymous_idle_timeout=ANONYMOUS_IDLE_TIMEOUT, max_size=MAX_SESSION_SIZE
    )
    redis_url = config.captcha_redis_url
    if captcha_store is None and redis_url:
        captcha_store = AsyncRedisStore.from_url(redis_url)
    if captcha_store is None and config.captcha_store == "sqlite":
        captcha_store = SQLiteChallengeStore(config.data_dir / "challenges.sqlite3")
    captcha = CaptchaService(captcha_store, key_prefix="anemo-demo.captcha:")
    proof_of_work = ProofOfWork(
        captcha.store,
        hmac_key=hmac.digest(secret.encode(), b"anemo-demo proof of work", hashlib.sha256),
        difficulty=POW_DIFFICULTY,
        key_prefix="anemo-demo.captcha:",
    )
    avatars = config.data_dir / "avatars"
    avatars.mkdir(parents=True, exist_ok=True)
    users = UserStore(config.data_dir / "users.sqlite3")
    return Services(config, manager, captcha, users, avatars, proof_of_work)

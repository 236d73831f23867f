"""The services the handlers share, made from the configuration once per process (after a fork)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from anemo.captcha import CaptchaService
from anemo.captcha.redis import AsyncRedisStore
from anemo.sessions import SessionManager, SessionStore, store_from_url

from .config import Config, load_cookie_secret
from .users import UserStore

__all__ = ["Services", "make_services"]


@dataclass
class Services:
    """What the handlers share, made once per process (after any fork)."""

    config: Config
    sessions: SessionManager
    captcha: CaptchaService
    users: UserStore
    avatars: Path

    async def aclose(self) -> None:
        await self.sessions.store.aclose()
        store = self.captcha.store
        if isinstance(store, AsyncRedisStore):
            await store.aclose()
        self.users.close()


def make_services(config: Config, *, session_store: SessionStore | None = None) -> Services:
    secret = load_cookie_secret(config)
    store = session_store if session_store is not None else store_from_url(config.session_store)
    manager = SessionManager(store, secret)
    redis_url = config.captcha_redis_url
    captcha_store = AsyncRedisStore.from_url(redis_url) if redis_url else None
    captcha = CaptchaService(captcha_store, key_prefix="anemo-demo.captcha:")
    avatars = config.data_dir / "avatars"
    avatars.mkdir(parents=True, exist_ok=True)
    return Services(config, manager, captcha, UserStore(config.data_dir / "users.sqlite3"), avatars)

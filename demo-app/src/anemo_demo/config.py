"""Configuration: command-line options over environment variables over defaults, checked once."""

from __future__ import annotations

import argparse
import os
import secrets
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from anemo.sessions import InvalidStoreURL, store_from_url

__all__ = ["Config", "ConfigError", "parse_config", "load_cookie_secret"]

_ENV = "ANEMO_DEMO_"


class ConfigError(ValueError):
    """A setting that cannot work, with the reason in words a person can act on."""


@dataclass(frozen=True)
class Config:
    """Everything the application needs to start."""

    address: str = "127.0.0.1"
    port: int = 8888
    debug: bool = False
    cookie_secret: str | None = None
    session_store: str = "memory://"
    captcha_store: str = "memory"
    processes: int = 1
    data_dir: Path = Path(".anemo-demo")
    #: A log line for every request; otherwise only for errors and slow requests (accesslog.py).
    access_log: bool = False

    @property
    def captcha_redis_url(self) -> str | None:
        """The Redis URL captchas are kept in, or None for this process's memory or SQLite."""
        if self.captcha_store in ("memory", "sqlite"):
            return None
        if self.captcha_store == "session":
            first = self.session_store.replace("redis+cluster://", "redis://").split(",")[0]
            return first.split("?")[0]
        return self.captcha_store


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="anemo-demo",
        description="The anemo demo application. Every option can also be set in the environment "
        f"variable {_ENV}NAME (for example {_ENV}PORT=8000); an option on the command line wins.",
    )
    parser.add_argument("--address", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8888; 0 picks a free one)")
    parser.add_argument(
        "--debug", action="store_true", default=None, help="Tornado debug mode: tracebacks, reloads"
    )
    parser.add_argument(
        "--cookie-secret",
        help="secret that signs cookies (default: generated once into DATA_DIR/cookie_secret, mode 0600)",
    )
    parser.add_argument(
        "--session-store",
        help="where sessions live: memory:// (default for one process), sqlite:///path (default for "
        "several: DATA_DIR/sessions.sqlite3), postgresql://user:pw@host/db, redis://host:port/db "
        "(valkey://, unix:///path), memcached://host:port, a comma-separated list of those (sharded, "
        "?weight=N), redis+cluster://host:port,... or redis+sentinel://host:port,.../service/db",
    )
    parser.add_argument(
        "--captcha-store",
        help="where captcha challenges wait: memory (default for one process), sqlite (default for "
        "several: DATA_DIR/challenges.sqlite3), session (the session store's first Redis), or a "
        "redis:// URL",
    )
    parser.add_argument(
        "--processes",
        type=int,
        help="processes to fork (default 1); several share sessions and captchas through SQLite "
        "files in DATA_DIR unless given a server",
    )
    parser.add_argument("--data-dir", help="where the SQLite users file, avatars and the secret go")
    parser.add_argument(
        "--access-log",
        action="store_true",
        default=None,
        help="log every request (default: only errors and slow requests; a reverse proxy in front "
        "keeps the full access log)",
    )
    return parser


def parse_config(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """The configuration from ``argv`` and ``environ``; ConfigError when a setting cannot work."""
    environ = os.environ if environ is None else environ
    args = _parser().parse_args(argv)
    raw: dict[str, object] = {}
    for name in (
        "address",
        "port",
        "debug",
        "cookie_secret",
        "session_store",
        "captcha_store",
        "processes",
        "data_dir",
        "access_log",
    ):
        value = getattr(args, name)
        if value is None:
            value = environ.get(_ENV + name.upper())
        if value is not None:
            raw[name] = value
    try:
        processes = int(raw.get("processes", 1))  # type: ignore[call-overload]
    except ValueError as exc:
        raise ConfigError(f"a number was expected: {exc}") from None
    data_dir = Path(str(raw.get("data_dir", Config.data_dir)))
    if processes > 1:  # no server given: files in the data directory that every process shares
        raw.setdefault("session_store", f"sqlite:///{data_dir / 'sessions.sqlite3'}")
        raw.setdefault("captcha_store", "sqlite")
    try:
        config = Config(
            address=str(raw.get("address", Config.address)),
            port=int(raw.get("port", Config.port)),  # type: ignore[call-overload]
            debug=_flag(raw.get("debug")),
            cookie_secret=str(raw["cookie_secret"]) if "cookie_secret" in raw else None,
            session_store=str(raw.get("session_store", Config.session_store)),
            captcha_store=str(raw.get("captcha_store", Config.captcha_store)),
            processes=processes,
            data_dir=data_dir,
            access_log=_flag(raw.get("access_log")),
        )
    except ValueError as exc:
        raise ConfigError(f"a number was expected: {exc}") from None
    _check(config)
    return config


def _flag(value: object) -> bool:
    """An on/off option: True from the command line, or 1/true/yes/on in the environment."""
    return str(value).lower() in ("1", "true", "yes", "on")


def _check(config: Config) -> None:
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port {config.port} is not between 0 and 65535")
    if config.processes < 1:
        raise ConfigError("processes must be at least 1")
    try:
        store_from_url(config.session_store)
    except InvalidStoreURL as exc:
        raise ConfigError(f"--session-store: {exc}") from None
    if config.captcha_store not in ("memory", "sqlite", "session") and not config.captcha_store.startswith(
        "redis://"
    ):
        raise ConfigError("--captcha-store must be memory, sqlite, session or a redis:// URL")
    if config.captcha_store == "session" and not config.session_store.startswith(
        ("redis://", "redis+cluster://")
    ):
        raise ConfigError(
            "--captcha-store session needs a redis:// or redis+cluster:// session store; "
            "give any other one (Sentinel, Valkey, a socket) a --captcha-store redis:// URL of its own"
        )
    if config.processes > 1:
        if config.session_store.startswith("memory"):
            raise ConfigError(
                "several processes cannot share sessions kept in memory: leave --session-store out "
                "(a SQLite file in DATA_DIR) or give it a server's URL (each process would otherwise "
                "have its own sessions)"
            )
        if config.captcha_store == "memory":
            raise ConfigError(
                "several processes cannot share captchas kept in memory: use --captcha-store sqlite, "
                "session or a redis:// URL (a challenge issued by one process must verify in another)"
            )


def load_cookie_secret(config: Config) -> str:
    """The configured secret, or the one in DATA_DIR/cookie_secret, made (mode 0600) on first run."""
    if config.cookie_secret:
        if len(config.cookie_secret) < 16:
            raise ConfigError("the cookie secret must be at least 16 characters")
        return config.cookie_secret
    config.data_dir.mkdir(parents=True, exist_ok=True)
    path = config.data_dir / "cookie_secret"
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(f"{path} is readable by others (mode {mode:o}): chmod 600 it") from None
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        secret = secrets.token_urlsafe(48)
        file.write(secret + "\n")
    return secret

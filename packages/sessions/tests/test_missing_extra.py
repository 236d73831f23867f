"""Without an extra, the import or store that needs it says what to install."""

from __future__ import annotations

import pytest

from anemo_testing import error_without

MISSING = {
    "tornado": (
        "tornado",
        "import anemo.sessions.tornado",
        "ModuleNotFoundError|tornado|"
        "anemo.sessions.tornado needs Tornado: pip install 'anemo-sessions[tornado]'",
    ),
    "redis for RedisStore.from_url": (
        "redis",
        "from anemo.sessions import RedisStore; RedisStore.from_url('redis://127.0.0.1:6379/0')",
        "ModuleNotFoundError|redis|this store needs redis: pip install 'anemo-sessions[redis]'",
    ),
    "valkey for a valkey:// URL": (
        "valkey",
        "import anemo.sessions; anemo.sessions.store_from_url('valkey://127.0.0.1:6379/0')",
        "ModuleNotFoundError|valkey|this store needs valkey: pip install 'anemo-sessions[valkey]'",
    ),
    "redis for a Sentinel URL": (
        "redis",
        "import anemo.sessions; anemo.sessions.store_from_url('redis+sentinel://127.0.0.1:26379/mymaster')",
        "ModuleNotFoundError|redis|this store needs redis: pip install 'anemo-sessions[redis]'",
    ),
    "redis for a redis:// URL": (
        "redis",
        "import anemo.sessions; anemo.sessions.store_from_url('redis://127.0.0.1:6379/0')",
        "ModuleNotFoundError|redis|this store needs redis: pip install 'anemo-sessions[redis]'",
    ),
    "nothing of redis-py for a valkey:// URL": (
        "redis",
        "import anemo.sessions; anemo.sessions.store_from_url('valkey://127.0.0.1:6379/0')",
        "",
    ),
    "nothing of valkey-py for a redis:// URL": (
        "valkey",
        "import anemo.sessions; anemo.sessions.store_from_url('redis://127.0.0.1:6379/0')",
        "",
    ),
    "pymemcache for MemcachedStore": (
        "pymemcache",
        "from anemo.sessions import MemcachedStore",
        "ModuleNotFoundError|pymemcache|this store needs pymemcache: pip install 'anemo-sessions[memcached]'",
    ),
    "asyncpg for PostgresStore": (
        "asyncpg",
        "from anemo.sessions import PostgresStore",
        "ModuleNotFoundError|asyncpg|this store needs asyncpg: pip install 'anemo-sessions[postgres]'",
    ),
    "asyncpg for a postgresql:// URL": (
        "asyncpg",
        "import anemo.sessions; anemo.sessions.store_from_url('postgresql://127.0.0.1/db')",
        "ModuleNotFoundError|asyncpg|this store needs asyncpg: pip install 'anemo-sessions[postgres]'",
    ),
    "nothing for SQLiteStore": (
        "asyncpg",
        "import anemo.sessions; anemo.sessions.store_from_url('sqlite:///sessions.db')",
        "",
    ),
    "nothing but the device names without ua-parser": (
        "ua_parser",
        "from anemo.sessions._devices import describe_agent; assert describe_agent('Firefox/128.0') is None",
        "",
    ),
    "a submodule of tornado": (
        "tornado.web",
        "import anemo.sessions.tornado",
        "ModuleNotFoundError|tornado.web|No module named 'tornado.web'",
    ),
}


@pytest.mark.parametrize(("blocked", "code", "expected"), MISSING.values(), ids=MISSING.keys())
def test_a_missing_extra_is_named(blocked: str, code: str, expected: str) -> None:
    """The extra's own module missing names the extra; any other missing module is reported unchanged."""
    assert error_without(blocked, code) == expected


@pytest.mark.parametrize("blocked", ["tornado", "redis", "valkey", "pymemcache", "asyncpg"])
def test_the_memory_store_needs_no_extra(blocked: str) -> None:
    code = (
        "from anemo.sessions import MemoryStore, SessionManager, store_from_url; store_from_url('memory://')"
    )
    assert error_without(blocked, code) == ""

"""Rate limits on challenges and answers, in memory and on a real redis-server, dead or alive."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from limits import RateLimitItemPerMinute

from anemo.captcha import InvalidOption, InvalidOptionType
from anemo.captcha.ratelimit import (
    ACCOUNT_ANSWERS,
    ANSWERS,
    CHALLENGES,
    CaptchaLimits,
    account_key,
    client_key,
)
from anemo_testing import RedisServer

SECRET = "a test secret, long enough to be one"
T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]
Small = Callable[..., CaptchaLimits]


@pytest.fixture
def run() -> Iterator[Run[Any]]:
    """Runs coroutines on one event loop for the whole test (the storages' clients live on it)."""
    with asyncio.Runner() as runner:
        yield runner.run


@pytest.fixture
def small(run: Run[Any]) -> Iterator[Callable[..., CaptchaLimits]]:
    """``small(uri, **options)``: limits of 3 challenges and 4 answers a minute per client and 2
    passed answers per account in 15 minutes, closed after the test."""
    made: list[CaptchaLimits] = []

    def make(storage: str, **options: Any) -> CaptchaLimits:
        limits = CaptchaLimits(
            storage,
            secret_key=SECRET,
            challenges=RateLimitItemPerMinute(3, namespace="test.challenges"),
            answers=RateLimitItemPerMinute(4, namespace="test.answers"),
            account_answers=RateLimitItemPerMinute(2, 15, namespace="test.accounts"),
            **options,
        )
        made.append(limits)
        return limits

    yield make
    for limits in made:
        run(limits.aclose())


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    """``memory://``, and a real redis-server named by a plain ``redis://`` URL."""
    if request.param == "memory":
        return "memory://"
    server: RedisServer = request.getfixturevalue("redis_server")
    return server.url


def test_challenges_past_the_limit_give_a_wait(storage_uri: str, run: Run[Any], small: Small) -> None:
    """Three challenges pass, the fourth waits at most the window; another client is not held back."""
    limits = small(storage_uri)
    assert [run(limits.challenge("203.0.113.9")) for _ in range(3)] == [0, 0, 0]
    waits = [run(limits.challenge("203.0.113.9")) for _ in range(3)]
    assert all(0 < wait <= 60 for wait in waits), waits
    assert run(limits.challenge("203.0.113.10")) == 0
    run(limits.reset())
    assert run(limits.challenge("203.0.113.9")) == 0


def test_answers_count_per_client_and_passes_per_account(
    storage_uri: str, run: Run[Any], small: Small
) -> None:
    """Wrong answers never lock an account; passed ones do, from any client; clients are held apart."""
    limits = small(storage_uri)
    for _ in range(4):  # a script posting wrong answers for "alice": only its own allowance goes
        assert run(limits.answer("198.51.100.1", account="alice")) == 0
    assert run(limits.answer("198.51.100.1", account="alice")) > 0
    assert run(limits.answer("198.51.100.2", account="alice")) == 0
    run(limits.passed("alice"))
    run(limits.passed("ALICE "))  # one account, however typed
    wait = run(limits.answer("198.51.100.3", account="Alice"))
    assert 0 < wait <= 15 * 60
    assert run(limits.answer("198.51.100.3", account="bob")) == 0
    assert run(limits.answer("198.51.100.3")) == 0


def test_processes_sharing_a_storage_and_a_key_share_counts(
    redis_server: RedisServer, run: Run[Any], small: Small
) -> None:
    """Two limiters on one Redis with one secret count one account once; the key is what ties them."""
    first, second = small(redis_server.url), small(f"async+{redis_server.url}")
    run(first.passed("carol"))
    run(second.passed("carol"))
    assert run(first.answer("192.0.2.1", "carol")) > 0
    assert run(second.challenge("192.0.2.1")) == 0
    other_key = CaptchaLimits(secret_key="another secret, also long enough")
    assert other_key.account_key("carol") != first.account_key("carol")


def test_redis_holds_no_account_name(redis_server: RedisServer, run: Run[Any], small: Small) -> None:
    """What the storage keeps is keyed hashes of names and networks of addresses: no name in clear."""
    limits = small(redis_server.url)
    run(limits.passed("Zoë.Secretname"))
    run(limits.answer("2001:db8:aa:bb::1", "Zoë.Secretname"))
    reply = redis_server.call("KEYS", "*")
    assert isinstance(reply, list)
    keys = [key.decode() if isinstance(key, bytes) else str(key) for key in reply]
    assert keys
    assert not any("secretname" in key.lower() for key in keys), keys
    assert any(limits.account_key("zoë.secretname") in key for key in keys)
    assert any("2001:db8:aa:bb::/64" in key for key in keys)


def test_a_dead_redis_lets_requests_through_fast_with_a_log_line(
    redis_server: RedisServer, run: Run[Any], small: Small, caplog: pytest.LogCaptureFixture
) -> None:
    """Fail-open: a killed server, or one that stalls, costs a check at most its timeout, and says so."""
    limits = small(redis_server.url, timeout=0.3)
    assert run(limits.challenge("192.0.2.7")) == 0  # connected
    redis_server.call("CLIENT", "PAUSE", "2000", "ALL")
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="anemo.captcha"):
        assert run(limits.challenge("192.0.2.7")) == 0
    assert time.perf_counter() - started < 1.0
    redis_server.kill()
    caplog.clear()
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="anemo.captcha"):
        for _ in range(10):
            assert run(limits.challenge("192.0.2.7")) == 0
            assert run(limits.answer("192.0.2.7", "dave")) == 0
            run(limits.passed("dave"))
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"30 checks on a dead server took {elapsed:.2f} s"
    lines = [record for record in caplog.records if record.name == "anemo.captcha"]
    assert len(lines) == 40  # one per limit consulted: answer() consults two
    assert all("not applied" in record.getMessage() for record in lines)


def test_client_keys_group_ipv6_by_64() -> None:
    """IPv6 clients count by their /64 (one subscriber's share); IPv4 ones by address."""
    assert client_key("203.0.113.9") == "203.0.113.9"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key("") == client_key(None) == "unknown"
    assert client_key("not an address") == client_key("not an address") != client_key("another")
    assert len(client_key("x" * 10_000)) < 30


def test_account_keys_are_keyed_hashes_of_the_normalized_name() -> None:
    secret = b"k" * 32
    fullwidth = "\uff22\uff2f\uff22"
    assert account_key("Bob", secret) == account_key(" bob ", secret) == account_key(fullwidth, secret)
    assert account_key("bob", secret) != account_key("bob", b"j" * 32)
    assert account_key("bob", secret) != account_key("rob", secret)
    assert "bob" not in account_key("bob", secret)
    assert len(account_key("b" * 10_000, secret)) == 32


def test_bad_options_are_named() -> None:
    with pytest.raises(InvalidOption, match="secret_key"):
        CaptchaLimits("redis://127.0.0.1:1/0")
    with pytest.raises(InvalidOption, match="at least 16"):
        CaptchaLimits(secret_key="short")
    with pytest.raises(InvalidOption, match="URI"):
        CaptchaLimits("localhost:6379")
    with pytest.raises(InvalidOption, match="nosuch"):
        CaptchaLimits("nosuch://here", secret_key=SECRET)
    with pytest.raises(InvalidOption, match="timeout"):
        CaptchaLimits("redis://127.0.0.1:1/0", secret_key=SECRET, timeout=float("nan"))
    with pytest.raises(InvalidOptionType, match="challenges"):
        CaptchaLimits(challenges="60/minute")  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionType, match="account must be str"):
        account_key(b"bob", b"k" * 32)  # type: ignore[arg-type]


def test_the_defaults_are_the_documented_ones() -> None:
    limits = CaptchaLimits()
    assert limits.challenges == CHALLENGES
    assert limits.answers == ANSWERS
    assert limits.account_answers == ACCOUNT_ANSWERS
    assert (CHALLENGES.amount, CHALLENGES.get_expiry()) == (60, 60)
    assert (ANSWERS.amount, ANSWERS.get_expiry()) == (30, 60)
    assert (ACCOUNT_ANSWERS.amount, ACCOUNT_ANSWERS.get_expiry()) == (10, 15 * 60)


def test_any_client_or_account_string_is_counted_without_raising(run: Run[Any], small: Small) -> None:
    limits = small("memory://")

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=200) | st.sampled_from(["::1", "fe80::1%eth0", "0.0.0.0", "::"]), st.text())
    def check(client: str, account: str) -> None:
        assert run(limits.challenge(client)) >= 0
        assert run(limits.answer(client, account)) >= 0
        run(limits.passed(account))
        assert "/" not in client_key(client) or client_key(client).endswith("/64")

    check()

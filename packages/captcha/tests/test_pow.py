"""The proof of work: ALTCHA's format, one acceptance per challenge, expiry, bad input, and altcha itself."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import re
import warnings
from typing import TYPE_CHECKING, Any

import altcha
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anemo.captcha import (
    CallModeError,
    ChallengeExpired,
    ChallengeReplayed,
    InvalidChallenge,
    InvalidOption,
    InvalidOptionType,
    MemoryStore,
    ProofOfWork,
    VerificationError,
    WrongAnswer,
)
from anemo.captcha.redis import AsyncRedisStore
from anemo.signedvalue import MAX_CLOCK_SKEW

if TYPE_CHECKING:
    from conftest import Race

    from anemo_testing import Clock, RedisServer

KEY = "a test hmac key, long enough to be one"
DIFFICULTY = 2000


def solve_number(challenge: dict[str, Any]) -> int:
    """The number a browser finds: the first from 0 whose hash is the challenge."""
    salt, target = challenge["salt"], challenge["challenge"]
    for number in range(challenge["maxnumber"] + 1):
        if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() == target:
            return number
    raise AssertionError("no number solves the challenge")


def encode(fields: object) -> str:
    return base64.b64encode(json.dumps(fields).encode()).decode()


def solve(challenge: dict[str, Any], **changes: object) -> str:
    """The payload the ALTCHA widget posts for ``challenge`` (``took`` included), fields changed."""
    fields = {name: challenge[name] for name in ("algorithm", "challenge", "salt", "signature")}
    return encode({**fields, "number": solve_number(challenge), "took": 42, **changes})


@pytest.fixture
def pow_(clock: Clock) -> ProofOfWork:
    return ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY, clock=clock)


def test_challenge_has_altchas_shape(pow_: ProofOfWork, clock: Clock) -> None:
    """The five keys, a salt with an id and the expiry, the challenge and signature as ALTCHA makes them."""
    challenge = pow_.challenge()
    assert set(challenge) == {"algorithm", "challenge", "maxnumber", "salt", "signature"}
    assert challenge["algorithm"] == "SHA-256"
    assert challenge["maxnumber"] == DIFFICULTY
    salt = str(challenge["salt"])
    assert re.fullmatch(r"[0-9a-f]{32}\?expires=(\d+)&", salt)
    assert salt.endswith(f"?expires={int(clock.now + 300)}&")
    number = solve_number(challenge)
    assert challenge["challenge"] == hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
    expected = hmac.new(KEY.encode(), str(challenge["challenge"]).encode(), hashlib.sha256).hexdigest()
    assert challenge["signature"] == expected
    json.dumps(challenge)  # JSON-ready as it is


def test_solution_passes_once(pow_: ProofOfWork) -> None:
    payload = solve(pow_.challenge())
    pow_.verify(payload)
    with pytest.raises(ChallengeReplayed):
        pow_.verify(payload)
    assert pow_.passes(payload) is False
    assert pow_.passes(solve(pow_.challenge())) is True


def test_numbers_cover_zero_to_maxnumber(clock: Clock) -> None:
    """The secret number is drawn from the whole of [0, maxnumber], both ends included."""
    small = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=3, clock=clock)
    assert {solve_number(small.challenge()) for _ in range(200)} == {0, 1, 2, 3}


def test_salts_are_unique(pow_: ProofOfWork) -> None:
    assert len({pow_.challenge()["salt"] for _ in range(500)}) == 500


def test_challenge_needs_no_store(clock: Clock) -> None:
    """Issuing touches no store: only a solution is ever recorded."""

    class Untouchable:
        def put(self, key: str, value: bytes, ttl: float) -> None:
            raise AssertionError("store used")

        def get(self, key: str) -> bytes | None:
            raise AssertionError("store used")

        def take(self, key: str) -> bytes | None:
            raise AssertionError("store used")

        def add(self, key: str, value: bytes, ttl: float) -> bool:
            raise AssertionError("store used")

    ProofOfWork(Untouchable(), hmac_key=KEY, clock=clock).challenge()


def test_expiry_follows_the_service_clock(clock: Clock) -> None:
    pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY, lifetime=60, clock=clock)
    late, in_time = pow_.challenge(), pow_.challenge()
    clock.advance(59.9)
    assert pow_.passes(solve(in_time))
    clock.advance(0.1)
    with pytest.raises(ChallengeExpired) as expired:
        pow_.verify(solve(late))
    assert expired.value.age == pytest.approx(60)
    assert expired.value.challenge_id == str(late["salt"])[:32]


def test_wrong_number_uses_the_challenge_up(pow_: ProofOfWork) -> None:
    challenge = pow_.challenge()
    wrong = (solve_number(challenge) + 1) % (DIFFICULTY + 1)
    with pytest.raises(WrongAnswer):
        pow_.verify(solve(challenge, number=wrong))
    with pytest.raises(ChallengeReplayed):
        pow_.verify(solve(challenge))


def test_used_challenges_are_kept_for_their_rest_of_life_plus_skew(clock: Clock) -> None:
    """The record outlives the challenge by the clock skew another process may have."""
    store = MemoryStore(clock=clock)
    pow_ = ProofOfWork(store, hmac_key=KEY, difficulty=DIFFICULTY, clock=clock)
    challenge = pow_.challenge()
    clock.advance(100)
    payload = solve(challenge)
    assert pow_.passes(payload)
    key = f"anemo.captcha:pow:{challenge['challenge']}"
    clock.advance(200 + MAX_CLOCK_SKEW - 1)
    assert store.get(key) == b"1"
    clock.advance(1)
    assert store.get(key) is None


# Payloads that cannot be read, or are not ours: InvalidChallenge, and nothing is recorded.


def _fields(pow_: ProofOfWork) -> dict[str, Any]:
    challenge = pow_.challenge()
    return {**json.loads(base64.b64decode(solve(challenge)))}


UNREADABLE: list[object] = [
    None,
    b"bytes",
    12,
    "",
    "not base64!",
    "QUJD",  # base64 of ABC, not JSON
    base64.b64encode(b"\xff\xfe{}").decode(),  # not UTF-8
    encode([1, 2]),
    encode("string"),
    encode(None),
    "A" * 5000,
    base64.b64encode(b"[" * 1400).decode(),  # deep nesting
    "é" * 10,
]


@pytest.mark.parametrize("payload", UNREADABLE, ids=range(len(UNREADABLE)))
def test_unreadable_payloads_are_invalid(pow_: ProofOfWork, payload: object) -> None:
    with pytest.raises(InvalidChallenge):
        pow_.verify(payload)  # type: ignore[arg-type]


CHANGES: list[dict[str, object]] = [
    {"algorithm": "SHA-1"},
    {"algorithm": "SHA-512"},
    {"algorithm": "sha-256"},
    {"algorithm": None},
    {"challenge": None},
    {"challenge": "ABC"},
    {"signature": 5},
    {"signature": "0" * 64},  # forged
    {"salt": 7},
    {"salt": "nohex?expires=1800000100&"},
]


@pytest.mark.parametrize("change", CHANGES, ids=[str(c) for c in CHANGES])
def test_bad_fields_are_invalid(pow_: ProofOfWork, change: dict[str, object]) -> None:
    fields = _fields(pow_)
    with pytest.raises(InvalidChallenge):
        pow_.verify(encode({**fields, **change}))
    del fields["took"]
    pow_.verify(encode(fields))  # the failure recorded nothing


@pytest.mark.parametrize("name", ["algorithm", "challenge", "number", "salt", "signature"])
def test_missing_fields_are_invalid(pow_: ProofOfWork, name: str) -> None:
    fields = _fields(pow_)
    del fields[name]
    with pytest.raises(InvalidChallenge, match=name):
        pow_.verify(encode(fields))


def test_upper_case_hex_is_invalid(pow_: ProofOfWork) -> None:
    fields = _fields(pow_)
    with pytest.raises(InvalidChallenge):
        pow_.verify(encode({**fields, "signature": fields["signature"].upper()}))


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_numbers_are_invalid(pow_: ProofOfWork, constant: str) -> None:
    fields = _fields(pow_)
    text = json.dumps({**fields, "number": 0}).replace('"number": 0', f'"number": {constant}')
    with pytest.raises(InvalidChallenge, match="not base64 of a JSON object"):
        pow_.verify(base64.b64encode(text.encode()).decode())


@pytest.mark.parametrize("number", [-1, DIFFICULTY + 1, 10**400, True, False, 1.0, "1", None, [1]])
def test_unusable_numbers_are_wrong_and_use_the_challenge_up(pow_: ProofOfWork, number: object) -> None:
    challenge = pow_.challenge()
    with pytest.raises(WrongAnswer):
        pow_.verify(solve(challenge, number=number))
    with pytest.raises(ChallengeReplayed):
        pow_.verify(solve(challenge))


def test_another_keys_challenge_is_invalid(pow_: ProofOfWork, clock: Clock) -> None:
    other = ProofOfWork(
        MemoryStore(), hmac_key="another key of sixteen bytes", difficulty=DIFFICULTY, clock=clock
    )
    with pytest.raises(InvalidChallenge, match="not signed"):
        pow_.verify(solve(other.challenge()))


def _signed(pow_: ProofOfWork, salt: str, number: int) -> str:
    """A payload for a challenge signed with the service's key over any salt (as a key holder could)."""
    challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
    signature = hmac.new(KEY.encode(), challenge.encode(), hashlib.sha256).hexdigest()
    fields = {"algorithm": "SHA-256", "challenge": challenge, "salt": salt, "signature": signature}
    return encode({**fields, "number": number})


SALTS = [
    "0123456789abcdef01234567",  # no query: no expiry
    "0123456789abcdef01234567?expires=1800000100",  # no "&": digits could splice into the expiry
    "0123456789abcdef01234567?foo=1&",
    "0123456789abcdef01234567?expires=1800000100&expires=1800000100&",
    "0123456789abcdef01234567?expires=18e8&",
    "0123456789abcdef01234567?expires=&",
    "0123456789abcdef01234567?expires=1800000100&&",
    "0123456789abcdef01234567?expires=1800000100#&",
    "0123456789abcdef?expires=1800000100&",  # id too short
    "0123456789abcdef01234567?expires=1800099999&",  # beyond the lifetime
]


@pytest.mark.parametrize("salt", SALTS)
def test_salts_without_one_usable_expiry_are_invalid(pow_: ProofOfWork, salt: str) -> None:
    with pytest.raises(InvalidChallenge):
        pow_.verify(_signed(pow_, salt, 5))


def test_extra_salt_parameters_are_accepted(pow_: ProofOfWork) -> None:
    """The altcha libraries' ``params`` ride in the same query."""
    assert pow_.passes(_signed(pow_, "0123456789abcdef01234567?expires=1800000100&site=a%20b&", 5))


def test_digits_cannot_move_between_salt_and_number(pow_: ProofOfWork) -> None:
    """The same hashed text (so the same signed challenge) split elsewhere leaves the salt without
    its final "&": refused, so no digit of the number can lengthen the expiry."""
    salt = "0123456789abcdef01234567?expires=1800000100&"
    genuine = json.loads(base64.b64decode(_signed(pow_, salt, 57)))
    spliced = {**genuine, "salt": salt + "5", "number": 7}
    with pytest.raises(InvalidChallenge):
        pow_.verify(encode(spliced))
    assert pow_.passes(encode(genuine))


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.text(max_size=3000))
def test_arbitrary_strings_fail_cleanly(pow_: ProofOfWork, payload: str) -> None:
    with pytest.raises(VerificationError):
        pow_.verify(payload)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=JSON)
def test_arbitrary_json_fails_cleanly(pow_: ProofOfWork, value: object) -> None:
    with pytest.raises(VerificationError):
        pow_.verify(encode(value))


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["algorithm", "challenge", "number", "salt", "signature"]), value=JSON)
def test_any_field_replaced_fails_cleanly(pow_: ProofOfWork, field: str, value: object) -> None:
    fields = _fields(pow_)
    if fields[field] == value:
        return
    with pytest.raises(VerificationError):
        pow_.verify(encode({**fields, field: value}))


# Options.


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"hmac_key": "fifteen bytes.."}, InvalidOption),
        ({"hmac_key": b""}, InvalidOption),
        ({"hmac_key": 12345678901234567890}, InvalidOption),
        ({"difficulty": 0}, InvalidOption),
        ({"difficulty": True}, InvalidOption),
        ({"difficulty": 1000.0}, InvalidOption),
        ({"difficulty": 100_000_001}, InvalidOption),
        ({"lifetime": 0}, InvalidOption),
        ({"lifetime": float("nan")}, InvalidOption),
        ({"lifetime": 86_401}, InvalidOption),
    ],
)
def test_bad_options_fail_at_construction(options: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        ProofOfWork(MemoryStore(), **{"hmac_key": KEY, **options})


def test_a_store_without_the_protocol_is_refused() -> None:
    with pytest.raises(InvalidOptionType):
        ProofOfWork({}, hmac_key=KEY)  # type: ignore[arg-type]


# Concurrency and async stores.


def test_concurrent_threads_pass_at_most_once(pow_: ProofOfWork, race: Race) -> None:
    payload = solve(pow_.challenge())
    assert race(12, lambda: pow_.passes(payload)).count(True) == 1


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_twelve_concurrent_apasses_one_passes(backend: str, redis_server: RedisServer) -> None:
    async def main() -> None:
        store = MemoryStore() if backend == "memory" else AsyncRedisStore.from_url(redis_server.url)
        pow_ = ProofOfWork(store, hmac_key=KEY, difficulty=DIFFICULTY)
        for _ in range(3):
            payload = solve(pow_.challenge())
            results = await asyncio.gather(*(pow_.apasses(payload) for _ in range(12)))
            assert results.count(True) == 1
        if isinstance(store, AsyncRedisStore):
            await store.aclose()

    asyncio.run(main())


def test_one_time_on_redis_with_its_ttl(redis_server: RedisServer) -> None:
    """On a real Redis: once only, under its own key prefix, kept for the rest of life plus skew."""

    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            first = ProofOfWork(store, hmac_key=KEY, difficulty=DIFFICULTY)
            second = ProofOfWork(store, hmac_key=KEY, difficulty=DIFFICULTY)  # another process
            assert first.is_async
            challenge = first.challenge()
            payload = solve(challenge)
            assert await second.apasses(payload)
            assert not await first.apasses(payload)
            keys = await store.client.keys("*")
            assert keys == [f"anemo.captcha:pow:{challenge['challenge']}".encode()]
            ttl = await store.client.pttl(keys[0])
            assert 300_000 < ttl <= (301 + MAX_CLOCK_SKEW) * 1000

    asyncio.run(main())


def test_sync_verify_on_an_async_store_is_refused(redis_server: RedisServer) -> None:
    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            pow_ = ProofOfWork(store, hmac_key=KEY, difficulty=DIFFICULTY)
            payload = solve(pow_.challenge())
            with pytest.raises(CallModeError, match="apasses"):
                pow_.verify(payload)
            with pytest.raises(CallModeError):
                pow_.passes(payload)
            assert await pow_.apasses(payload)

    asyncio.run(main())


def test_a_forgotten_await_raises_and_never_passes(redis_server: RedisServer) -> None:
    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            pow_ = ProofOfWork(store, hmac_key=KEY, difficulty=DIFFICULTY)
            payload = solve(pow_.challenge())
            with pytest.raises(CallModeError, match="without await"):
                bool(pow_.apasses(payload))
            assert (pow_.apasses(payload) == True) is False  # noqa: E712
            # None of those ran the check: the solution is still good.
            assert await pow_.apasses(payload)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the compared verdict was never awaited
        asyncio.run(main())


# The altcha library (PoW v1, its "legacy" API since altcha 2.0).


def _expiring(seconds: float) -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=seconds)


def test_altchas_challenge_verifies_with_ours() -> None:
    made = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(hmac_key=KEY, max_number=DIFFICULTY, expires=_expiring(120))
    )
    as_json = {**made.to_dict(), "maxnumber": made.max_number}  # its to_dict says maxNumber
    pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)
    payload = solve(as_json)
    assert pow_.passes(payload)
    assert not pow_.passes(payload)


def test_altchas_challenge_with_params_verifies_with_ours() -> None:
    made = altcha.create_challenge_v1(
        altcha.ChallengeOptionsV1(
            hmac_key=KEY, max_number=DIFFICULTY, expires=_expiring(120), params={"form": "sign up"}
        )
    )
    solution = altcha.solve_challenge_v1(made)
    assert solution is not None
    payload = altcha.PayloadV1(made.algorithm, made.challenge, solution.number, made.salt, made.signature)
    pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)
    assert pow_.passes(payload.to_base64())


def test_altchas_challenge_without_expiry_is_refused() -> None:
    """altcha makes challenges without an expiry unless asked; those could never be forgotten."""
    made = altcha.create_challenge_v1(altcha.ChallengeOptionsV1(hmac_key=KEY, max_number=DIFFICULTY))
    payload = solve({**made.to_dict(), "maxnumber": made.max_number})
    with pytest.raises(InvalidChallenge, match="expires"):
        ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY).verify(payload)


def test_our_challenge_solved_by_altcha_verifies_with_both() -> None:
    pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)
    ours = pow_.challenge()
    challenge = altcha.ChallengeV1(
        "SHA-256", str(ours["challenge"]), int(ours["maxnumber"]), str(ours["salt"]), str(ours["signature"])
    )
    solution = altcha.solve_challenge_v1(challenge)
    assert solution is not None
    payload = altcha.PayloadV1(
        "SHA-256", challenge.challenge, solution.number, challenge.salt, challenge.signature
    ).to_base64()
    assert altcha.verify_solution_v1(payload, KEY) == (True, None)
    assert pow_.passes(payload)
    assert altcha.verify_solution_v1(payload, "another key of sixteen bytes") == (False, None)


def test_altcha_refuses_what_we_refuse() -> None:
    """A forged signature fails with both verifiers alike."""
    pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=DIFFICULTY)
    payload = solve(pow_.challenge(), signature="0" * 64)
    assert altcha.verify_solution_v1(payload, KEY)[0] is False
    assert not pow_.passes(payload)


def test_challenge_of_names_the_challenge_without_verifying() -> None:
    """What an application keys its own records on; unreadable payloads name none."""
    pow_ = ProofOfWork(MemoryStore(), hmac_key=KEY, difficulty=100)
    challenge = pow_.challenge()
    assert ProofOfWork.challenge_of(solve(challenge)) == challenge["challenge"]
    for junk in ("", "not base64!", "e30=", "x" * 5000):
        assert ProofOfWork.challenge_of(junk) == ""
    assert pow_.passes(solve(challenge))  # reading it used nothing up

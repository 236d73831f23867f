"""The verification flow, in both modes, on the memory store and on Redis."""

from __future__ import annotations

import base64
import functools
import io
import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from anemo.captcha import (
    ALPHABET,
    CaptchaService,
    Challenge,
    ChallengeExpired,
    ChallengeReplayed,
    ChallengeStore,
    InvalidChallenge,
    MemoryStore,
    RenderError,
    StoreFull,
    VerificationError,
    WrongAnswer,
)
from anemo.signedvalue import MAX_CLOCK_SKEW

if TYPE_CHECKING:
    from conftest import Race

    from anemo.captcha.redis import RedisStore
    from anemo_testing import Clock

SECRET = "a test secret, long enough to be one"
MODES = ["server-side", "stateless"]


def make_service(
    mode: str, clock: Clock, store: ChallengeStore | None = None, **options: object
) -> CaptchaService:
    if mode == "server-side":
        return CaptchaService(store, clock=clock, **options)  # type: ignore[arg-type]
    used_ids = MemoryStore() if store is None else store  # not `or`: an empty MemoryStore is falsy
    return CaptchaService(used_ids, secret_key=SECRET, clock=clock, **options)  # type: ignore[arg-type]


@pytest.fixture(params=MODES)
def service(request: pytest.FixtureRequest, clock: Clock) -> CaptchaService:
    """A service in each mode, on the in-memory store."""
    return make_service(request.param, clock)


def solution(service: CaptchaService, challenge: Challenge) -> str:
    """The text drawn in the challenge's image (what a person reads)."""
    return service.answer(challenge.id)


def test_right_answer_passes_once(service: CaptchaService) -> None:
    """The answer passes the first time; the same token never passes again."""
    challenge = service.issue()
    answer = solution(service, challenge)
    service.verify(challenge.token, answer)
    with pytest.raises((InvalidChallenge, ChallengeReplayed)) as caught:
        service.verify(challenge.token, answer)
    assert caught.value.challenge_id == challenge.id
    assert service.passes(challenge.token, answer) is False


def test_wrong_answer_consumes_the_challenge(service: CaptchaService) -> None:
    """After one wrong answer the right one fails too: one attempt per challenge."""
    challenge = service.issue()
    answer = solution(service, challenge)
    wrong = ("A" if answer[0] != "A" else "C") + answer[1:]
    with pytest.raises(WrongAnswer) as caught:
        service.verify(challenge.token, wrong)
    assert caught.value.challenge_id == challenge.id
    assert service.passes(challenge.token, answer) is False


@pytest.mark.parametrize("typed", ["", "   ", "x" * 1000, "Ä"])
def test_unusable_answers_are_wrong_and_consume(service: CaptchaService, typed: str) -> None:
    """An empty, huge or non-ASCII answer is a WrongAnswer, and the challenge is gone."""
    challenge = service.issue()
    answer = solution(service, challenge)
    with pytest.raises(WrongAnswer):
        service.verify(challenge.token, typed)
    assert not service.passes(challenge.token, answer)


def test_answers_ignore_case_and_spaces(service: CaptchaService) -> None:
    """A person may type lower case and spaces."""
    challenge = service.issue()
    typed = " " + " ".join(solution(service, challenge).lower()) + " "
    assert service.passes(challenge.token, typed)


@pytest.mark.parametrize("mode", MODES)
def test_challenges_expire(mode: str, clock: Clock) -> None:
    """An answer after the lifetime fails, even a right one; just before it passes."""
    service = make_service(mode, clock, lifetime=60)
    early, late = service.issue(), service.issue()
    assert late.expires_at == clock.now + 60
    clock.advance(59.5)
    assert service.passes(early.token, solution(service, early))
    late_answer = solution(service, late)
    clock.advance(1)
    expected = InvalidChallenge if mode == "server-side" else ChallengeExpired
    with pytest.raises(expected) as caught:
        service.verify(late.token, late_answer)
    if isinstance(caught.value, ChallengeExpired):
        assert caught.value.age == pytest.approx(60.5)


@pytest.mark.parametrize("mode", MODES)
def test_default_lifetime_is_five_minutes(mode: str, clock: Clock) -> None:
    """Without a lifetime, a challenge passes just before 300 s and has expired just after."""
    service = make_service(mode, clock)
    on_time, late = service.issue(), service.issue()
    assert late.expires_at == clock.now + 300
    clock.advance(299.5)
    assert service.passes(on_time.token, solution(service, on_time))
    late_answer = solution(service, late)
    clock.advance(1)
    assert not service.passes(late.token, late_answer)


def test_used_ids_outlive_their_tokens(clock: Clock) -> None:
    """A stateless token stays one-time as long as it validates, even one dated ahead by the allowed skew."""
    store = MemoryStore(clock=clock)
    issuer = CaptchaService(store, secret_key=SECRET, clock=lambda: clock.now + MAX_CLOCK_SKEW, lifetime=60)
    verifier = CaptchaService(store, secret_key=SECRET, clock=clock, lifetime=60)
    challenge = issuer.issue()
    answer = solution(verifier, challenge)
    assert verifier.passes(challenge.token, answer)
    clock.advance(MAX_CLOCK_SKEW + 60 - 0.5)  # the token's last half-second of validity
    with pytest.raises(ChallengeReplayed):
        verifier.verify(challenge.token, answer)
    clock.advance(1)
    with pytest.raises(ChallengeExpired):
        verifier.verify(challenge.token, answer)


def test_expired_server_side_challenge_has_no_image(clock: Clock) -> None:
    """Server-side, an expired challenge's image is gone too."""
    service = make_service("server-side", clock, lifetime=60)
    challenge = service.issue()
    clock.advance(61)
    with pytest.raises(InvalidChallenge):
        service.image(challenge.id)


def test_image_is_stable_and_distinct(service: CaptchaService) -> None:
    """One challenge always gets the same image; two challenges get different ones."""
    first, second = service.issue(), service.issue()
    assert service.image(first.id) == service.image(first.id)
    assert service.image(first.id) != service.image(second.id)
    picture = Image.open(io.BytesIO(service.image(first.id)))
    assert (picture.format, picture.size) == ("PNG", (160, 60))
    assert service.media_type == "image/png"


def test_options_reach_the_image(clock: Clock) -> None:
    """Size, format and length settings shape every challenge."""
    service = make_service("stateless", clock, width=200, height=70, fmt="jpeg", length=7)
    challenge = service.issue()
    picture = Image.open(io.BytesIO(service.image(challenge.id)))
    assert (picture.format, picture.size) == ("JPEG", (200, 70))
    assert service.media_type == "image/jpeg"
    assert len(solution(service, challenge)) == 7


def test_ids_are_opaque_and_unique(service: CaptchaService) -> None:
    """Ids are 128-bit random URL-safe strings that say nothing about the answer."""
    challenges = [service.issue() for _ in range(200)]
    assert len({challenge.id for challenge in challenges}) == 200
    for challenge in challenges[:20]:
        assert len(base64.urlsafe_b64decode(challenge.id + "==")) == 16
        assert solution(service, challenge) not in challenge.id


def decoded(token: str) -> bytes:
    """The bytes inside a token (unpadded URL-safe base64)."""
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def test_stateless_token_does_not_reveal_the_answer(clock: Clock) -> None:
    """The signed token holds the id and a keyed hash: the text is in it neither plain nor encoded."""
    service = make_service("stateless", clock)
    for _ in range(20):
        challenge = service.issue()
        text = solution(service, challenge).encode()
        inside = decoded(challenge.token)
        assert text not in challenge.token.encode()
        assert text not in inside
        assert text.lower() not in inside
    text_inside = inside.decode("utf-8", errors="replace")  # the MAC after the JSON is binary
    payload, _ = json.JSONDecoder().raw_decode(text_inside, text_inside.index("{"))
    assert set(payload) == {"id", "answer"}
    assert payload["id"] == challenge.id


def test_server_side_token_is_just_the_id(clock: Clock) -> None:
    """Server-side the form carries only the random id."""
    challenge = make_service("server-side", clock).issue()
    assert challenge.token == challenge.id


def test_stateless_tokens_are_bound_to_their_secret(clock: Clock) -> None:
    """A token from a service with another secret, or edited, is no challenge at all."""
    service = make_service("stateless", clock)
    other = CaptchaService(MemoryStore(), secret_key="another secret, also long enough", clock=clock)
    foreign = other.issue()
    with pytest.raises(InvalidChallenge):
        service.verify(foreign.token, solution(other, foreign))
    challenge = service.issue()
    tampered = challenge.token[:-2] + ("AA" if challenge.token[-2:] != "AA" else "BB")
    with pytest.raises(InvalidChallenge):
        service.verify(tampered, solution(service, challenge))


def test_stateless_token_with_another_id_fails(clock: Clock) -> None:
    """The answer hash is bound to its id: one challenge's answer does not pass another's token."""
    service = make_service("stateless", clock)
    first, second = service.issue(), service.issue()
    assert not service.passes(first.token, solution(service, second))


@pytest.mark.parametrize(
    "bad", ["", "nope", "A" * 22 + "=", "../../etc/passwd", "x" * 5000, None, 42, b"\xff"]
)
def test_malformed_tokens_and_ids_are_invalid(service: CaptchaService, bad: object) -> None:
    """Garbage tokens and ids raise InvalidChallenge, never anything deeper."""
    with pytest.raises(InvalidChallenge):
        service.verify(bad, "ACE34")  # type: ignore[arg-type]
    with pytest.raises(InvalidChallenge):
        service.image(bad)  # type: ignore[arg-type]


def test_unknown_server_side_id_is_invalid(clock: Clock) -> None:
    """A well-formed id that was never issued has no image and no answer."""
    service = make_service("server-side", clock)
    stranger = "A" * 22
    with pytest.raises(InvalidChallenge):
        service.image(stranger)
    with pytest.raises(InvalidChallenge):
        service.verify(stranger, "ACE34")


@given(token=st.text(max_size=300), answer=st.text(max_size=40))
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_arbitrary_input_fails_cleanly(service: CaptchaService, token: str, answer: str) -> None:
    """Whatever a client sends, verification fails with a VerificationError (or passes() is False)."""
    with pytest.raises(VerificationError):
        service.verify(token, answer)
    assert service.passes(token, answer) is False


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_concurrent_right_answers_succeed_at_most_once(
    mode: str, backend: str, clock: Clock, race: Race, request: pytest.FixtureRequest
) -> None:
    """Many simultaneous right answers to one challenge: exactly one passes."""
    store: ChallengeStore = MemoryStore() if backend == "memory" else request.getfixturevalue("redis_store")
    service = make_service(mode, clock, store)
    for _ in range(5):
        challenge = service.issue()
        answer = solution(service, challenge)
        assert race(12, functools.partial(service.passes, challenge.token, answer)).count(True) == 1


@pytest.mark.parametrize("mode", MODES)
def test_flow_on_redis(mode: str, clock: Clock, redis_store: RedisStore) -> None:
    """Issue, image, answer and replay on a real Redis store."""
    service = make_service(mode, clock, redis_store)
    challenge = service.issue()
    assert service.image(challenge.id) == service.image(challenge.id)
    answer = solution(service, challenge)
    assert service.passes(challenge.token, answer)
    assert not service.passes(challenge.token, answer)


def test_shared_store_flood_cannot_replay(clock: Clock) -> None:
    """Stateless and server-side services on one MemoryStore: flooding challenges never frees a used id."""
    store = MemoryStore(max_entries=50)
    stateless = CaptchaService(store, secret_key=SECRET, clock=clock)
    server_side = CaptchaService(store, clock=clock)
    challenge = stateless.issue()
    answer = solution(stateless, challenge)
    assert stateless.passes(challenge.token, answer)
    flood = [server_side.issue() for _ in range(60)]
    assert not server_side.passes(flood[-1].token, "WRONG")  # frees a slot
    with pytest.raises(ChallengeReplayed):
        stateless.verify(challenge.token, answer)


def test_full_used_id_store_refuses_loudly(clock: Clock) -> None:
    """When no used id can be recorded, even a right answer is not accepted: StoreFull, not True."""
    service = make_service("stateless", clock, MemoryStore(max_entries=1))
    first, second = service.issue(), service.issue()
    assert service.passes(first.token, solution(service, first))
    with pytest.raises(StoreFull):
        service.passes(second.token, solution(service, second))


@pytest.mark.parametrize("secret_key", [None, SECRET])
def test_a_store_without_the_protocol_is_refused_up_front(secret_key: str | None) -> None:
    """Passing, say, a bare client or a dict as the store is a TypeError at construction."""
    with pytest.raises(TypeError, match="ChallengeStore"):
        CaptchaService({}, secret_key=secret_key)  # type: ignore[arg-type]


def test_stateless_mode_needs_a_store_and_a_real_secret(clock: Clock) -> None:
    """No default store for stateless mode (it must be shared); short secrets are refused."""
    with pytest.raises(ValueError, match="store"):
        CaptchaService(secret_key=SECRET)
    with pytest.raises(ValueError, match="secret_key"):
        CaptchaService(MemoryStore(), secret_key="short")
    assert CaptchaService(MemoryStore(), secret_key=SECRET.encode()).stateless
    assert not CaptchaService().stateless


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"lifetime": 0}, ValueError),
        ({"lifetime": 86_401}, ValueError),
        ({"length": 0}, RenderError),
        ({"width": 30}, RenderError),
        ({"fmt": "BMP"}, RenderError),
    ],
)
def test_bad_settings_fail_at_construction(options: dict[str, object], error: type[Exception]) -> None:
    """Settings that could never render or expire are refused up front."""
    with pytest.raises(error):
        CaptchaService(**options)  # type: ignore[arg-type]


def test_stateless_texts_use_the_alphabet_evenly(clock: Clock) -> None:
    """Texts derived from ids cover the alphabet (no symbol is favoured or missing)."""
    service = make_service("stateless", clock)
    drawn = "".join(solution(service, service.issue()) for _ in range(800))
    counts = [drawn.count(symbol) for symbol in ALPHABET]
    expected = len(drawn) / len(ALPHABET)
    assert min(counts) > 0.6 * expected
    assert max(counts) < 1.4 * expected


def test_the_store_given_is_the_store_used(clock: Clock) -> None:
    """An empty MemoryStore passed in (falsy: it has a length) is used, not replaced."""
    store = MemoryStore()
    service = CaptchaService(store, clock=clock, key_prefix="app1:")
    challenge = service.issue()
    assert len(store) == 1
    assert store.get(f"app1:challenge:{challenge.id}") is not None

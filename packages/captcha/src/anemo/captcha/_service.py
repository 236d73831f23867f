"""The verification flow: issue a challenge, serve its image, accept one answer to it.

:class:`CaptchaService` works in one of two modes, chosen by whether it has a ``secret_key``:

- server-side (no key): each challenge's text waits in a :class:`ChallengeStore` and is taken out
  (atomically) by the one answer, right or wrong;
- stateless (a key): nothing is stored per challenge until it is answered. The form carries a
  signed token holding the challenge id and a keyed hash of the answer; the image is drawn from a
  text derived from the id with the key; the ids of answered tokens go into the store, so that each
  token is accepted once.

Either way the client only ever sees an opaque random id (in the image URL) and, stateless, a token
from which the answer can neither be read nor guessed offline.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import inspect
import json
import re
import secrets
import time
from collections.abc import Callable, Generator
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, TypeGuard, TypeVar

from anemo.signedvalue import MAX_CLOCK_SKEW, BadSignature, Serializer, SignatureExpired

from ._render import IMAGE_TYPES, render
from ._store import AsyncChallengeStore, ChallengeStore, MemoryStore
from ._text import ALPHABET, normalize_answer, random_text
from ._verdict import PendingVerdict
from .errors import (
    CallModeError,
    ChallengeExpired,
    ChallengeReplayed,
    InvalidChallenge,
    InvalidOption,
    InvalidOptionType,
    VerificationError,
    WrongAnswer,
)

__all__ = ["Challenge", "CaptchaService"]

T = TypeVar("T")
#: One store operation a rule needs, by method name, with its arguments.
StoreCall: TypeAlias = tuple[str, tuple[Any, ...]]
#: A rule's steps: each yield is a store operation, whose result is sent back in.
Steps: TypeAlias = Generator[StoreCall, Any, T]

#: Challenge ids: 128 random bits from :mod:`secrets`, URL-safe base64 without padding.
_ID_BYTES = 16
_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{22}", re.ASCII)
#: Longest stateless token read at all; a genuine one is 194 characters.
_MAX_TOKEN = 512


@dataclass(frozen=True)
class Challenge:
    """An issued challenge.

    ``id`` goes in the image URL; ``token`` goes in the form (a hidden field) and comes back with
    the answer. Server-side they are the same string; stateless the token is signed and longer.
    ``expires_at`` is in the service clock's seconds (Unix time by default).
    """

    id: str
    token: str
    expires_at: float


class CaptchaService:
    """Issues challenges, draws their images and accepts one answer to each.

    ``CaptchaService()`` keeps challenges in a :class:`MemoryStore` (one process);
    ``CaptchaService(store)`` in any :class:`ChallengeStore`; ``CaptchaService(store,
    secret_key=...)`` is stateless and keeps only answered ids in ``store``, which must then be
    shared by every process that verifies (a per-process store would accept a token once per
    process, so stateless mode has no default store).

    Every verification consumes its challenge: a wrong answer, a second answer and an answer after
    ``lifetime`` seconds all fail, and no switch turns the checking off.
    """

    def __init__(
        self,
        store: ChallengeStore | AsyncChallengeStore | None = None,
        *,
        secret_key: str | bytes | None = None,
        lifetime: float = 300.0,
        length: int = 5,
        width: int = 160,
        height: int = 60,
        fmt: str = "PNG",
        key_prefix: str = "anemo.captcha:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not 0 < lifetime <= 86_400:
            raise InvalidOption(f"lifetime must be above 0 and at most a day, not {lifetime!r}")
        render(random_text(length), width=width, height=height, fmt=fmt)  # RenderError now, not later
        self.lifetime = float(lifetime)
        self.length = length
        self.width = width
        self.height = height
        self.fmt = fmt.upper()
        self._clock = clock
        if store is not None and not isinstance(store, ChallengeStore | AsyncChallengeStore):
            raise InvalidOptionType(
                f"store must have the ChallengeStore methods put, get, take and add; "
                f"{type(store).__name__} does not"
            )
        self._mode: _Mode
        if secret_key is None:
            store = MemoryStore() if store is None else store  # not `or`: an empty store is falsy
            self._mode = _ServerSide(self, f"{key_prefix}challenge:")
        elif store is None:
            raise InvalidOption("a stateless CaptchaService needs a store shared by all its processes")
        else:
            self._mode = _Stateless(secret_key, self, f"{key_prefix}used:")
        #: Where challenges (server-side) or used ids (stateless) are kept.
        self.store: ChallengeStore | AsyncChallengeStore = store
        self._sync_store_or_none = store if _is_sync(store) else None

    @property
    def is_async(self) -> bool:
        """Whether the store's methods are coroutines: then only the ``a...`` methods work."""
        return self._sync_store_or_none is None

    @property
    def stateless(self) -> bool:
        """Whether challenges travel in signed tokens rather than wait in the store."""
        return isinstance(self._mode, _Stateless)

    @property
    def media_type(self) -> str:
        """The ``Content-Type`` of this service's images."""
        return IMAGE_TYPES[self.fmt]

    def now(self) -> float:
        """The service clock's time."""
        return self._clock()

    def issue(self) -> Challenge:
        """A new challenge, valid for one answer within ``lifetime`` seconds."""
        return _run(self._sync_store("issue"), self._issue())

    async def aissue(self) -> Challenge:
        """:meth:`issue` for any store, awaiting an async one: the event loop never waits on it."""
        return await _arun(self.store, self._issue())

    def image(self, challenge_id: str) -> bytes:
        """The image of a challenge, the same bytes every time; InvalidChallenge if unknown."""
        text, seed = _run(self._sync_store("image"), self._mode.drawing(check_id(challenge_id)))
        return self._render(text, seed)

    async def aimage(self, challenge_id: str, *, executor: Executor | None = None) -> bytes:
        """:meth:`image`, looked up with any store and drawn in ``executor`` (the loop's default)."""
        text, seed = await _arun(self.store, self._mode.drawing(check_id(challenge_id)))
        return await asyncio.get_running_loop().run_in_executor(executor, self._render, text, seed)

    def verify(self, token: str, answer: str) -> None:
        """Accept ``answer`` to the challenge of ``token`` once, or raise a VerificationError.

        The challenge is used up before the answer is compared, so it is gone either way. Errors of
        the store itself pass through (a full :class:`MemoryStore` raises StoreFull, a shared store
        that is down StoreUnavailable): an answer that cannot be recorded as used is never accepted.
        """
        _run(self._sync_store("verify"), self._verify(token, answer))

    def passes(self, token: str, answer: str) -> bool:
        """Whether ``answer`` solves the challenge of ``token``; like :meth:`verify`, only once.

        Only verification failures give False; a failing store raises, as in :meth:`verify`.
        """
        try:
            self.verify(token, answer)
        except VerificationError:
            return False
        return True

    def apasses(self, token: str, answer: str) -> PendingVerdict:
        """:meth:`passes` for any store, awaiting an async one: ``if await service.apasses(...)``.

        Its result must be awaited: tested as it is, it raises CallModeError rather than pass any
        answer (a coroutine would always be true). There is no async ``verify`` that raises on a
        wrong answer, since a forgotten ``await`` there would skip the check without a sound.
        """
        return PendingVerdict(self._apasses(token, answer))

    async def _apasses(self, token: str, answer: str) -> bool:
        try:
            await _arun(self.store, self._verify(token, answer))
        except VerificationError:
            return False
        return True

    def answer(self, challenge_id: str) -> str:
        """The text of a live challenge, for tests that must pass it (a browser test's hook).

        Only code holding this service object can call it, so it is no bypass; never serve its
        result on a route. InvalidChallenge if the challenge is unknown, used or expired.
        """
        return _run(self._sync_store("answer"), self._mode.drawing(check_id(challenge_id)))[0]

    async def aanswer(self, challenge_id: str) -> str:
        """:meth:`answer` for any store, awaiting an async one."""
        return (await _arun(self.store, self._mode.drawing(check_id(challenge_id))))[0]

    # The rules, written once as steps that name the store operations they need: _run carries
    # them out on a synchronous store, _arun on an asynchronous one.

    def _issue(self) -> Steps[Challenge]:
        challenge_id = secrets.token_urlsafe(_ID_BYTES)
        expires_at = self._clock() + self.lifetime
        token = yield from self._mode.issue(challenge_id, expires_at)
        return Challenge(challenge_id, token, expires_at)

    def _verify(self, token: object, answer: str) -> Steps[None]:
        challenge_id, matches = yield from self._mode.consume(token)
        typed = normalize_answer(answer)
        if typed is None or not matches(typed):
            raise WrongAnswer("wrong answer", challenge_id)

    def _render(self, text: str, seed: str) -> bytes:
        return render(text, width=self.width, height=self.height, fmt=self.fmt, seed=seed)

    def _sync_store(self, method: str) -> ChallengeStore:
        if self._sync_store_or_none is None:
            raise CallModeError(f"this service's store is asynchronous: use await service.a{method}(...)")
        return self._sync_store_or_none


def _is_sync(store: ChallengeStore | AsyncChallengeStore) -> TypeGuard[ChallengeStore]:
    return not inspect.iscoroutinefunction(store.take)


def _run(store: ChallengeStore, steps: Steps[T]) -> T:
    """Carry out ``steps`` on a synchronous store."""
    result: Any = None
    try:
        while True:
            name, args = steps.send(result)
            result = getattr(store, name)(*args)
    except StopIteration as done:
        value: T = done.value
        return value


async def _arun(store: ChallengeStore | AsyncChallengeStore, steps: Steps[T]) -> T:
    """Carry out ``steps`` on any store, awaiting what an asynchronous one returns."""
    result: Any = None
    try:
        while True:
            name, args = steps.send(result)
            result = getattr(store, name)(*args)
            if inspect.isawaitable(result):
                result = await result
    except StopIteration as done:
        value: T = done.value
        return value


def check_id(challenge_id: object) -> str:
    """``challenge_id`` if it has the shape of an id this module issues; else InvalidChallenge."""
    if not isinstance(challenge_id, str) or not _ID_PATTERN.fullmatch(challenge_id):
        raise InvalidChallenge("not a challenge id")
    return challenge_id


class _Mode(Protocol):
    """Where a service keeps its challenges: each method is steps of store operations."""

    def issue(self, challenge_id: str, expires_at: float) -> Steps[str]:
        """Record a new challenge; the token the form carries back."""

    def drawing(self, challenge_id: str) -> Steps[tuple[str, str]]:
        """The text and image seed of a live challenge."""

    def consume(self, token: object) -> Steps[tuple[str, Callable[[str], bool]]]:
        """Use up the challenge of ``token``: its id, and a test of a normalized answer."""


class _ServerSide:
    """Challenges in a store as JSON (text, image seed, expiry) under their id: the token is the id."""

    def __init__(self, service: CaptchaService, prefix: str) -> None:
        self.service = service
        self.prefix = prefix

    def issue(self, challenge_id: str, expires_at: float) -> Steps[str]:
        text = random_text(self.service.length)
        record = {"text": text, "seed": secrets.token_hex(16), "expires_at": expires_at}
        yield ("put", (self.prefix + challenge_id, json.dumps(record).encode(), self.service.lifetime))
        return challenge_id

    def drawing(self, challenge_id: str) -> Steps[tuple[str, str]]:
        record = self._live(challenge_id, (yield ("get", (self.prefix + challenge_id,))))
        return record["text"], record["seed"]

    def consume(self, token: object) -> Steps[tuple[str, Callable[[str], bool]]]:
        challenge_id = check_id(token)
        stored = yield ("take", (self.prefix + challenge_id,))
        text = self._live(challenge_id, stored)["text"].encode()
        return challenge_id, lambda typed: hmac.compare_digest(typed.encode(), text)

    def _live(self, challenge_id: str, stored: bytes | None) -> dict[str, str]:
        """The stored record, unless it is gone or past its expiry (a store may expire coarsely)."""
        if stored is None:
            raise InvalidChallenge("unknown, used or expired challenge", challenge_id)
        record = json.loads(stored)
        if record["expires_at"] <= self.service.now():
            raise InvalidChallenge("expired challenge", challenge_id)
        return {"text": record["text"], "seed": record["seed"]}


class _Stateless:
    """Challenges in signed tokens ``{"id", "answer": HMAC(key, id, text)}``; used ids in a store."""

    def __init__(self, secret_key: str | bytes, service: CaptchaService, prefix: str) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise InvalidOption("secret_key must be str or bytes of at least 16 bytes")
        self.service = service
        self.prefix = prefix
        self._tokens = Serializer(secret, salt="anemo.captcha.CaptchaService", clock=service.now)
        self._text_key, self._seed_key, self._answer_key = (
            hmac.digest(secret, f"anemo.captcha/{purpose}".encode(), hashlib.sha256)
            for purpose in ("text", "seed", "answer")
        )

    def issue(self, challenge_id: str, expires_at: float) -> Steps[str]:
        yield from ()  # nothing is stored per challenge
        digest = self._digest(challenge_id, self._text(challenge_id))
        return self._tokens.dumps({"id": challenge_id, "answer": digest})

    def drawing(self, challenge_id: str) -> Steps[tuple[str, str]]:
        yield from ()  # the text is derived from the id
        seed = hmac.new(self._seed_key, challenge_id.encode(), hashlib.sha256).hexdigest()
        return self._text(challenge_id), seed

    def consume(self, token: object) -> Steps[tuple[str, Callable[[str], bool]]]:
        challenge_id, digest = self._load(token)
        # Kept as long as the token could be accepted: its lifetime plus the clock skew allowed.
        ttl = self.service.lifetime + MAX_CLOCK_SKEW
        if not (yield ("add", (self.prefix + challenge_id, b"1", ttl))):
            raise ChallengeReplayed("challenge already answered", challenge_id)
        return challenge_id, lambda typed: hmac.compare_digest(self._digest(challenge_id, typed), digest)

    def _text(self, challenge_id: str) -> str:
        """The challenge's text: symbols picked by HMAC(key, id) bytes, unbiased by rejection."""
        limit = 256 - 256 % len(ALPHABET)
        symbols: list[str] = []
        counter = 0
        while len(symbols) < self.service.length:
            block = hmac.digest(self._text_key, f"{challenge_id}:{counter}".encode(), hashlib.sha256)
            symbols += [ALPHABET[byte % len(ALPHABET)] for byte in block if byte < limit]
            counter += 1
        return "".join(symbols[: self.service.length])

    def _digest(self, challenge_id: str, text: str) -> str:
        return hmac.new(self._answer_key, f"{challenge_id}\0{text}".encode(), hashlib.sha256).hexdigest()

    def _load(self, token: object) -> tuple[str, str]:
        """The id and answer digest in a genuine, unexpired token."""
        if not isinstance(token, str) or len(token) > _MAX_TOKEN:
            raise InvalidChallenge("not a challenge token")
        try:
            payload = self._tokens.loads(token, max_age=self.service.lifetime)
        except SignatureExpired as expired:
            age = self.service.now() - expired.signed_at.timestamp()
            raise ChallengeExpired("challenge expired", None, age) from None
        except BadSignature:
            raise InvalidChallenge("not a genuine challenge token") from None
        if not isinstance(payload, dict) or not isinstance(payload.get("answer"), str):
            raise InvalidChallenge("not a challenge token")
        return check_id(payload.get("id")), payload["answer"]

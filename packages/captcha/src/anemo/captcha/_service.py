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

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from anemo.signedvalue import MAX_CLOCK_SKEW, BadSignature, Serializer, SignatureExpired

from ._render import IMAGE_TYPES, render
from ._store import ChallengeStore, MemoryStore
from ._text import ALPHABET, normalize_answer, random_text
from .errors import ChallengeExpired, ChallengeReplayed, InvalidChallenge, VerificationError, WrongAnswer

__all__ = ["Challenge", "CaptchaService"]

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
        store: ChallengeStore | None = None,
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
        if not 0 < lifetime <= 86_400:
            raise ValueError(f"lifetime must be above 0 and at most a day, not {lifetime!r}")
        render(random_text(length), width=width, height=height, fmt=fmt)  # RenderError now, not later
        self.lifetime = float(lifetime)
        self.length = length
        self.width = width
        self.height = height
        self.fmt = fmt.upper()
        self._clock = clock
        if store is not None and not isinstance(store, ChallengeStore):
            raise TypeError(
                f"store must have the ChallengeStore methods put, get, take and add; "
                f"{type(store).__name__} does not"
            )
        self._mode: _Mode
        if secret_key is None:
            store = MemoryStore() if store is None else store  # not `or`: an empty store is falsy
            self._mode = _ServerSide(store, self, f"{key_prefix}challenge:")
        elif store is None:
            raise ValueError("a stateless CaptchaService needs a store shared by all its processes")
        else:
            self._mode = _Stateless(secret_key, store, self, f"{key_prefix}used:")

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
        challenge_id = secrets.token_urlsafe(_ID_BYTES)
        expires_at = self._clock() + self.lifetime
        return Challenge(challenge_id, self._mode.issue(challenge_id, expires_at), expires_at)

    def image(self, challenge_id: str) -> bytes:
        """The image of a challenge, the same bytes every time; InvalidChallenge if unknown."""
        text, seed = self._mode.drawing(check_id(challenge_id))
        return render(text, width=self.width, height=self.height, fmt=self.fmt, seed=seed)

    def verify(self, token: str, answer: str) -> None:
        """Accept ``answer`` to the challenge of ``token`` once, or raise a VerificationError.

        The challenge is used up before the answer is compared, so it is gone either way. Errors of
        the store itself pass through (a full :class:`MemoryStore` raises StoreFull): an answer that
        cannot be recorded as used is never accepted.
        """
        challenge_id, matches = self._mode.consume(token)
        typed = normalize_answer(answer)
        if typed is None or not matches(typed):
            raise WrongAnswer("wrong answer", challenge_id)

    def passes(self, token: str, answer: str) -> bool:
        """Whether ``answer`` solves the challenge of ``token``; like :meth:`verify`, only once.

        Only verification failures give False; a failing store raises, as in :meth:`verify`.
        """
        try:
            self.verify(token, answer)
        except VerificationError:
            return False
        return True


def check_id(challenge_id: object) -> str:
    """``challenge_id`` if it has the shape of an id this module issues; else InvalidChallenge."""
    if not isinstance(challenge_id, str) or not _ID_PATTERN.fullmatch(challenge_id):
        raise InvalidChallenge("not a challenge id")
    return challenge_id


class _Mode(Protocol):
    """Where a service keeps its challenges."""

    def issue(self, challenge_id: str, expires_at: float) -> str:
        """Record a new challenge; the token the form carries back."""

    def drawing(self, challenge_id: str) -> tuple[str, str]:
        """The text and image seed of a live challenge."""

    def consume(self, token: object) -> tuple[str, Callable[[str], bool]]:
        """Use up the challenge of ``token``: its id, and a test of a normalized answer."""


class _ServerSide:
    """Challenges in a store as JSON (text, image seed, expiry) under their id: the token is the id."""

    def __init__(self, store: ChallengeStore, service: CaptchaService, prefix: str) -> None:
        self.store = store
        self.service = service
        self.prefix = prefix

    def issue(self, challenge_id: str, expires_at: float) -> str:
        text = random_text(self.service.length)
        record = {"text": text, "seed": secrets.token_hex(16), "expires_at": expires_at}
        self.store.put(self.prefix + challenge_id, json.dumps(record).encode(), self.service.lifetime)
        return challenge_id

    def drawing(self, challenge_id: str) -> tuple[str, str]:
        record = self._live(challenge_id, self.store.get(self.prefix + challenge_id))
        return record["text"], record["seed"]

    def consume(self, token: object) -> tuple[str, Callable[[str], bool]]:
        challenge_id = check_id(token)
        text = self._live(challenge_id, self.store.take(self.prefix + challenge_id))["text"].encode()
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

    def __init__(
        self, secret_key: str | bytes, used_ids: ChallengeStore, service: CaptchaService, prefix: str
    ) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if not isinstance(secret, bytes) or len(secret) < 16:
            raise ValueError("secret_key must be str or bytes of at least 16 bytes")
        self.used_ids = used_ids
        self.service = service
        self.prefix = prefix
        self._tokens = Serializer(secret, salt="anemo.captcha.CaptchaService", clock=service.now)
        self._text_key, self._seed_key, self._answer_key = (
            hmac.digest(secret, f"anemo.captcha/{purpose}".encode(), hashlib.sha256)
            for purpose in ("text", "seed", "answer")
        )

    def issue(self, challenge_id: str, expires_at: float) -> str:
        digest = self._digest(challenge_id, self._text(challenge_id))
        return self._tokens.dumps({"id": challenge_id, "answer": digest})

    def drawing(self, challenge_id: str) -> tuple[str, str]:
        seed = hmac.new(self._seed_key, challenge_id.encode(), hashlib.sha256).hexdigest()
        return self._text(challenge_id), seed

    def consume(self, token: object) -> tuple[str, Callable[[str], bool]]:
        challenge_id, digest = self._load(token)
        # Kept as long as the token could be accepted: its lifetime plus the clock skew allowed.
        ttl = self.service.lifetime + MAX_CLOCK_SKEW
        if not self.used_ids.add(self.prefix + challenge_id, b"1", ttl):
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

"""Proof of work: a challenge the visitor's browser solves, with no puzzle for the person.

The server picks a secret number uniformly in ``[0, maxnumber]`` and publishes
``sha256(salt + str(number))`` with an HMAC of it; the browser tries numbers from 0 until one
hashes to the challenge (``maxnumber / 2`` hashes on average, ``maxnumber + 1`` at worst) and posts
the number back. Verifying costs the server two hashes and one store write.

The wire format is ALTCHA's original ("v1") proof of work, so the ALTCHA widget and libraries
interoperate with it::

    challenge: {"algorithm": "SHA-256", "challenge": hex, "maxnumber": int, "salt": str, "signature": hex}
    payload:   base64(JSON {"algorithm", "challenge", "number", "salt", "signature"}), extra keys ignored

The salt is ``<random hex id>?expires=<unix seconds>&``: the query carries the expiry, and the
final ``&`` keeps the number's digits from running on into the expiry's (``expires=17`` + ``3``
would otherwise read as ``expires=173``). Nothing is stored per challenge until it is answered;
then the challenge goes into the store with ``add``, so each is accepted once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from anemo.signedvalue import MAX_CLOCK_SKEW

from ._service import Steps, _arun, _is_sync, _run
from ._store import AsyncChallengeStore, ChallengeStore
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

__all__ = ["ProofOfWork"]

#: The only hash accepted: ALTCHA also names SHA-1 and SHA-512, which we neither issue nor take.
_ALGORITHM = "SHA-256"
#: Longest payload read at all; a genuine one is about 300 characters (400 with ALTCHA's extras).
_MAX_PAYLOAD = 2048
_MAX_DIFFICULTY = 100_000_000
_HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)
#: A random hex id of 96 to 256 bits (ours has 128, the altcha libraries' 96), a form-encoded query, "&".
_SALT = re.compile(r"(?P<id>[0-9a-f]{24,64})\?(?P<query>[\w.~%+=-][\w.~%+=&-]{0,190})&", re.ASCII)
_EXPIRES = re.compile(r"[0-9]{1,11}", re.ASCII)


def _no_constant(name: str) -> Any:
    """NaN and the infinities are not JSON: refuse them rather than let them reach a comparison."""
    raise ValueError(f"{name} is not JSON")


#: Made once: json.loads with options builds a new decoder on every call (about a microsecond).
#: Duplicate keys keep the last value, as in altcha; every value used is then checked anyway.
_JSON = json.JSONDecoder(parse_constant=_no_constant)


class ProofOfWork:
    """Issues proof-of-work challenges and accepts one solution to each.

    ``store`` keeps the challenges already solved, for as long as each could still be accepted;
    like a stateless :class:`CaptchaService` it must be shared by every process that verifies, so
    there is no default. ``hmac_key`` (at least 16 bytes) signs the challenges: keep it secret, and
    give it to every process that verifies. ``difficulty`` is ALTCHA's ``maxnumber``: the browser
    computes ``difficulty / 2`` SHA-256 hashes on average. ``lifetime`` is in seconds.

    A proof of work prices automated requests; it is no Turing test. See the README for what it
    does and does not stop.
    """

    def __init__(
        self,
        store: ChallengeStore | AsyncChallengeStore,
        *,
        hmac_key: str | bytes,
        difficulty: int = 100_000,
        lifetime: float = 300.0,
        key_prefix: str = "anemo.captcha:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(store, ChallengeStore | AsyncChallengeStore):
            raise InvalidOptionType(
                f"store must have the ChallengeStore methods put, get, take and add; "
                f"{type(store).__name__} does not"
            )
        key = hmac_key.encode() if isinstance(hmac_key, str) else hmac_key
        if not isinstance(key, bytes) or len(key) < 16:
            raise InvalidOption("hmac_key must be str or bytes of at least 16 bytes")
        if (
            isinstance(difficulty, bool)
            or not isinstance(difficulty, int)
            or not 1 <= difficulty <= _MAX_DIFFICULTY
        ):
            raise InvalidOption(
                f"difficulty must be an int from 1 to {_MAX_DIFFICULTY:,}, not {difficulty!r}"
            )
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or not 0 < lifetime <= 86_400:
            raise InvalidOption(f"lifetime must be above 0 and at most a day, not {lifetime!r}")
        #: Where solved challenges are recorded.
        self.store = store
        self.difficulty = difficulty
        self.lifetime = float(lifetime)
        self._key = key
        self._prefix = f"{key_prefix}pow:"
        self._clock = clock
        self._sync_store_or_none = store if _is_sync(store) else None

    @property
    def is_async(self) -> bool:
        """Whether the store's methods are coroutines: then only :meth:`apasses` works."""
        return self._sync_store_or_none is None

    def challenge(self) -> dict[str, str | int]:
        """A new challenge as ALTCHA's JSON object, valid for ``lifetime`` seconds; no store is used.

        The expiry is rounded up to a whole second, so a challenge lives at least ``lifetime``.
        """
        expires = math.ceil(self._clock() + self.lifetime)
        salt = f"{secrets.token_hex(16)}?expires={expires}&"
        number = secrets.randbelow(self.difficulty + 1)
        challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
        return {
            "algorithm": _ALGORITHM,
            "challenge": challenge,
            "maxnumber": self.difficulty,
            "salt": salt,
            "signature": self._sign(challenge),
        }

    def verify(self, payload: str) -> None:
        """Accept ``payload`` (what the browser posts) once, or raise a VerificationError.

        InvalidChallenge: unreadable, not signed with this key, or without a usable expiry; nothing
        is recorded. ChallengeExpired: past its expiry. ChallengeReplayed: already submitted.
        WrongAnswer: a genuine challenge whose number does not solve it, which uses it up too.
        Errors of the store itself pass through, as in :meth:`CaptchaService.verify`.
        """
        if self._sync_store_or_none is None:
            raise CallModeError("this proof of work's store is asynchronous: use await pow.apasses(...)")
        _run(self._sync_store_or_none, self._verify(payload))

    def passes(self, payload: str) -> bool:
        """Whether ``payload`` solves a live challenge; like :meth:`verify`, only once."""
        try:
            self.verify(payload)
        except VerificationError:
            return False
        return True

    def apasses(self, payload: str) -> PendingVerdict:
        """:meth:`passes` for any store, awaiting an async one: ``if await pow.apasses(payload)``.

        Tested without ``await`` it raises CallModeError instead of passing every payload.
        """
        return PendingVerdict(self._apasses(payload))

    async def _apasses(self, payload: str) -> bool:
        try:
            await _arun(self.store, self._verify(payload))
        except VerificationError:
            return False
        return True

    @staticmethod
    def challenge_of(payload: str) -> str:
        """The challenge a payload names, to find what the application keeps with it; ``""`` if
        the payload is not readable. It proves nothing: only :meth:`apasses` and the like do."""
        try:
            return str(_read(payload)["challenge"])
        except InvalidChallenge:
            return ""

    def _sign(self, challenge: str) -> str:
        return hmac.new(self._key, challenge.encode(), hashlib.sha256).hexdigest()

    def _verify(self, payload: object) -> Steps[None]:
        """The rule, as steps: read, check the signature and expiry, use it up, then check the number.

        The store key is the signed challenge, so a payload needs our signature to write one, and
        a wrong number uses its challenge up (one attempt each) without letting anyone pick keys.
        The salt is only proven genuine by the last check, which every accepted payload passes.
        """
        fields = _read(payload)
        challenge, salt = fields["challenge"], fields["salt"]
        if not hmac.compare_digest(self._sign(challenge), fields["signature"]):
            raise InvalidChallenge("challenge not signed with this key")
        challenge_id, expires = _read_salt(salt)
        now = self._clock()
        if expires <= now:
            raise ChallengeExpired("challenge expired", challenge_id, now - expires + self.lifetime)
        if expires > now + self.lifetime + MAX_CLOCK_SKEW:
            raise InvalidChallenge("challenge expires after this service's lifetime", challenge_id)
        # Kept as long as some process could still accept it: its rest of life plus the clock skew.
        if not (yield ("add", (self._prefix + challenge, b"1", expires - now + MAX_CLOCK_SKEW))):
            raise ChallengeReplayed("challenge already solved", challenge_id)
        number = fields["number"]
        if isinstance(number, bool) or not isinstance(number, int) or not 0 <= number <= self.difficulty:
            raise WrongAnswer(f"number must be an int from 0 to {self.difficulty}", challenge_id)
        expected = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
        if not hmac.compare_digest(expected, challenge):
            raise WrongAnswer("the number does not solve the challenge", challenge_id)


def _read(payload: object) -> dict[str, Any]:
    """The fields of a payload that has the shape of an answer to one of our challenges."""
    if not isinstance(payload, str) or len(payload) > _MAX_PAYLOAD:
        raise InvalidChallenge(f"payload must be a str of at most {_MAX_PAYLOAD} characters")
    try:
        fields = _JSON.decode(base64.b64decode(payload, validate=True).decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidChallenge("payload is not base64 of a JSON object") from None
    if not isinstance(fields, dict):
        raise InvalidChallenge("payload is not base64 of a JSON object")
    missing = {"algorithm", "challenge", "number", "salt", "signature"} - fields.keys()
    if missing:
        raise InvalidChallenge(f"payload lacks {', '.join(sorted(missing))}")
    if fields["algorithm"] != _ALGORITHM:
        raise InvalidChallenge(f"algorithm must be {_ALGORITHM}")
    for name in ("challenge", "signature"):
        if not isinstance(fields[name], str) or not _HEX64.fullmatch(fields[name]):
            raise InvalidChallenge(f"{name} must be 64 lower-case hex digits")
    if not isinstance(fields["salt"], str):
        raise InvalidChallenge("salt must be a str")
    return fields


def _read_salt(salt: str) -> tuple[str, int]:
    """The random id and the expiry (Unix seconds) in a salt of ours or of the altcha libraries."""
    shape = _SALT.fullmatch(salt)
    if shape is None:
        raise InvalidChallenge("salt is not <hex id>?expires=<unix seconds>&")
    fields = [field.partition("=") for field in shape["query"].split("&")]
    if any(not name or not equals for name, equals, _ in fields):
        raise InvalidChallenge("salt query is malformed", shape["id"])
    expiries = [value for name, _, value in fields if name == "expires"]
    if len(expiries) != 1 or not _EXPIRES.fullmatch(expiries[0]):
        raise InvalidChallenge("salt must carry one expires=<unix seconds>", shape["id"])
    return shape["id"], int(expiries[0])

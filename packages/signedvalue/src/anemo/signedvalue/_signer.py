"""Signer: timestamped, purpose-bound, URL-safe signatures over bytes."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime

from ._encoding import HEADER_SIZE, pack_header, unpack_header, urlsafe_decode, urlsafe_encode
from ._hmac import PreparedHMAC
from ._keys import SecretKeys, as_bytes, derive_keys
from .errors import BadSignature, InvalidOption, SignatureExpired

__all__ = ["Signer", "MAX_CLOCK_SKEW", "check_age", "check_max_age", "token_bytes"]

#: Seconds a token may be dated ahead of this machine's clock (other servers' clocks drift);
#: anything later is rejected as forged or made with a broken clock.
MAX_CLOCK_SKEW = 300

_FORMAT = 1
_MAC_SIZE = 32


class Signer:
    """Signs byte strings with a timestamp and verifies them, optionally with an age limit.

    A token is the unpadded URL-safe base64 of: one format byte, the signing time (5 bytes,
    seconds), the value, and HMAC-SHA256 of all that under a key derived from the secret and the
    ``salt``. Tokens signed for one salt never validate for another. With several secrets, the
    first signs and every one verifies, so a new secret can be put in front and the old one kept
    until its tokens have expired.
    """

    __slots__ = ("_clock", "_macs", "salt")

    def __init__(
        self,
        secret_keys: SecretKeys,
        *,
        salt: str | bytes = "anemo.signedvalue.Signer",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.salt = salt
        self._macs = tuple(PreparedHMAC(key, "sha256") for key in derive_keys(secret_keys, "sign", salt))
        self._clock = clock

    def sign(self, value: str | bytes) -> bytes:
        """A token (URL-safe ASCII) carrying ``value`` (``str`` is UTF-8 encoded) and the time now."""
        body = pack_header(_FORMAT, self._clock()) + as_bytes(value, "value")
        return urlsafe_encode(body + self._macs[0].mac(body).digest())

    def unsign(self, token: str | bytes, max_age: float | None = None) -> bytes:
        """The value in ``token``; BadSignature unless genuine, SignatureExpired if over ``max_age`` s."""
        return self.unsign_timestamped(token, max_age)[0]

    def unsign_timestamped(self, token: str | bytes, max_age: float | None = None) -> tuple[bytes, int]:
        """As :meth:`unsign`, with the time the token was signed (whole Unix seconds).

        For callers that act on a token's age below ``max_age``, such as a session cookie that is
        re-issued once it is a minute old.
        """
        check_max_age(max_age)
        raw = urlsafe_decode(token_bytes(token))
        if raw is None or len(raw) < HEADER_SIZE + _MAC_SIZE:
            raise BadSignature("malformed token")
        body, mac = raw[:-_MAC_SIZE], raw[-_MAC_SIZE:]
        for key in self._macs:
            if hmac.compare_digest(mac, key.mac(body).digest()):
                break
        else:
            raise BadSignature("signature does not match")
        format_byte, signed_at = unpack_header(body)
        if format_byte != _FORMAT:
            raise BadSignature(f"unknown token format {format_byte}")
        check_age(signed_at, self._clock(), max_age)
        return body[HEADER_SIZE:], signed_at


def token_bytes(token: str | bytes) -> bytes:
    """``token`` as bytes; a token is ASCII, so anything else is a BadSignature."""
    if isinstance(token, bytes):
        return token
    if isinstance(token, str):
        try:
            return token.encode("ascii")
        except UnicodeEncodeError:
            raise BadSignature("token is not ASCII") from None
    raise BadSignature(f"token must be str or bytes, not {type(token).__name__}")


def check_max_age(max_age: float | None) -> None:
    """Refuse a negative or NaN ``max_age``: a caller's mistake, reported whatever the token."""
    if max_age is not None and not max_age >= 0:
        raise InvalidOption(f"max_age must be a non-negative number of seconds, not {max_age!r}")


def check_age(signed_at: int, now: float, max_age: float | None) -> None:
    """Raise unless a genuine token signed at ``signed_at`` is acceptable ``now``."""
    if signed_at > now + MAX_CLOCK_SKEW:
        raise BadSignature("token is dated in the future")
    if max_age is not None and now - signed_at > max_age:
        raise SignatureExpired(
            f"signature age {now - signed_at:.0f} s exceeds max_age {max_age} s",
            signed_at=datetime.fromtimestamp(signed_at, UTC),
            max_age=max_age,
        )

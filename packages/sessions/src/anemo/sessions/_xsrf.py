"""Synchronizer tokens against cross-site request forgery: a secret kept in the session, masked per page.

:func:`new_token` makes the secret, which never leaves the server as it is. Every page carries a
fresh :func:`mask` of it: 32 random bytes followed by the token XORed with them, in base64url, so
a compressed page that also reflects attacker-chosen text (BREACH) never repeats it. :func:`matches`
unmasks what a request submitted and compares it in constant time; anything malformed is ``False``.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets

__all__ = ["TOKEN_BYTES", "new_token", "is_token", "mask", "matches"]

#: Random bytes in a token: 256 bits.
TOKEN_BYTES = 32

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*", re.ASCII)


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


_TOKEN_LENGTH = len(_encode(bytes(TOKEN_BYTES)))
_MASKED_LENGTH = len(_encode(bytes(2 * TOKEN_BYTES)))


def _decode(text: object, length: int) -> bytes | None:
    """The bytes ``text`` spells if it is ``length`` characters of canonical base64url, else ``None``."""
    if not isinstance(text, str) or len(text) != length or not _BASE64URL.fullmatch(text):
        return None
    raw = base64.urlsafe_b64decode(text + "=" * (-length % 4))
    return raw if _encode(raw) == text else None  # one spelling per value: no stray trailing bits


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))


def new_token() -> str:
    """A new secret token (256 bits from :mod:`secrets`, base64url), to keep server-side."""
    return _encode(secrets.token_bytes(TOKEN_BYTES))


def is_token(value: object) -> bool:
    """Whether ``value`` is a token as :func:`new_token` makes them."""
    return _decode(value, _TOKEN_LENGTH) is not None


def mask(token: str) -> str:
    """A fresh masked form of ``token`` for one page: different every call, each one :func:`matches`."""
    raw = _decode(token, _TOKEN_LENGTH)
    if raw is None:
        raise ValueError("mask() takes a token made by new_token()")
    pad = secrets.token_bytes(TOKEN_BYTES)
    return _encode(pad + _xor(pad, raw))


def matches(token: str, submitted: str | None) -> bool:
    """Whether ``submitted`` is a mask of ``token``; malformed input of any kind is ``False``."""
    raw = _decode(token, _TOKEN_LENGTH)
    masked = _decode(submitted, _MASKED_LENGTH)  # the length is checked before anything is decoded
    if raw is None or masked is None:
        return False
    return hmac.compare_digest(_xor(masked[:TOKEN_BYTES], masked[TOKEN_BYTES:]), raw)

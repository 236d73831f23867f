"""Session ids: 256 random bits, and the keyed hash that names a session in logs and listings."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

__all__ = ["ID_BYTES", "new_session_id", "is_session_id", "IdHasher"]

#: Random bytes in an id: 256 bits, far past OWASP's 64-bit floor.
ID_BYTES = 32
_ID = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


def new_session_id() -> str:
    """43 URL-safe characters from :mod:`secrets`."""
    return secrets.token_urlsafe(ID_BYTES)


def is_session_id(text: str) -> bool:
    """Whether ``text`` has the shape of :func:`new_session_id`'s output."""
    return _ID.fullmatch(text) is not None


class IdHasher:
    """Names a session without revealing its id: HMAC-SHA256 under a key of its own, 16 hex digits.

    The same id always gives the same name under the same key, so log lines of one session can be
    followed, while nobody reading the logs (or a user's session list) can use the name as a cookie.
    """

    __slots__ = ("_key",)

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.digest(secret, b"anemo.sessions/id-hash", hashlib.sha256)

    def __call__(self, session_id: str) -> str:
        return hmac.digest(self._key, session_id.encode(), hashlib.sha256)[:8].hex()

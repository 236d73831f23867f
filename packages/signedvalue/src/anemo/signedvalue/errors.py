"""The exceptions of anemo.signedvalue, all under one base class.

::

    SignedValueError            anything this package rejects
     +-- BadSignature           the token was not signed by us for this purpose (or is malformed)
          +-- SignatureExpired  genuine, but older than max_age; carries ``signed_at``
          +-- BadPayload        genuine, but its content does not decode; carries ``payload``

The Tornado-compatible functions never raise these for bad input: they return ``None``, as
Tornado's do.
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["SignedValueError", "BadSignature", "SignatureExpired", "BadPayload"]


class SignedValueError(Exception):
    """Base class of every error raised by anemo.signedvalue."""


class BadSignature(SignedValueError):
    """The token is malformed, was tampered with, or was signed with another key or salt."""


class SignatureExpired(BadSignature):
    """The signature is genuine but older than the ``max_age`` the caller allows."""

    def __init__(self, message: str, *, signed_at: datetime, max_age: float) -> None:
        super().__init__(message)
        #: When the token was signed (timezone-aware, UTC).
        self.signed_at = signed_at
        #: The age limit, in seconds, that the token exceeded.
        self.max_age = max_age


class BadPayload(BadSignature):
    """The signature is genuine but the signed content cannot be decoded."""

    def __init__(self, message: str, *, payload: bytes) -> None:
        super().__init__(message)
        #: The authenticated bytes that failed to decode.
        self.payload = payload

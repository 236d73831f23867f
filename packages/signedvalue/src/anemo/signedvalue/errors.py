"""The exceptions of anemo.signedvalue, all under one base class.

::

    SignedValueError            anything this package rejects
     +-- InvalidOption          (also ValueError) a caller's argument is unusable: an empty secret...
     |    +-- InvalidOptionType (also TypeError) ...or one of the wrong type
     +-- BadSignature           the token was not signed by us for this purpose (or is malformed)
          +-- SignatureExpired  genuine, but older than max_age; carries ``signed_at``
          +-- BadPayload        genuine, but its content does not decode; carries ``payload``

A token is input, so a bad one is a :class:`BadSignature`; an argument comes from the caller's
code, so a bad one is an :class:`InvalidOption`. The Tornado-compatible functions never raise
these for a bad token: they return ``None``, as Tornado's do.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "SignedValueError",
    "InvalidOption",
    "InvalidOptionType",
    "BadSignature",
    "SignatureExpired",
    "BadPayload",
]


class SignedValueError(Exception):
    """Base class of every error raised by anemo.signedvalue."""


class InvalidOption(SignedValueError, ValueError):
    """An argument or setting cannot be used, such as an empty secret or a negative ``max_age``."""


class InvalidOptionType(InvalidOption, TypeError):
    """An argument has the wrong type, such as a secret that is neither ``str`` nor ``bytes``."""


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

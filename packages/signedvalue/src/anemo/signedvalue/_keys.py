"""Secret keys: accepted forms, rotation order, and per-purpose key derivation."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TypeAlias

from .errors import InvalidOption, InvalidOptionType

__all__ = ["SecretKeys", "derive_keys", "as_bytes"]

#: One secret, or several: the first signs (or encrypts), every one verifies (or decrypts).
SecretKeys: TypeAlias = str | bytes | Sequence[str | bytes]


def as_bytes(value: str | bytes, what: str) -> bytes:
    """``value`` as bytes (``str`` is UTF-8 encoded); anything else is a TypeError naming ``what``."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise InvalidOptionType(f"{what} must be str or bytes, not {type(value).__name__}")


def derive_keys(secret_keys: SecretKeys, purpose: str, salt: str | bytes) -> tuple[bytes, ...]:
    """One 32-byte key per secret, bound to ``purpose`` and ``salt``; the raw secret is never used.

    Key = HMAC-SHA256(secret, "anemo.signedvalue/" purpose NUL salt). Different purposes (signing,
    encryption) or salts give unrelated keys, so a token made for one never validates for another.
    """
    if not isinstance(secret_keys, str | bytes | Sequence):
        # A dict would sign with its keys and a set in no fixed order: the rotation order is lost.
        raise InvalidOptionType(
            "secret_keys must be str, bytes or a sequence of them (the first signs), "
            f"not {type(secret_keys).__name__}"
        )
    secrets = [secret_keys] if isinstance(secret_keys, str | bytes) else list(secret_keys)
    if not secrets:
        raise InvalidOption("at least one secret key is required")
    context = b"anemo.signedvalue/" + purpose.encode("ascii") + b"\0" + as_bytes(salt, "salt")
    keys = []
    for secret in secrets:
        raw = as_bytes(secret, "a secret key")
        if not raw:
            raise InvalidOption("secret keys must not be empty")
        keys.append(hmac.digest(raw, context, hashlib.sha256))
    return tuple(keys)

"""EncryptedSerializer: JSON values sealed with AES-256-GCM, for content the client must not read.

Needs the ``cryptography`` package: install ``anemo-signedvalue[encrypt]``.

A token is the unpadded URL-safe base64 of: one format byte and the sealing time (5 bytes,
seconds; readable, but authenticated as associated data), a random 96-bit nonce, then the AES-GCM
ciphertext of the compact JSON and its 16-byte tag. Keys are derived from each secret and the
``salt`` (never the raw secret); the first secret encrypts, every one decrypts. Random nonces are
safe for about 2**32 tokens per key: rotate secrets well before that.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from ._encoding import HEADER_SIZE, pack_header, unpack_header, urlsafe_decode, urlsafe_encode
from ._keys import SecretKeys, derive_keys
from ._serializer import TokenSerializer, dump_json, load_json
from ._signer import check_age, check_max_age, token_bytes
from .errors import BadSignature

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "cryptography":
        raise
    raise ModuleNotFoundError(
        "anemo.signedvalue.encrypted needs the cryptography package:"
        " pip install 'anemo-signedvalue[encrypt]'",
        name="cryptography",
    ) from exc

__all__ = ["EncryptedSerializer"]

_FORMAT = 2
_NONCE_SIZE = 12
_TAG_SIZE = 16
_SEALED_START = HEADER_SIZE + _NONCE_SIZE


class EncryptedSerializer(TokenSerializer):
    """Like :class:`~anemo.signedvalue.Serializer`, but the token's content is secret too."""

    __slots__ = ("_ciphers", "_clock", "salt")

    def __init__(
        self,
        secret_keys: SecretKeys,
        *,
        salt: str | bytes = "anemo.signedvalue.EncryptedSerializer",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.salt = salt
        self._ciphers = tuple(AESGCM(key) for key in derive_keys(secret_keys, "encrypt", salt))
        self._clock = clock

    def dumps(self, obj: Any) -> str:
        """A token sealing ``obj`` (anything ``json.dumps`` accepts) and the time now."""
        header = pack_header(_FORMAT, self._clock())
        nonce = os.urandom(_NONCE_SIZE)
        sealed = self._ciphers[0].encrypt(nonce, dump_json(obj), header)
        return urlsafe_encode(header + nonce + sealed).decode("ascii")

    def loads(self, token: str | bytes, max_age: float | None = None) -> Any:
        """The object in ``token``; raises BadSignature, SignatureExpired or BadPayload."""
        check_max_age(max_age)
        raw = urlsafe_decode(token_bytes(token))
        if raw is None or len(raw) < _SEALED_START + _TAG_SIZE:
            raise BadSignature("malformed token")
        header, nonce, sealed = (
            raw[:HEADER_SIZE],
            raw[HEADER_SIZE : HEADER_SIZE + _NONCE_SIZE],
            raw[HEADER_SIZE + _NONCE_SIZE :],
        )
        for cipher in self._ciphers:
            try:
                payload = cipher.decrypt(nonce, sealed, header)
            except InvalidTag:
                continue
            break
        else:
            raise BadSignature("token does not authenticate")
        format_byte, sealed_at = unpack_header(header)
        if format_byte != _FORMAT:
            raise BadSignature(f"unknown token format {format_byte}")
        check_age(sealed_at, self._clock(), max_age)
        return load_json(payload)

"""HMAC with the key schedule done once per key.

``hmac.new`` pads and hashes the key on every call. RFC 2104 lets us hash the padded key once into
an inner and an outer state and, per message, only copy those states: about twice as fast for the
short messages signed values are.
"""

from __future__ import annotations

import hashlib

from ._cache import BuildingCache
from ._keys import as_bytes
from .errors import InvalidOption

__all__ = ["PreparedHMAC", "prepared_hmacs"]

_INNER_PAD = bytes(byte ^ 0x36 for byte in range(256))
_OUTER_PAD = bytes(byte ^ 0x5C for byte in range(256))


class PreparedHMAC:
    """HMAC over one fixed key and hash algorithm, computed from precomputed pad states."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes, algorithm: str) -> None:
        block_size = hashlib.new(algorithm).block_size
        if len(key) > block_size:
            key = hashlib.new(algorithm, key).digest()
        key = key.ljust(block_size, b"\0")
        self._inner = hashlib.new(algorithm, key.translate(_INNER_PAD))
        self._outer = hashlib.new(algorithm, key.translate(_OUTER_PAD))

    def mac(self, message: bytes) -> hashlib._Hash:
        """The finished HMAC of ``message``: call ``digest()`` or ``hexdigest()`` on it."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer


def prepared_hmacs(algorithm: str) -> BuildingCache[str | bytes, PreparedHMAC]:
    """Prepared HMACs by secret as given (``str`` is UTF-8 encoded): ``cache[secret].mac(...)``.

    Looking up an empty secret raises InvalidOption. At most 128 secrets are kept.
    """

    def prepare(secret: str | bytes) -> PreparedHMAC:
        key = as_bytes(secret, "secret")
        if not key:
            raise InvalidOption("the secret must not be empty")
        return PreparedHMAC(key, algorithm)

    return BuildingCache(prepare, maxsize=128)

"""Turning keys and node names into integers.

Keys are ``str`` (hashed as their UTF-8 bytes) or bytes-like (hashed as they are). The default
hash is MD5, which needs nothing beyond the standard library and places points evenly; it is used
for its spread, not for security, and says so (``usedforsecurity=False``), since OpenSSL in FIPS
mode refuses MD5 otherwise. ``"xxh3"`` (extra ``[xxhash]``) is faster.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from struct import Struct, unpack
from typing import Literal, TypeAlias

from .errors import InvalidKeyError, InvalidOptionError

try:  # CPython's built-in MD5 skips OpenSSL's per-call setup: same digests, about twice as fast.
    from _md5 import md5  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - interpreters built without it
    from hashlib import md5

__all__ = ["HashFunction", "HashName", "key_bytes", "ketama_hash", "ketama_points", "md5_64", "resolve_hash"]

HashFunction: TypeAlias = Callable[[bytes], int]
HashName: TypeAlias = Literal["md5", "xxh3"]

_U32 = Struct("<I")
_U64 = Struct("<Q")


def key_bytes(key: object) -> bytes:
    """The bytes a key is hashed as, or :class:`InvalidKeyError`."""
    if isinstance(key, str):
        try:
            return key.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidKeyError(key, f"not encodable as UTF-8 ({error.reason})") from None
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise InvalidKeyError(key, "keys are str or bytes")


def md5_64(data: bytes) -> int:
    """The first 8 bytes of the MD5 digest, little-endian: the default native hash."""
    return _U64.unpack_from(md5(data, usedforsecurity=False).digest())[0]  # type: ignore[no-any-return]


def ketama_hash(data: bytes) -> int:
    """libketama's key hash: the first 4 bytes of the MD5 digest, little-endian."""
    return _U32.unpack_from(md5(data, usedforsecurity=False).digest())[0]  # type: ignore[no-any-return]


def ketama_points(name: str, start: int, stop: int) -> list[int]:
    """libketama's points for digests ``start..stop-1`` of a node: 4 per MD5 of ``"{name}-{i}"``."""
    digests = b"".join(
        md5(f"{name}-{index}".encode(), usedforsecurity=False).digest() for index in range(start, stop)
    )
    return list(unpack(f"<{len(digests) // 4}I", digests))


def resolve_hash(hash: HashName | HashFunction) -> HashFunction:
    """The function behind a hash name (or the callable itself)."""
    if callable(hash):
        return hash
    if hash == "md5":
        return md5_64
    if hash == "xxh3":
        try:
            xxhash = importlib.import_module("xxhash")
        except ImportError:
            raise InvalidOptionError(
                "hash", "'xxh3' needs xxhash: pip install 'anemo-hashring[xxhash]'"
            ) from None
        function: HashFunction = xxhash.xxh3_64_intdigest
        return function
    raise InvalidOptionError("hash", f"expected 'md5', 'xxh3' or a callable, got {hash!r}")

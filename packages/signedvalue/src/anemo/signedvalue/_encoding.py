"""Compact token encoding: unpadded URL-safe base64, decoded strictly, and the timestamp header.

Decoding accepts only the one canonical spelling of each byte string. Python's base64 decoder
ignores the unused low bits of the last character (and, unless strict, skips foreign characters),
so without the checks several different tokens would carry the same signed bytes.
"""

from __future__ import annotations

import binascii

from .errors import InvalidOption

__all__ = ["urlsafe_encode", "urlsafe_decode", "pack_header", "unpack_header", "HEADER_SIZE"]

_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
# "+", "/" and "=" are not URL-safe digits: they become "*", which the strict decoder refuses.
_FROM_URLSAFE = bytes.maketrans(b"-_+/=", b"+/***")
# By length mod 4: the padding to restore, and the last characters whose unused low bits are zero
# (none for 1: no byte string encodes to that length).
_PADDING = (b"", b"", b"==", b"=")
_CANONICAL_LAST = (b"", b"", b"AQgw", b"AEIMQUYcgkosw048")

#: One format byte, then the signing time in whole seconds since the epoch (40 bits: until 36812).
HEADER_SIZE = 6
_TIMESTAMP_BITS = 40
_TIMESTAMP_MASK = (1 << _TIMESTAMP_BITS) - 1


def urlsafe_encode(raw: bytes) -> bytes:
    """``raw`` as unpadded URL-safe base64."""
    return binascii.b2a_base64(raw, newline=False).translate(_TO_URLSAFE).rstrip(b"=")


def urlsafe_decode(token: bytes) -> bytes | None:
    """The bytes whose canonical unpadded URL-safe base64 is ``token``, or None."""
    tail = len(token) % 4
    if tail and token[-1] not in _CANONICAL_LAST[tail]:
        return None
    try:
        return binascii.a2b_base64(token.translate(_FROM_URLSAFE) + _PADDING[tail], strict_mode=True)
    except binascii.Error:
        return None


def pack_header(format_byte: int, timestamp: float) -> bytes:
    """The header: ``format_byte`` and ``timestamp`` truncated to whole seconds."""
    seconds = int(timestamp)
    if not 0 <= seconds <= _TIMESTAMP_MASK:
        raise InvalidOption(f"timestamp {timestamp!r} is outside the representable range")
    return ((format_byte << _TIMESTAMP_BITS) | seconds).to_bytes(HEADER_SIZE, "big")


def unpack_header(raw: bytes) -> tuple[int, int]:
    """The format byte and the timestamp at the start of ``raw`` (at least HEADER_SIZE bytes)."""
    header = int.from_bytes(raw[:HEADER_SIZE], "big")
    return header >> _TIMESTAMP_BITS, header & _TIMESTAMP_MASK

"""Tornado's signed-value format, versions 1 and 2, byte for byte, with its sharp edges fixed.

Version 2 (the default) is ``2|len:key_version|len:timestamp|len:name|len:base64(value)|`` followed
by the hex HMAC-SHA256 of everything before it. Version 1 is ``base64(value)|timestamp|`` and the
hex HMAC-SHA1 of name, base64 value and timestamp run together. Decoding returns ``None`` for
anything that is not a genuine, current value; it never raises on the value itself.

Fixed, compatibly (each side reads what the other writes):

- field lengths are counted in bytes, so non-ASCII names round-trip (Tornado counts characters and
  then cannot read its own values);
- lengths, timestamps and key versions must be plain decimal (no ``+``, ``_``, spaces, leading
  zeros);
- a value dated more than 31 days ahead is refused in version 2 too, not only in version 1;
- a dict of secrets with a version-1 or malformed value gives ``None`` instead of an assertion;
- empty secrets, negative timestamps and negative key versions are refused when signing.
"""

from __future__ import annotations

import binascii
import logging
import re
from binascii import a2b_base64, b2a_base64
from collections.abc import Callable, Mapping
from hmac import compare_digest
from time import time as _wall_clock
from typing import NamedTuple, TypeAlias

from ._cache import BuildingCache
from ._hmac import prepared_hmacs
from ._keys import as_bytes
from .errors import InvalidOption

__all__ = [
    "TornadoSecret",
    "create_signed_value",
    "decode_signed_value",
    "get_signature_key_version",
    "DEFAULT_SIGNED_VALUE_VERSION",
    "DEFAULT_SIGNED_VALUE_MIN_VERSION",
]

#: A secret, or Tornado-style key versioning: ``{key_version: secret}``.
TornadoSecret: TypeAlias = str | bytes | Mapping[int, str | bytes]

DEFAULT_SIGNED_VALUE_VERSION = 2
DEFAULT_SIGNED_VALUE_MIN_VERSION = 1

_DAY = 86400
_FUTURE_LIMIT = 31 * _DAY

# Plain decimal: ASCII digits, no sign, no leading zero, at most 20 of them.
_DECIMAL = rb"(0|[1-9][0-9]{0,19})"
_BASE64 = rb"([A-Za-z0-9+/]*={0,2})"
# A plain decimal field "len:digits|" (before its "|") whose length is checked by the match itself:
# one branch per length asserts that many digits ahead, so no int() of the length is needed.
_SIZED_DECIMAL = rb"(?:1:(?=[0-9]\|)|%b)([0-9]+)" % b"|".join(
    rb"%d:(?=[1-9][0-9]{%d}\|)" % (size, size - 1) for size in range(2, 21)
)

log = logging.getLogger("anemo.signedvalue")

_SHA256 = prepared_hmacs("sha256")
_SHA1 = prepared_hmacs("sha1")


def create_signed_value(  # noqa: PLR0917 (Tornado's signature, positional and all)
    secret: TornadoSecret,
    name: str | bytes,
    value: str | bytes,
    version: int | None = None,
    clock: Callable[[], float] | None = None,
    key_version: int | None = None,
) -> bytes:
    """Sign and timestamp ``value`` under ``name``, exactly as ``tornado.web.create_signed_value``.

    With a dict of secrets, ``key_version`` picks the one that signs (version 2 only).
    """
    timestamp = int(clock() if clock is not None else _wall_clock())
    if timestamp < 0:
        raise InvalidOption(f"cannot sign with a negative timestamp ({timestamp})")
    value64 = b2a_base64(value if value.__class__ is bytes else as_bytes(value, "value"), newline=False)
    if version is None or version == 2:
        if secret.__class__ is not str and not isinstance(secret, (str, bytes)):
            secret = _versioned_secret(secret, key_version)
        if 1_000_000_000 <= timestamp < 10_000_000_000:  # ten digits: every date from 2001 to 2286
            stamp_field = b"10:%d" % timestamp
        else:
            stamp = b"%d" % timestamp
            stamp_field = b"%d:%b" % (len(stamp), stamp)
        to_sign = b"%b%b|%b|%d:%b|" % (
            _v2_start(key_version) if key_version else _V2_START,
            stamp_field,
            _V2_NAMES[name].field,
            len(value64),
            value64,
        )
        return to_sign + _SHA256[secret].mac(to_sign).hexdigest().encode("ascii")
    if version == 1:
        if not isinstance(secret, (str, bytes)):
            raise InvalidOption("version 1 signed values do not support a dict of secrets (key versions)")
        stamp = b"%d" % timestamp
        signed = as_bytes(name, "name") + value64 + stamp
        signature = _SHA1[secret].mac(signed).hexdigest()
        return b"%b|%b|%b" % (value64, stamp, signature.encode("ascii"))
    raise InvalidOption(f"Unsupported version {version!r}")


def decode_signed_value(  # noqa: PLR0917 (Tornado's signature, positional and all)
    secret: TornadoSecret,
    name: str | bytes,
    value: str | bytes | None,
    max_age_days: float = 31,
    clock: Callable[[], float] | None = None,
    min_version: int | None = None,
) -> bytes | None:
    """The value signed under ``name``, or ``None`` if it is not genuine, too old or too new.

    Reads Tornado's versions 1 and 2 (``min_version`` 2 refuses version 1). Never raises because of
    ``value``, whatever it holds.
    """
    if min_version is not None and min_version > 2:
        raise InvalidOption(f"Unsupported min_version {min_version!r}")
    raw = value if value.__class__ is bytes else _value_bytes(value)
    if raw is None:
        return None
    names = _V2_NAMES[name]
    layout = names.usual.match(raw) or names.layout.match(raw)
    if layout is not None:
        key_version, stamp, value_length, value64 = layout.groups()
        if int(value_length) != len(value64):
            return None
        if secret.__class__ is not str and not isinstance(secret, (str, bytes)):
            secret = secret.get(int(key_version), b"")
        if not secret:
            return None
        signature_start = layout.end()
        expected = _SHA256[secret].mac(raw[:signature_start]).hexdigest()
        if not compare_digest(raw[signature_start:], expected.encode("ascii")):
            return None
        version = 2
    elif (min_version or DEFAULT_SIGNED_VALUE_MIN_VERSION) > 1 or _version_of(raw) != 1:
        return None
    else:
        verified = _verify_v1(secret, as_bytes(name, "name"), raw)
        if verified is None:
            return None
        value64, stamp = verified
        version = 1
    timestamp = int(stamp)
    now = clock() if clock is not None else _wall_clock()
    if timestamp < now - max_age_days * _DAY:
        return None
    if timestamp > now + _FUTURE_LIMIT:
        # In version 1 the signature runs value and timestamp together, so trailing base64 digits
        # can be moved into the timestamp: a far-future date is the mark of that forgery.
        log.warning("Cookie timestamp in future; possible tampering (signed value version %d)", version)
        return None
    try:
        return a2b_base64(value64)
    except binascii.Error:
        return None


def get_signature_key_version(value: str | bytes) -> int | None:
    """The key version a version-2 signed value claims (unverified), or ``None`` if malformed."""
    raw = _value_bytes(value)
    if not raw or _version_of(raw) < 2:
        return None
    # Like Tornado, any version from 2 up is read as version 2 here.
    head = _V2_HEAD.match(raw, 2)
    if head is None:
        return None
    key_version, _, name_length = head.groups()
    name_end = head.end() + int(name_length)
    if name_end > len(raw):  # also keeps a 20-digit length from overflowing match()'s position
        return None
    tail = _V2_TAIL.match(raw, name_end)
    if tail is None:
        return None
    value_length, value64 = tail.groups()
    return int(key_version) if int(value_length) == len(value64) else None


def _versioned_secret(secrets: Mapping[int, str | bytes], key_version: int | None) -> str | bytes:
    """The secret a dict of secrets holds for ``key_version``, which must be given and present."""
    if key_version is None:
        raise InvalidOption("key_version is required with a dict of secrets")
    if key_version not in secrets:
        raise InvalidOption(f"no secret for key_version {key_version!r}")
    return secrets[key_version]


def _value_bytes(value: object) -> bytes | None:
    """``value`` as bytes, or None if it cannot be a signed value at all."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return None


def _version_of(raw: bytes) -> int:
    """The format version: a 1-3 digit number before the first ``|``, else 1 (base64 never has |)."""
    bar = raw.find(b"|", 0, 4)
    if bar < 1:
        return 1
    digits = raw[:bar]
    if not digits.isdigit() or digits[0] == 0x30:
        return 1
    return int(digits)


# Version 2 after its "2|": key version and timestamp with their lengths, then the name's length.
_V2_HEAD = re.compile(rb"%b\|%b\|%b:" % (_SIZED_DECIMAL, _SIZED_DECIMAL, _DECIMAL))
# Version 2 after the name: "|", the base64 value with its length, "|", then the signature.
_V2_TAIL = re.compile(rb"\|%b:%b\|" % (_DECIMAL, _BASE64))


def _v2_start(key_version: int) -> bytes:
    """The start of a version-2 value up to its timestamp: ``2|len:key_version|``."""
    if key_version.__class__ is not int or key_version < 0:
        raise InvalidOption(f"key_version must be a non-negative int, not {key_version!r}")
    digits = b"%d" % key_version
    return b"2|%d:%b|" % (len(digits), digits)


_V2_START = _v2_start(0)


class _V2Name(NamedTuple):
    """A name's version-2 field (``len:name``), and the layouts of values under that name."""

    field: bytes
    #: Any version-2 value.
    layout: re.Pattern[bytes]
    #: The same for a one-digit key version and a ten-digit timestamp: nearly every value, matched
    #: in three quarters of the time (no per-length branches to try).
    usual: re.Pattern[bytes]


def _v2_name(name: str | bytes) -> _V2Name:
    """The field and layouts of ``name``, compiled once per name.

    With the name fixed, decoding is a single match: an appended pattern per name is cheaper than
    walking the fields by their lengths.
    """
    name = as_bytes(name, "name")
    field = b"%d:%b" % (len(name), name)
    tail = re.escape(field) + _V2_TAIL.pattern
    head = rb"2\|%b\|%b\|" % (_SIZED_DECIMAL, _SIZED_DECIMAL)
    return _V2Name(field, re.compile(head + tail), re.compile(rb"2\|1:([0-9])\|10:([1-9][0-9]{9})\|" + tail))


_V2_NAMES = BuildingCache(_v2_name, maxsize=256)


def _verify_v1(secret: TornadoSecret, name: bytes, raw: bytes) -> tuple[bytes, bytes] | None:
    """The base64 value and plain decimal timestamp of a genuine version-1 value, or None."""
    parts = raw.split(b"|")
    if len(parts) != 3 or not isinstance(secret, (str, bytes)) or not secret:
        return None
    value64, stamp, signature = parts
    expected = _SHA1[secret].mac(name + value64 + stamp).hexdigest()
    if not compare_digest(signature, expected.encode("ascii")):
        return None
    if _PLAIN_DECIMAL.fullmatch(stamp) is None:
        return None
    return value64, stamp


_PLAIN_DECIMAL = re.compile(_DECIMAL)

"""anemo.signedvalue against tornado.web's signed values and itsdangerous.

Each case signs and then verifies one 32-byte value, as a request that sets a cookie and the next
one that reads it would. The floor is two HMAC-SHA256 computations over a message of the same
size, with the key prepared in advance and nothing to parse: no implementation can do less work.
"""

from __future__ import annotations

import hashlib
import hmac

from harness import Suite, Thunk

from anemo.signedvalue import Serializer, Signer, create_signed_value, decode_signed_value

SECRET = "a long random secret for the benchmark, 48 chars"
NAME = "session"
VALUE = b"0123456789abcdef0123456789abcdef"
TEXT = VALUE.decode("ascii")
FLOOR = "floor: 2x HMAC-SHA256, key prepared"


def _hmac_floor(message_size: int) -> Thunk:
    """Two HMAC-SHA256 hex digests over ``message_size`` bytes: sign once, verify once.

    The key's inner and outer pad states are hashed once, outside the timing, and each HMAC copies
    them (RFC 2104 allows it): the least work any implementation can do, with no parsing at all.
    """
    key = SECRET.encode().ljust(64, b"\0")
    inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
    outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
    message = b"m" * message_size

    def mac() -> str:
        digest = inner.copy()
        digest.update(message)
        result = outer.copy()
        result.update(digest.digest())
        return result.hexdigest()

    def floor() -> object:
        return hmac.compare_digest(mac(), mac())

    return floor


def _tornado_pair() -> Thunk | None:
    try:
        import tornado.web
    except ImportError:
        return None

    def tornado_v2() -> object:
        signed = tornado.web.create_signed_value(SECRET, NAME, VALUE)
        return tornado.web.decode_signed_value(SECRET, NAME, signed)

    return tornado_v2


def _itsdangerous_serializer() -> Thunk | None:
    try:
        from itsdangerous import URLSafeTimedSerializer
    except ImportError:
        return None
    serializer = URLSafeTimedSerializer(SECRET, salt="bench")

    def itsdangerous_serializer() -> object:
        return serializer.loads(serializer.dumps(TEXT), max_age=3600)

    return itsdangerous_serializer


def _itsdangerous_signer() -> Thunk | None:
    try:
        from itsdangerous import TimestampSigner
    except ImportError:
        return None
    signer = TimestampSigner(SECRET, salt="bench")

    def itsdangerous_signer() -> object:
        return signer.unsign(signer.sign(VALUE), max_age=3600)

    return itsdangerous_signer


def suite() -> Suite:
    """The signed-value cases: the Tornado-compatible path, Serializer and Signer."""
    bench = Suite("signedvalue: sign then verify a 32-byte value")

    def ours_v2() -> object:
        return decode_signed_value(SECRET, NAME, create_signed_value(SECRET, NAME, VALUE))

    # The floor MACs a message as long as the signed part of a v2 value (the longest of the three).
    floor = _hmac_floor(len(create_signed_value(SECRET, NAME, VALUE)) - 64)
    bench.case(
        "tornado v2 format: create + decode",
        ours_v2,
        {"tornado.web": _tornado_pair(), FLOOR: floor},
    )

    serializer = Serializer(SECRET, salt="bench")

    def ours_serializer() -> object:
        return serializer.loads(serializer.dumps(TEXT), max_age=3600)

    bench.case(
        "Serializer: dumps + loads(max_age)",
        ours_serializer,
        {
            "itsdangerous URLSafeTimedSerializer": _itsdangerous_serializer(),
            FLOOR: _hmac_floor(42),
        },
    )

    signer = Signer(SECRET, salt="bench")

    def ours_signer() -> object:
        return signer.unsign(signer.sign(VALUE), max_age=3600)

    bench.case(
        "Signer: sign + unsign(max_age)",
        ours_signer,
        {"itsdangerous TimestampSigner": _itsdangerous_signer(), FLOOR: floor},
    )
    return bench

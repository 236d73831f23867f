"""The Tornado-compatible functions: known answers, strictness, hostile input, creation errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue import create_signed_value, decode_signed_value, get_signature_key_version

SECRET = "It's a secret to everybody"
KEYS = {0: "asdfbasdf", 1: "12312312", 2: "2342342"}
PRESENT = 1_300_000_000
DAY = 86400


def at(timestamp: float) -> Callable[[], float]:
    """A clock stopped at ``timestamp``."""
    return lambda: timestamp


def v2(secret: str, prefix: bytes) -> bytes:
    """A version-2 value with a genuine signature over any prefix, however malformed."""
    return prefix + hmac.new(secret.encode(), prefix, hashlib.sha256).hexdigest().encode()


# Published in Tornado's own test-suite (tornado/test/web_test.py, SignedValueTest).
KNOWN_V1 = b"dmFsdWU=|1300000000|31c934969f53e48164c50768b40cbd7e2daaaa4f"
KNOWN_V2 = (
    b"2|1:0|10:1300000000|3:key|8:dmFsdWU=|3d4e60b996ff9c5d5788e333a0cba6f238a22c6c0f94788870e1a9ecd482e152"
)


def test_known_answers() -> None:
    """Versions 1 and 2 match Tornado's published values, and version 2 is the default."""
    assert create_signed_value(SECRET, "key", "value", version=1, clock=at(PRESENT)) == KNOWN_V1
    assert create_signed_value(SECRET, "key", "value", version=2, clock=at(PRESENT)) == KNOWN_V2
    assert create_signed_value(SECRET, "key", b"value", clock=at(PRESENT)) == KNOWN_V2
    assert decode_signed_value(SECRET, "key", KNOWN_V1, clock=at(PRESENT)) == b"value"
    assert decode_signed_value(SECRET, "key", KNOWN_V2.decode(), clock=at(PRESENT)) == b"value"


def test_known_answer_with_key_version() -> None:
    """A key version is written into the value and picks the secret that signs."""
    signed = create_signed_value(KEYS, "key", b"\xe9", clock=at(PRESENT), key_version=1)
    prefix = b"2|1:1|10:1300000000|3:key|4:6Q==|"
    assert signed == v2(KEYS[1], prefix)
    assert get_signature_key_version(signed) == 1
    assert decode_signed_value(KEYS, "key", signed, clock=at(PRESENT)) == b"\xe9"
    assert decode_signed_value({0: KEYS[0]}, "key", signed, clock=at(PRESENT)) is None


def test_min_version() -> None:
    """min_version 2 refuses version 1; above 2 is a caller error, as in Tornado."""
    assert decode_signed_value(SECRET, "key", KNOWN_V1, clock=at(PRESENT), min_version=2) is None
    assert decode_signed_value(SECRET, "key", KNOWN_V2, clock=at(PRESENT), min_version=2) == b"value"
    with pytest.raises(ValueError, match="min_version"):
        decode_signed_value(SECRET, "key", KNOWN_V2, min_version=3)


@pytest.mark.parametrize("version", [1, 2])
def test_max_age_days(version: int) -> None:
    """A value is good for max_age_days, then refused."""
    signed = create_signed_value(SECRET, "k", "v", version=version, clock=at(PRESENT))
    assert decode_signed_value(SECRET, "k", signed, clock=at(PRESENT + 31 * DAY)) == b"v"
    assert decode_signed_value(SECRET, "k", signed, clock=at(PRESENT + 31 * DAY + 1)) is None
    assert decode_signed_value(SECRET, "k", signed, max_age_days=1, clock=at(PRESENT + 2 * DAY)) is None


@pytest.mark.parametrize("version", [1, 2])
def test_far_future_is_refused(version: int) -> None:
    """A value dated more than 31 days ahead is refused in both versions."""
    signed = create_signed_value(SECRET, "k", "v", version=version, clock=at(PRESENT + 31 * DAY))
    assert decode_signed_value(SECRET, "k", signed, clock=at(PRESENT)) == b"v"
    later = create_signed_value(SECRET, "k", "v", version=version, clock=at(PRESENT + 31 * DAY + 1))
    assert decode_signed_value(SECRET, "k", later, clock=at(PRESENT)) is None


def test_v1_digit_shifting_is_refused_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Moving payload digits into the unseparated v1 timestamp keeps the MAC but is caught and logged."""
    signed = create_signed_value(SECRET, "foo", bytes.fromhex("d76df8e7aefc"), version=1, clock=at(PRESENT))
    value64, stamp, signature = signed.split(b"|")
    assert value64 == b"12345678"
    forged = b"1234|5678" + stamp + b"|" + signature
    with caplog.at_level(logging.WARNING, logger="anemo.signedvalue"):
        assert decode_signed_value(SECRET, "foo", forged, clock=at(PRESENT)) is None
    assert "Cookie timestamp in future" in caplog.text


@given(name=st.text(min_size=1, max_size=20), value=st.binary(max_size=100))
def test_any_name_round_trips(name: str, value: bytes) -> None:
    """Non-ASCII names (and names holding | or :) round-trip: lengths count bytes."""
    for version in (1, 2):
        signed = create_signed_value(SECRET, name, value, version=version, clock=at(PRESENT))
        assert decode_signed_value(SECRET, name, signed, clock=at(PRESENT)) == value
        assert decode_signed_value(SECRET, name + "x", signed, clock=at(PRESENT)) is None


def test_non_ascii_name_counts_bytes() -> None:
    """The name's length field is its UTF-8 length."""
    signed = create_signed_value(SECRET, "clé", "v", clock=at(PRESENT))
    assert b"|4:cl\xc3\xa9|" in signed


@pytest.mark.parametrize(
    "prefix",
    [
        b"2|+1:0|10:1300000000|3:key|8:dmFsdWU=|",
        b"2|01:0|10:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|10:1300000000|03:key|8:dmFsdWU=|",
        b"2|1:0|10:1300000000|3:key| 8:dmFsdWU=|",
        b"2|1:0|10:1300000000|3:key|8 :dmFsdWU=|",
        b"2|1:0|1_0:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|11:+1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|11:01300000000|3:key|8:dmFsdWU=|",
        b"2|2:+0|10:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|10:1300000000|\xd9\xa3:key|8:dmFsdWU=|",
        b"2|1:0|1:a|3:key|8:dmFsdWU=|",
        b"2|1:0|10:1300000000|3:key|9:dmFsdWU=|",
        b"2|1:0|10:1300000000|3:key|8:dmFsdWU=",
        b"2|2:0|10:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:00|10:1300000000|3:key|8:dmFsdWU=|",
        b"2|2:00|10:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|9:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|11:1300000000|3:key|8:dmFsdWU=|",
        b"2|1:0|21:100000000000000000000|3:key|8:dmFsdWU=|",
    ],
)
def test_lengths_and_numbers_must_be_plain_decimal(prefix: bytes) -> None:
    """Even under a genuine signature, anything but plain decimal lengths and numbers is refused."""
    assert decode_signed_value(SECRET, "key", v2(SECRET, prefix), clock=at(PRESENT)) is None


def test_genuine_control_for_the_strictness_cases() -> None:
    """The well-formed prefix those cases vary does decode, so each case fails for its own flaw."""
    prefix = b"2|1:0|10:1300000000|3:key|8:dmFsdWU=|"
    assert decode_signed_value(SECRET, "key", v2(SECRET, prefix), clock=at(PRESENT)) == b"value"


@given(
    key_version=st.integers(0, 10**19),
    timestamp=st.integers(0, PRESENT),
    field=st.sampled_from([0, 1]),
    delta=st.integers(-3, 3).filter(bool),
)
def test_wrong_length_fields_are_refused(key_version: int, timestamp: int, field: int, delta: int) -> None:
    """A key version or timestamp whose length field is off by any amount is refused, genuine MAC or not."""
    numbers = [b"%d" % key_version, b"%d" % timestamp]
    lengths = [len(number) for number in numbers]
    lengths[field] += delta
    prefix = b"2|%d:%b|%d:%b|3:key|8:dmFsdWU=|" % (lengths[0], numbers[0], lengths[1], numbers[1])
    assert decode_signed_value({key_version: SECRET}, "key", v2(SECRET, prefix), clock=at(PRESENT)) is None
    assert get_signature_key_version(v2(SECRET, prefix)) is None
    lengths[field] -= delta
    genuine = b"2|%d:%b|%d:%b|3:key|8:dmFsdWU=|" % (lengths[0], numbers[0], lengths[1], numbers[1])
    forever = 100_000  # days: every timestamp drawn is still current
    decoded = decode_signed_value({key_version: SECRET}, "key", v2(SECRET, genuine), forever, at(PRESENT))
    assert decoded == b"value"
    assert get_signature_key_version(v2(SECRET, genuine)) == key_version


def test_v1_timestamp_must_be_plain_decimal() -> None:
    """A version-1 value with a genuine MAC over a signed or zero-padded timestamp is refused."""
    for stamp in (b"+1300000000", b"01300000000", b"1300000000 ", b"not-a-number"):
        mac = hmac.new(SECRET.encode(), b"key" + b"dmFsdWU=" + stamp, hashlib.sha1).hexdigest()
        forged = b"dmFsdWU=|" + stamp + b"|" + mac.encode()
        assert decode_signed_value(SECRET, "key", forged, clock=at(PRESENT)) is None


def test_dict_of_secrets_never_asserts() -> None:
    """A dict of secrets with a version-1 or malformed value gives None (Tornado asserts)."""
    assert decode_signed_value(KEYS, "key", KNOWN_V1, clock=at(PRESENT)) is None
    assert decode_signed_value(KEYS, "key", "garbage", clock=at(PRESENT)) is None
    assert decode_signed_value(KEYS, "key", "2|1:9|10:1300000000|3:key|0:|" + "0" * 64) is None


hostile = st.one_of(
    st.none(),
    st.binary(max_size=300),
    st.text(max_size=300),
    st.integers(),
    st.builds("|".join, st.lists(st.text(alphabet="0123456789:|2+-a=", max_size=12))),
)


@given(value=hostile, min_version=st.sampled_from([None, 1, 2]))
def test_hostile_input_never_raises_or_validates(value: object, min_version: int | None) -> None:
    """Random input of any type gives None with a plain or versioned secret."""
    for secret in (SECRET, KEYS):
        assert decode_signed_value(secret, "key", value, min_version=min_version) is None  # type: ignore[arg-type]
    key_version = get_signature_key_version(value)  # type: ignore[arg-type]
    assert key_version is None or (isinstance(value, str | bytes) and key_version >= 0)


@pytest.mark.parametrize(
    "value",
    [
        b"A" * 1_000_000,
        b"2|1:0|10:1300000000|3:key|99999999:" + b"A" * 1_000_000,
        b"2|" + b"9" * 5000 + b":0|",
        "2|1:0|10:1300000000|3:key|8:" + "=" * 1_000_000,
        b"|" * 1_000_000,
        b"2|1:0|10:1300000000|99999999999999999999:key|8:dmFsdWU=|",
    ],
)
def test_huge_garbage_is_refused(value: bytes) -> None:
    """Megabyte-sized garbage, long digit runs included, is refused without error."""
    assert decode_signed_value(SECRET, "key", value) is None
    assert get_signature_key_version(value) is None


@pytest.mark.parametrize("value", [bytearray(KNOWN_V2), memoryview(KNOWN_V2), "2|\udc80", 2, 2.5, [KNOWN_V2]])
def test_odd_types_give_none(value: object) -> None:
    """Values Tornado would crash on (wrong types, unencodable str) give None, not an exception."""
    assert decode_signed_value(SECRET, "key", value, clock=at(PRESENT)) is None  # type: ignore[arg-type]
    assert get_signature_key_version(value) is None  # type: ignore[arg-type]


def test_empty_secret_never_verifies() -> None:
    """Decoding with an empty secret gives None rather than trusting an unkeyed MAC."""
    prefix = b"2|1:0|10:1300000000|3:key|8:dmFsdWU=|"
    forged = prefix + hmac.new(b"", prefix, hashlib.sha256).hexdigest().encode()
    assert decode_signed_value("", "key", forged, clock=at(PRESENT)) is None
    assert decode_signed_value({0: ""}, "key", forged, clock=at(PRESENT)) is None


@given(value=st.binary(max_size=40), version=st.sampled_from([1, 2]), data=st.data())
def test_mutated_values_never_validate(value: bytes, version: int, data: st.DataObject) -> None:
    """Replacing, inserting or deleting any one character of a genuine value makes it invalid."""
    signed = create_signed_value(SECRET, "key", value, version=version, clock=at(PRESENT)).decode()
    position = data.draw(st.integers(0, len(signed) - 1))
    replacement = data.draw(
        st.sampled_from(string.ascii_letters + string.digits + "|:+/= ").filter(
            lambda c: c != signed[position]
        )
    )
    mutation = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    if mutation == "replace":
        mutated = signed[:position] + replacement + signed[position + 1 :]
    elif mutation == "insert":
        mutated = signed[:position] + replacement + signed[position:]
    else:
        mutated = signed[:position] + signed[position + 1 :]
    assert decode_signed_value(SECRET, "key", mutated, clock=at(PRESENT)) is None


def test_huge_value_round_trips() -> None:
    """A 45 kB payload (a cookie header's worth) signs and decodes."""
    payload = b"x" * 45_000
    for version in (1, 2):
        signed = create_signed_value(SECRET, "key", payload, version=version, clock=at(PRESENT))
        assert decode_signed_value(SECRET, "key", signed, clock=at(PRESENT)) == payload


def test_get_signature_key_version() -> None:
    """The claimed key version of version-2 values; None for version 1 and malformed values."""
    assert get_signature_key_version(create_signed_value(KEYS, "k", "v", key_version=2)) == 2
    assert get_signature_key_version(create_signed_value(SECRET, "k", "v")) == 0
    assert get_signature_key_version(KNOWN_V1) is None
    assert get_signature_key_version(KNOWN_V2[:20]) is None
    assert get_signature_key_version(b"2|+1:0|10:1300000000|3:key|8:dmFsdWU=|sig") is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"secret": ""}, "empty"),
        ({"secret": KEYS, "version": 1, "key_version": 0}, "dict of secrets"),
        ({"secret": KEYS}, "key_version is required"),
        ({"secret": KEYS, "key_version": 7}, "no secret for key_version 7"),
        ({"key_version": -1}, "non-negative"),
        ({"clock": at(-5)}, "negative timestamp"),
        ({"version": 3}, "Unsupported version"),
    ],
)
def test_create_refuses_clearly(kwargs: dict[str, object], message: str) -> None:
    """Bad arguments at creation time raise ValueError saying what is wrong."""
    arguments: dict[str, object] = {"secret": SECRET, "name": "k", "value": "v", **kwargs}
    with pytest.raises(ValueError, match=message):
        create_signed_value(**arguments)  # type: ignore[arg-type]


def test_base64_value_field_is_tornados() -> None:
    """The value is standard base64, as Tornado writes it."""
    value = bytes(range(256))
    signed = create_signed_value(SECRET, "k", value, clock=at(PRESENT))
    assert b"|%d:%b|" % (len(base64.b64encode(value)), base64.b64encode(value)) in signed

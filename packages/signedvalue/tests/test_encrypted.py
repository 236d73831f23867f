"""EncryptedSerializer: confidentiality, authenticity, rotation and expiry."""

from __future__ import annotations

import hashlib
import hmac
import string
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue import BadPayload, BadSignature, Serializer, SignatureExpired
from anemo.signedvalue._encoding import urlsafe_decode, urlsafe_encode
from anemo.signedvalue.encrypted import EncryptedSerializer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=15,
)


@given(obj=json_values)
def test_round_trip(obj: Any) -> None:
    """Any JSON value comes back equal."""
    sealer = EncryptedSerializer("secret")
    assert sealer.loads(sealer.dumps(obj)) == obj


def test_content_is_hidden() -> None:
    """Neither the text nor its base64 appears in the token, and two tokens of one value differ."""
    sealer = EncryptedSerializer("secret")
    first, second = sealer.dumps("attack at dawn"), sealer.dumps("attack at dawn")
    assert first != second
    raw = urlsafe_decode(first.encode())
    assert raw is not None
    assert b"attack" not in raw
    assert "attack" not in first
    assert sealer.loads(second) == "attack at dawn"


def test_format_is_the_documented_one() -> None:
    """AES-256-GCM keyed HMAC-SHA256(secret, "anemo.signedvalue/encrypt" NUL salt); the header is AAD."""
    raw = urlsafe_decode(EncryptedSerializer("secret", salt="cart").dumps({"items": [3]}).encode())
    assert raw is not None
    header, nonce, sealed = raw[:6], raw[6:18], raw[18:]
    key = hmac.digest(b"secret", b"anemo.signedvalue/encrypt\0cart", hashlib.sha256)
    assert header[0] == 2
    assert AESGCM(key).decrypt(nonce, sealed, header) == b'{"items":[3]}'
    with pytest.raises(InvalidTag):
        AESGCM(key).decrypt(nonce, sealed, b"\x02" + header[1:5] + bytes([header[5] ^ 1]))


def test_salt_and_purpose_bind() -> None:
    """Another salt cannot open a token, nor can a signing Serializer on the same secret and salt."""
    token = EncryptedSerializer("secret", salt="a").dumps(1)
    with pytest.raises(BadSignature):
        EncryptedSerializer("secret", salt="b").loads(token)
    with pytest.raises(BadSignature):
        Serializer("secret", salt="a").loads(token)
    with pytest.raises(BadSignature):
        EncryptedSerializer("secret", salt="a").loads(Serializer("secret", salt="a").dumps(1))


def test_rotation() -> None:
    """The first secret seals, all open; dropping a secret invalidates its tokens."""
    old = EncryptedSerializer("old").dumps({"u": 1})
    rotated = EncryptedSerializer(["new", "old"])
    assert rotated.loads(old) == {"u": 1}
    assert EncryptedSerializer("new").loads(rotated.dumps(2)) == 2
    assert EncryptedSerializer("new").loads_or_none(old) is None


def test_expiry_and_sealing_time(clock) -> None:
    """max_age works as for Serializer, and the sealing time is authenticated."""
    sealer = EncryptedSerializer("secret", clock=clock)
    token = sealer.dumps("v")
    clock.now += 30
    assert sealer.loads(token, max_age=30) == "v"
    clock.now += 1
    with pytest.raises(SignatureExpired):
        sealer.loads(token, max_age=30)
    raw = urlsafe_decode(token.encode())
    assert raw is not None
    redated = urlsafe_encode(raw[:5] + bytes([raw[5] ^ 1]) + raw[6:])
    with pytest.raises(BadSignature, match="authenticate"):
        sealer.loads(redated)


def test_bad_max_age_is_a_caller_error() -> None:
    """A negative max_age raises ValueError, as for Serializer."""
    with pytest.raises(ValueError, match="max_age"):
        EncryptedSerializer("secret").loads("x", max_age=-1)


def test_bad_payload() -> None:
    """A genuine token whose plaintext is not JSON raises BadPayload."""
    sealer = EncryptedSerializer("secret")
    cipher = sealer._ciphers[0]
    header = urlsafe_decode(sealer.dumps(0).encode())[:18]  # type: ignore[index]
    token = urlsafe_encode(header + cipher.encrypt(header[6:], b"{oops", header[:6]))
    with pytest.raises(BadPayload):
        sealer.loads(token)


@given(token=st.one_of(st.binary(max_size=120), st.text(max_size=120)))
def test_garbage_never_opens(token: str | bytes) -> None:
    """Arbitrary input raises BadSignature only; loads_or_none gives None."""
    sealer = EncryptedSerializer("secret")
    with pytest.raises(BadSignature):
        sealer.loads(token)
    assert sealer.loads_or_none(token) is None


@given(data=st.data())
def test_mutated_tokens_never_open(data: st.DataObject) -> None:
    """Any one-character change to a token makes it fail."""
    sealer = EncryptedSerializer("secret")
    token = sealer.dumps({"k": "v"})
    position = data.draw(st.integers(0, len(token) - 1))
    alphabet = string.ascii_letters + string.digits + "-_"
    # An offset, not a filter on the token: the token (random nonce) differs on every replay.
    offset = data.draw(st.integers(1, len(alphabet) - 1))
    replacement = alphabet[(alphabet.index(token[position]) + offset) % len(alphabet)]
    assert sealer.loads_or_none(token[:position] + replacement + token[position + 1 :]) is None

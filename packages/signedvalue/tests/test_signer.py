"""Signer: round trips, purpose binding, rotation, expiry, and hostile tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue import MAX_CLOCK_SKEW, BadSignature, SignatureExpired, Signer
from anemo.signedvalue._encoding import urlsafe_decode, urlsafe_encode

secrets_st = st.one_of(st.text(min_size=1, max_size=40), st.binary(min_size=1, max_size=80))
URLSAFE = re.compile(rb"[A-Za-z0-9_-]+")


@given(secret=secrets_st, salt=st.text(max_size=20), value=st.binary(max_size=300))
def test_round_trip(secret: str | bytes, salt: str, value: bytes) -> None:
    """Any value signed with any secret and salt comes back unchanged from a URL-safe token."""
    signer = Signer(secret, salt=salt)
    token = signer.sign(value)
    assert URLSAFE.fullmatch(token)
    assert signer.unsign(token) == value
    assert signer.unsign(token.decode("ascii")) == value


def test_str_values_are_utf8() -> None:
    """A str value is signed as its UTF-8 encoding."""
    signer = Signer("secret")
    assert signer.unsign(signer.sign("naïve ☃")) == "naïve ☃".encode()


def test_salt_binds_purpose() -> None:
    """A token signed for one salt never validates for another."""
    session = Signer("secret", salt="session")
    user = Signer("secret", salt="user")
    with pytest.raises(BadSignature):
        user.unsign(session.sign(b"42"))


def test_key_is_derived_not_raw() -> None:
    """The MAC is not HMAC-SHA256 under the raw secret."""
    token = Signer("secret").sign(b"value")
    raw = urlsafe_decode(token)
    assert raw is not None
    body, mac = raw[:-32], raw[-32:]
    assert mac != hmac.digest(b"secret", body, hashlib.sha256)


def test_key_derivation_is_the_documented_one() -> None:
    """The MAC key is HMAC-SHA256(secret, "anemo.signedvalue/sign" NUL salt), as the README states."""
    raw = urlsafe_decode(Signer("secret", salt="purpose").sign(b"value"))
    assert raw is not None
    body, mac = raw[:-32], raw[-32:]
    key = hmac.digest(b"secret", b"anemo.signedvalue/sign\0purpose", hashlib.sha256)
    assert mac == hmac.digest(key, body, hashlib.sha256)
    assert body[0] == 1
    assert body[6:] == b"value"


def test_rotation_first_signs_all_verify() -> None:
    """Old tokens verify after a new key is put in front; they stop once the old key is dropped."""
    old_token = Signer("old").sign(b"v")
    rotated = Signer(["new", "old"])
    assert rotated.unsign(old_token) == b"v"
    new_token = rotated.sign(b"v")
    assert Signer("new").unsign(new_token) == b"v"
    with pytest.raises(BadSignature):
        Signer("old").unsign(new_token)
    with pytest.raises(BadSignature):
        Signer(["new"]).unsign(old_token)


def test_wrong_secret_fails() -> None:
    """Another secret does not verify."""
    with pytest.raises(BadSignature, match="signature"):
        Signer("b").unsign(Signer("a").sign(b"v"))


def test_max_age_and_signed_at(clock) -> None:
    """A token is valid up to max_age seconds and then expired, reporting when it was signed."""
    signer = Signer("secret", clock=clock)
    signed_at = int(clock.now)
    token = signer.sign(b"v")
    clock.now += 100
    assert signer.unsign(token, max_age=100) == b"v"
    assert signer.unsign(token) == b"v"
    clock.now += 1
    with pytest.raises(SignatureExpired) as caught:
        signer.unsign(token, max_age=100)
    assert caught.value.signed_at == datetime.fromtimestamp(signed_at, UTC)
    assert caught.value.signed_at.tzinfo is UTC
    assert caught.value.max_age == 100


def test_unsign_timestamped_reports_the_signing_second(clock) -> None:
    """unsign_timestamped gives the value and the whole second it was signed, with unsign's checks."""
    clock.now = 1_800_000_000.75
    signer = Signer("secret", clock=clock)
    token = signer.sign(b"v")
    clock.now += 30
    assert signer.unsign_timestamped(token, max_age=60) == (b"v", 1_800_000_000)
    with pytest.raises(SignatureExpired):
        signer.unsign_timestamped(token, max_age=10)
    with pytest.raises(BadSignature):
        Signer("other", clock=clock).unsign_timestamped(token)


@pytest.mark.parametrize("max_age", [-1, float("nan")])
def test_bad_max_age_is_rejected(max_age: float) -> None:
    """A negative or NaN max_age is a caller error, not a silent pass."""
    signer = Signer("secret")
    with pytest.raises(ValueError, match="max_age"):
        signer.unsign(signer.sign(b"v"), max_age=max_age)
    with pytest.raises(ValueError, match="max_age"):
        signer.unsign("not even a token", max_age=max_age)


def test_future_dated_token_is_rejected(clock) -> None:
    """A genuine token dated beyond the allowed clock skew is refused, within it accepted."""
    signer = Signer("secret", clock=clock)
    token = signer.sign(b"v")
    clock.now -= MAX_CLOCK_SKEW
    assert signer.unsign(token) == b"v"
    clock.now -= 1
    with pytest.raises(BadSignature, match="future"):
        signer.unsign(token)


def test_smaller_than_tornado_v2() -> None:
    """For a 32-byte value, a token is shorter than Tornado's v2 signed value."""
    import tornado.web

    value = b"x" * 32
    ours = Signer("secret").sign(value)
    theirs = tornado.web.create_signed_value("secret", "session", value)
    assert len(ours) < len(theirs)


@pytest.mark.parametrize("secret_keys", ["", b"", [], ["ok", ""]])
def test_empty_secrets_are_rejected(secret_keys: str | bytes | list[str]) -> None:
    """No secret, or an empty one, is refused at construction."""
    with pytest.raises(ValueError, match="secret"):
        Signer(secret_keys)


def test_bad_types_are_type_errors() -> None:
    """Values and secrets of the wrong type fail clearly."""
    with pytest.raises(TypeError, match="value"):
        Signer("s").sign(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="secret"):
        Signer([None])  # type: ignore[list-item]


@pytest.mark.parametrize("secret_keys", [{"new": "old"}, {"one", "two"}, None, 5, iter(["a"])])
def test_unordered_or_odd_secret_collections_are_type_errors(secret_keys: object) -> None:
    """A dict (whose keys would become the secrets), a set (no first secret) or a non-sequence is refused."""
    with pytest.raises(TypeError, match="secret_keys must be"):
        Signer(secret_keys)  # type: ignore[arg-type]


def test_clock_out_of_range_is_rejected(clock) -> None:
    """A negative clock cannot be encoded and says so."""
    clock.now = -1
    with pytest.raises(ValueError, match="timestamp"):
        Signer("s", clock=clock).sign(b"v")


@given(token=st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_garbage_never_validates(token: str | bytes) -> None:
    """Arbitrary input raises BadSignature and nothing else."""
    with pytest.raises(BadSignature):
        Signer("secret").unsign(token)


def test_non_token_types_are_bad_signatures() -> None:
    """A token that is neither str nor bytes is a BadSignature, not a crash."""
    with pytest.raises(BadSignature):
        Signer("s").unsign(None)  # type: ignore[arg-type]


@given(
    value=st.binary(max_size=64),
    data=st.data(),
)
def test_mutated_tokens_never_validate(value: bytes, data: st.DataObject) -> None:
    """Changing, inserting or deleting any one character of a token makes it invalid."""
    signer = Signer("secret")
    token = signer.sign(value).decode("ascii")
    position = data.draw(st.integers(0, len(token) - 1))
    alphabet = string.ascii_letters + string.digits + "-_=+/.!"
    # An offset, not a filter on the token: the token (signed at the time now) may differ on replay.
    offset = data.draw(st.integers(1, len(alphabet) - 1))
    replacement = alphabet[(alphabet.index(token[position]) + offset) % len(alphabet)]
    mutation = data.draw(st.sampled_from(["replace", "insert", "delete"]))
    if mutation == "replace":
        mutated = token[:position] + replacement + token[position + 1 :]
    elif mutation == "insert":
        mutated = token[:position] + replacement + token[position:]
    else:
        mutated = token[:position] + token[position + 1 :]
    with pytest.raises(BadSignature):
        signer.unsign(mutated)


def test_non_canonical_base64_is_rejected() -> None:
    """A spelling that decodes to the same bytes through ignored low bits is refused."""
    signer = Signer("secret")
    token = signer.sign(b"vv")  # 6 + 2 + 32 = 40 bytes: the last character carries 4 unused bits
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(chr(token[-1]))
    twin = token[:-1] + alphabet[last ^ 1].encode()
    assert urlsafe_decode(twin) is None
    with pytest.raises(BadSignature, match="malformed"):
        signer.unsign(twin)


@given(raw=st.binary(max_size=100))
def test_encoding_round_trip(raw: bytes) -> None:
    """The strict decoder inverts the encoder."""
    assert urlsafe_decode(urlsafe_encode(raw)) == raw

"""Serializer: JSON round trips and its error kinds."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue import BadPayload, BadSignature, Serializer, SignatureExpired, Signer

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(obj=json_values)
def test_round_trip(obj: Any) -> None:
    """Any JSON value loads back equal, from a str or bytes token."""
    serializer = Serializer("secret")
    token = serializer.dumps(obj)
    assert isinstance(token, str)
    assert serializer.loads(token) == obj
    assert serializer.loads(token.encode("ascii")) == obj


def test_default_salts_differ_from_signer() -> None:
    """A Serializer token does not unsign with a default Signer on the same secret."""
    with pytest.raises(BadSignature):
        Signer("secret").unsign(Serializer("secret").dumps(1))


def test_salt_is_exposed() -> None:
    """The purpose is readable back."""
    assert Serializer("s", salt="captcha").salt == "captcha"


def test_bad_payload_carries_payload() -> None:
    """Genuine bytes that are not JSON raise BadPayload carrying them."""
    token = Signer("secret", salt="p").sign(b"{not json")
    with pytest.raises(BadPayload) as caught:
        Serializer("secret", salt="p").loads(token)
    assert caught.value.payload == b"{not json"
    assert isinstance(caught.value.__cause__, ValueError)


def test_expired(clock) -> None:
    """max_age applies as for Signer."""
    serializer = Serializer("secret", clock=clock)
    token = serializer.dumps({"a": 1})
    clock.now += 61
    with pytest.raises(SignatureExpired):
        serializer.loads(token, max_age=60)
    assert serializer.loads(token, max_age=61) == {"a": 1}


def test_loads_or_none(clock) -> None:
    """Each failure kind gives None; a good token gives its object."""
    serializer = Serializer("secret", salt="p", clock=clock)
    good = serializer.dumps([1, 2])
    not_json = Signer("secret", salt="p", clock=clock).sign(b"\xff")
    assert serializer.loads_or_none(good) == [1, 2]
    assert serializer.loads_or_none(not_json) is None
    assert serializer.loads_or_none("garbage") is None
    clock.now += 10
    assert serializer.loads_or_none(good, max_age=5) is None


def test_unserializable_is_a_type_error() -> None:
    """Objects json cannot encode fail at dumps time with TypeError."""
    with pytest.raises(TypeError):
        Serializer("s").dumps(object())


def test_errors_form_one_tree() -> None:
    """Every error is a BadSignature and a SignedValueError, so one except clause covers all."""
    from anemo.signedvalue import SignedValueError

    assert issubclass(SignatureExpired, BadSignature)
    assert issubclass(BadPayload, BadSignature)
    assert issubclass(BadSignature, SignedValueError)

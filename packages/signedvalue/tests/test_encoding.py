"""The strict URL-safe base64 decoder: exactly the canonical spelling of each byte string."""

from __future__ import annotations

import binascii
import string

from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue._encoding import urlsafe_decode, urlsafe_encode

URLSAFE_DIGITS = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
FOREIGN = "+/=*. \n\x00\xff"


def canonical_or_none(token: bytes) -> bytes | None:
    """The definition: the bytes whose unpadded URL-safe base64 is exactly ``token``, else None."""
    try:
        raw = binascii.a2b_base64(token.translate(bytes.maketrans(b"-_", b"+/")) + b"=" * (-len(token) % 4))
    except binascii.Error:
        return None
    return raw if urlsafe_encode(raw) == token else None


def spoil(token: bytes, data: st.DataObject) -> bytes:
    """``token`` with one edit a forger might try: low bits, padding, the other alphabet, a stray byte."""
    edit = data.draw(st.sampled_from(["last bits", "pad", "unpad", "other alphabet", "insert", "delete"]))
    if edit == "last bits" and token:
        digit = URLSAFE_DIGITS.index(chr(token[-1])) ^ data.draw(st.integers(1, 3))
        return token[:-1] + URLSAFE_DIGITS[digit].encode()
    if edit == "pad":
        return token + b"=" * data.draw(st.integers(1, 3))
    if edit == "unpad" and token:
        return token[:-1]
    if edit == "other alphabet":
        return token.translate(bytes.maketrans(b"-_", b"+/"))
    position = data.draw(st.integers(0, len(token)))
    if edit == "delete" and position < len(token):
        return token[:position] + token[position + 1 :]
    stray = data.draw(st.sampled_from(URLSAFE_DIGITS + FOREIGN)).encode("latin-1")
    return token[:position] + stray + token[position:]


@given(raw=st.binary(max_size=100), data=st.data())
def test_spoiled_tokens_are_refused_exactly_as_by_the_definition(raw: bytes, data: st.DataObject) -> None:
    """A genuine encoding decodes; every edit of it is refused unless it is itself canonical."""
    token = urlsafe_encode(raw)
    assert urlsafe_decode(token) == raw
    spoiled = spoil(token, data)
    assert urlsafe_decode(spoiled) == canonical_or_none(spoiled)
    if spoiled != token:
        assert urlsafe_decode(spoiled) != raw


short_tokens = st.text(URLSAFE_DIGITS + FOREIGN, max_size=12).map(lambda text: text.encode("latin-1"))


@given(token=st.one_of(st.binary(max_size=12), short_tokens))
def test_any_token_is_decoded_as_by_the_definition(token: bytes) -> None:
    """Arbitrary short tokens, foreign characters included, decode exactly when canonical."""
    assert urlsafe_decode(token) == canonical_or_none(token)


def test_every_short_token_is_decoded_as_by_the_definition() -> None:
    """All tokens of up to 3 characters over the digits and some foreign bytes, exhaustively."""
    alphabet = (URLSAFE_DIGITS + "+/=\n").encode()
    tokens = [b""] + [bytes([a]) for a in alphabet] + [bytes([a, b]) for a in alphabet for b in alphabet]
    tokens += [bytes([a, b, c]) for a in b"Aw_=" for b in alphabet for c in alphabet]
    for token in tokens:
        assert urlsafe_decode(token) == canonical_or_none(token), token

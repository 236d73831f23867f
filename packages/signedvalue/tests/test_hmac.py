"""PreparedHMAC against the standard library's hmac."""

from __future__ import annotations

import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue._hmac import PreparedHMAC, prepared_hmacs


@pytest.mark.parametrize("algorithm", ["sha1", "sha256"])
@given(key=st.binary(max_size=200), message=st.binary(max_size=300))
def test_matches_stdlib_hmac(algorithm: str, key: bytes, message: bytes) -> None:
    """Digests equal hmac.new's, keys longer than a hash block included."""
    expected = hmac.new(key, message, algorithm)
    prepared = PreparedHMAC(key, algorithm)
    assert prepared.mac(message).digest() == expected.digest()
    assert prepared.mac(message).hexdigest() == expected.hexdigest()


def test_prepared_state_is_not_consumed() -> None:
    """Repeated use of one prepared key gives independent results."""
    prepared = PreparedHMAC(b"key", "sha256")
    first = prepared.mac(b"a").digest()
    assert prepared.mac(b"b").digest() == hmac.digest(b"key", b"b", hashlib.sha256)
    assert prepared.mac(b"a").digest() == first


def test_cache_encodes_str_secrets_as_utf8() -> None:
    """A str secret and its UTF-8 bytes give the same MAC."""
    message = b"message"
    cache = prepared_hmacs("sha256")
    from_str = cache["sécret"].mac(message).digest()
    assert from_str == cache["sécret".encode()].mac(message).digest()
    assert cache["sécret"] is cache["sécret"]


def test_empty_secret_is_refused() -> None:
    """An empty secret cannot be prepared."""
    with pytest.raises(ValueError, match="empty"):
        prepared_hmacs("sha256")[""]


def test_one_prepared_key_serves_many_threads() -> None:
    """Threads sharing one prepared key (hashlib drops the GIL on long input) all get correct MACs."""
    prepared = PreparedHMAC(b"shared key", "sha256")
    messages = [bytes([index]) * 50_000 for index in range(64)]
    expected = [hmac.digest(b"shared key", message, hashlib.sha256) for message in messages]
    with ThreadPoolExecutor(8) as pool:
        for _ in range(5):
            assert list(pool.map(lambda message: prepared.mac(message).digest(), messages)) == expected

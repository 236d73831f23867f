"""Interoperation with the real tornado package, both ways, and Tornado's own tests run on ours."""

from __future__ import annotations

import importlib
import logging
import unittest
from collections.abc import Callable

import pytest
import tornado.web as tornado_web
from hypothesis import given
from hypothesis import strategies as st

from anemo.signedvalue import create_signed_value, decode_signed_value, get_signature_key_version

PRESENT = 1_300_000_000
ascii_names = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=20)
secrets_st = st.one_of(st.text(min_size=1, max_size=30), st.binary(min_size=1, max_size=70))


def at(timestamp: float) -> Callable[[], float]:
    """A clock stopped at ``timestamp``."""
    return lambda: timestamp


@given(
    secret=secrets_st,
    name=ascii_names,
    value=st.one_of(st.binary(max_size=200), st.text(max_size=100)),
    version=st.sampled_from([1, 2]),
    clock=st.integers(1_000_000_000, 4_000_000_000),  # Tornado's v1 refuses 0
)
def test_byte_for_byte_and_both_ways(
    secret: str | bytes, name: str, value: str | bytes, version: int, clock: int
) -> None:
    """Same output as tornado.web, and each decodes the other's values."""
    expected = value.encode() if isinstance(value, str) else value
    ours = create_signed_value(secret, name, value, version=version, clock=at(clock))
    theirs = tornado_web.create_signed_value(secret, name, value, version=version, clock=at(clock))
    assert ours == theirs
    assert tornado_web.decode_signed_value(secret, name, ours, clock=at(clock)) == expected
    assert decode_signed_value(secret, name, theirs, clock=at(clock)) == expected


@given(
    key_version=st.integers(0, 5),
    name=ascii_names,
    value=st.binary(max_size=50),
)
def test_key_versions_both_ways(key_version: int, name: str, value: bytes) -> None:
    """With a dict of secrets, values and claimed key versions agree with tornado.web."""
    keys = {n: f"secret number {n}" for n in range(6)}
    ours = create_signed_value(keys, name, value, clock=at(PRESENT), key_version=key_version)
    theirs = tornado_web.create_signed_value(keys, name, value, clock=at(PRESENT), key_version=key_version)
    assert ours == theirs
    assert get_signature_key_version(ours) == tornado_web.get_signature_key_version(ours) == key_version
    assert tornado_web.decode_signed_value(keys, name, ours, clock=at(PRESENT)) == value
    assert decode_signed_value(keys, name, theirs, clock=at(PRESENT)) == value


# Tornado cannot read any value whose name holds a newline (its version regex stops there).
non_ascii_names = st.text(min_size=1, max_size=10).filter(lambda n: not n.isascii() and "\n" not in n)


@given(name=non_ascii_names, value=st.binary(max_size=30))
def test_tornado_reads_our_non_ascii_names(name: str, value: bytes) -> None:
    """Our byte-counted lengths for non-ASCII names are read correctly by tornado.web too."""
    ours = create_signed_value("secret", name, value, clock=at(PRESENT))
    assert tornado_web.decode_signed_value("secret", name, ours, clock=at(PRESENT)) == value


DAY = 86400


@given(
    name=st.sampled_from(["n", "session", "a|b", "9"]),
    value=st.binary(max_size=12),
    version=st.sampled_from([1, 2]),
    # Later than 31 days after the epoch: a version-1 timestamp of 0 (difference 6) is then expired.
    clock=st.sampled_from([40 * DAY, 1_300_000_000, 99_999_999_999]),
    data=st.data(),
)
def test_mutated_values_decode_as_tornado_decodes_them(
    name: str, value: bytes, version: int, clock: int, data: st.DataObject
) -> None:
    """After one edit or a moved "|", ours and tornado.web agree, apart from differences the README lists."""
    made = tornado_web.create_signed_value("secret", name, value, version=version, clock=at(clock))
    signed = bytearray(made)
    if data.draw(st.booleans(), label="move a bar"):
        bars = [index for index, byte in enumerate(signed) if byte == ord("|")]
        del signed[data.draw(st.sampled_from(bars))]
        signed.insert(data.draw(st.integers(0, len(signed))), ord("|"))
    else:
        position = data.draw(st.integers(0, len(signed) - 1))
        signed[position] = ord(data.draw(st.sampled_from("0123456789|:+ =A")))
    mutated = bytes(signed)
    for now in (clock, clock + 40 * DAY, clock - 40 * DAY):
        ours = decode_signed_value("secret", name, mutated, clock=at(now))
        try:
            theirs = tornado_web.decode_signed_value("secret", name, mutated, clock=at(now))
        except ValueError:  # difference 1: tornado 6.5 raises on some genuine-MAC v1 values
            theirs = None
        if ours is None and theirs is not None and version == 2 and now < clock - 31 * DAY:
            continue  # difference 5: far-future values are refused in version 2 too
        assert ours == theirs


def test_tornados_own_signed_value_tests_pass_on_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    """tornado.test.web_test's signed-value and signed-cookie tests pass with our functions patched in."""
    web_test = importlib.import_module("tornado.test.web_test")
    ours = {
        "create_signed_value": create_signed_value,
        "decode_signed_value": decode_signed_value,
        "get_signature_key_version": get_signature_key_version,
    }
    for module in (tornado_web, web_test):
        for name, function in ours.items():
            monkeypatch.setattr(module, name, function)
    # Tornado's tampering test expects its warning on its own logger; ours logs on ours.
    monkeypatch.setattr(web_test, "gen_log", logging.getLogger("anemo.signedvalue"))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(
        loader.loadTestsFromTestCase(getattr(web_test, name))
        for name in ("SignedValueTest", "SecureCookieV1Test", "SecureCookieV2Test")
    )
    result = unittest.TestResult()
    suite.run(result)
    problems = [f"{test}: {trace}" for test, trace in result.errors + result.failures]
    assert not problems, "\n".join(problems)
    assert result.testsRun >= 18
    assert not result.skipped or all("CPython" in reason for _, reason in result.skipped)

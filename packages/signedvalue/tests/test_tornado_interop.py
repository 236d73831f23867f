"""Interoperation with the real tornado package both ways, over HTTP too; Tornado's own tests run on ours."""

from __future__ import annotations

import importlib
import json
import logging
import unittest
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
import tornado.web as tornado_web
from hypothesis import given
from hypothesis import strategies as st
from tornado.testing import AsyncHTTPTestCase

from anemo.signedvalue import create_signed_value, decode_signed_value, get_signature_key_version
from anemo.signedvalue.tornado import JSONCookieMixin

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
    # Ten-digit timestamps (2001 to 2286) take a shorter path than the others; Tornado's v1 refuses 0.
    clock=st.one_of(st.integers(1_000_000_000, 4_000_000_000), st.integers(1, 10**12)),
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
    # One-digit key versions take a shorter path than the others.
    key_version=st.one_of(st.integers(0, 9), st.integers(10, 10**12)),
    name=ascii_names,
    value=st.binary(max_size=50),
)
def test_key_versions_both_ways(key_version: int, name: str, value: bytes) -> None:
    """With a dict of secrets, values and claimed key versions agree with tornado.web."""
    keys = {n: f"secret number {n}" for n in (key_version - 1, key_version, key_version + 1)}
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


COOKIE_SECRET = "the interop application's cookie secret"


def _user(value: bytes | None) -> dict[str, str | None]:
    return {"user": None if value is None else value.decode()}


class TornadoSetsCookie(tornado_web.RequestHandler):
    def post(self) -> None:
        self.set_signed_cookie("user", self.get_argument("user"))


class DecodeSignedValueReads(tornado_web.RequestHandler):
    def get(self) -> None:
        secret = self.application.settings["cookie_secret"]
        self.write(_user(decode_signed_value(secret, "user", self.get_cookie("user"))))


class CreateSignedValueSets(tornado_web.RequestHandler):
    def post(self) -> None:
        value = create_signed_value(
            self.application.settings["cookie_secret"], "user", self.get_argument("user")
        )
        self.set_cookie("user", value.decode())


class TornadoGetsCookie(tornado_web.RequestHandler):
    def get(self) -> None:
        self.write(_user(self.get_signed_cookie("user")))


class MixinSetsCookie(JSONCookieMixin):
    def post(self) -> None:
        self.set_signed_json_cookie("user", self.get_argument("user"))


class SignedCookiesOverHTTP(AsyncHTTPTestCase):
    """Tornado's own signed cookies and our functions read each other, in separate handlers."""

    def get_app(self) -> tornado_web.Application:
        return tornado_web.Application(
            [
                (r"/tornado-sets", TornadoSetsCookie),
                (r"/decode", DecodeSignedValueReads),
                (r"/create", CreateSignedValueSets),
                (r"/tornado-gets", TornadoGetsCookie),
                (r"/mixin-sets", MixinSetsCookie),
            ],
            cookie_secret=COOKIE_SECRET,
        )

    def _cookie_set_by(self, path: str, user: str) -> str:
        """The ``Cookie`` header a browser sends back after POSTing ``user`` to ``path``."""
        response = self.fetch(path, method="POST", body=urlencode({"user": user}))
        assert response.code == 200
        jar: SimpleCookie = SimpleCookie()
        for line in response.headers.get_list("Set-Cookie"):
            jar.load(line)
        return f"user={jar['user'].value}"

    def _user_read_by(self, path: str, cookie: str) -> object:
        response = self.fetch(path, headers={"Cookie": cookie})
        assert response.code == 200
        return json.loads(response.body)["user"]

    def test_set_signed_cookie_is_read_by_decode_signed_value(self) -> None:
        """A cookie written by RequestHandler.set_signed_cookie decodes with decode_signed_value."""
        cookie = self._cookie_set_by("/tornado-sets", "42")
        assert self._user_read_by("/decode", cookie) == "42"

    def test_create_signed_value_is_read_by_get_signed_cookie(self) -> None:
        """A cookie made by create_signed_value is what RequestHandler.get_signed_cookie reads."""
        cookie = self._cookie_set_by("/create", "42")
        assert self._user_read_by("/tornado-gets", cookie) == "42"

    def test_tampered_cookie_is_read_by_neither(self) -> None:
        """Changing one character of the signature makes both sides refuse the cookie."""
        cookie = self._cookie_set_by("/tornado-sets", "42")
        tampered = cookie[:-1] + ("0" if cookie[-1] != "0" else "1")
        assert self._user_read_by("/decode", tampered) is None
        assert self._user_read_by("/tornado-gets", tampered) is None

    def test_mixin_json_cookies_are_another_format(self) -> None:
        """As the README says: Tornado's get_signed_cookie does not read the mixin's JSON cookies."""
        cookie = self._cookie_set_by("/mixin-sets", "42")
        assert self._user_read_by("/tornado-gets", cookie) is None
        assert self._user_read_by("/decode", cookie) is None

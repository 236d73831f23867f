"""The Tornado adapter, served for real over HTTP by tornado's test server."""

from __future__ import annotations

import json
import time
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import quote

import pytest
import tornado.web
from tornado.httpclient import HTTPResponse
from tornado.log import app_log
from tornado.testing import AsyncHTTPTestCase, ExpectLog

from anemo.signedvalue import Serializer
from anemo.signedvalue.encrypted import EncryptedSerializer
from anemo.signedvalue.tornado import (
    MAX_COOKIE_BYTES,
    JSONCookieMixin,
    add_vary_cookie,
    cookie_secrets,
    forbid_shared_caching,
)


class SetHandler(JSONCookieMixin):
    """Sets cookie ``name`` to the JSON request body, signed or encrypted."""

    def post(self, kind: str, name: str) -> None:
        obj = json.loads(self.request.body)
        options = json.loads(self.get_argument("options", "{}"))
        if kind == "signed":
            self.set_signed_json_cookie(name, obj, **options)
        else:
            self.set_encrypted_json_cookie(name, obj, **options)


class GetHandler(JSONCookieMixin):
    """Answers with the JSON in cookie ``name`` (null when refused)."""

    def get(self, kind: str, name: str) -> None:
        max_age_days = float(self.get_argument("max_age_days", "31"))
        if kind == "signed":
            found = self.get_signed_json_cookie(name, max_age_days=max_age_days)
        else:
            found = self.get_encrypted_json_cookie(name, max_age_days=max_age_days)
        self.write(json.dumps(found))


class CachedSetHandler(JSONCookieMixin):
    """Sets a signed cookie, then asks for shared caching as a careless handler would."""

    def get(self) -> None:
        self.set_signed_json_cookie("prefs", {"theme": "dark"})
        self.set_header("Cache-Control", "public, max-age=600")
        self.set_header("Vary", "Accept-Encoding")
        self.write("hello")


class PlainHandler(JSONCookieMixin):
    """Touches no JSON cookie."""

    def get(self) -> None:
        self.write("hello")


class SignedInHandler(tornado.web.RequestHandler):
    """A handler without the mixin that calls the helpers itself, twice, for a signed-in page."""

    def get(self) -> None:
        self.set_header("Cache-Control", "s-maxage=60, Public, no-cache")
        self.set_header("Vary", "*")
        for _ in range(2):
            forbid_shared_caching(self, no_store=True)
            add_vary_cookie(self)
        self.write("hello")


def set_cookie_headers(response: HTTPResponse) -> list[str]:
    """The Set-Cookie header lines of a response."""
    return response.headers.get_list("Set-Cookie")


def cookie_value(response: HTTPResponse) -> tuple[str, str]:
    """Name and value of the one cookie a response sets."""
    cookie = SimpleCookie()
    cookie.load(set_cookie_headers(response)[0])
    ((name, morsel),) = cookie.items()
    return name, morsel.value


class AdapterTestCase(AsyncHTTPTestCase):
    """A live application with both handlers."""

    def get_app(self) -> tornado.web.Application:
        return tornado.web.Application(
            [
                (r"/set/(signed|encrypted)/(\w+)", SetHandler),
                (r"/get/(signed|encrypted)/(\w+)", GetHandler),
                (r"/cached-set", CachedSetHandler),
                (r"/plain", PlainHandler),
                (r"/signed-in", SignedInHandler),
            ],
            cookie_secret="app secret",
        )

    def get_httpserver_options(self) -> dict[str, Any]:
        return {"xheaders": True}

    def put(self, kind: str, name: str, obj: Any, headers: dict[str, str] | None = None) -> HTTPResponse:
        return self.fetch(f"/set/{kind}/{name}", method="POST", body=json.dumps(obj), headers=headers)

    def read(self, kind: str, name: str, cookie: str, max_age_days: float = 31) -> Any:
        path = f"/get/{kind}/{name}?max_age_days={max_age_days}"
        response = self.fetch(path, headers={"Cookie": f"{name}={cookie}"})
        assert response.code == 200
        return json.loads(response.body)


class TestSignedCookies(AdapterTestCase):
    def test_round_trip_with_secure_defaults(self) -> None:
        """A signed JSON cookie comes back; it is HttpOnly, SameSite=Lax, and not Secure over HTTP."""
        response = self.put("signed", "prefs", {"theme": "dark"})
        header = set_cookie_headers(response)[0]
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header
        assert "Secure" not in header
        name, value = cookie_value(response)
        assert name == "prefs"
        assert self.read("signed", "prefs", value) == {"theme": "dark"}

    def test_secure_over_https(self) -> None:
        """Behind a TLS-terminating proxy (X-Scheme: https) the cookie is Secure."""
        response = self.put("signed", "prefs", 1, headers={"X-Scheme": "https"})
        assert "Secure" in set_cookie_headers(response)[0]

    def test_options_override_defaults(self) -> None:
        """Callers can loosen or tighten the defaults explicitly."""
        options = quote(json.dumps({"httponly": False, "samesite": "Strict"}))
        response = self.fetch(f"/set/signed/prefs?options={options}", method="POST", body="1")
        header = set_cookie_headers(response)[0]
        assert "HttpOnly" not in header
        assert "SameSite=Strict" in header

    def test_cookie_names_bind_purpose(self) -> None:
        """A value set as one cookie is refused under another name."""
        _, value = cookie_value(self.put("signed", "prefs", {"admin": True}))
        assert self.read("signed", "user", value) is None

    def test_tampered_and_missing(self) -> None:
        """A changed token and an absent cookie both read as None."""
        _, value = cookie_value(self.put("signed", "prefs", [1]))
        assert (
            self.read("signed", "prefs", value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]) is None
        )
        response = self.fetch("/get/signed/prefs")
        assert json.loads(response.body) is None

    def test_too_large_is_refused(self) -> None:
        """A value too big for a browser cookie fails the request instead of vanishing in the browser."""
        with ExpectLog(app_log, "Uncaught exception", required=True):
            response = self.put("signed", "big", "x" * MAX_COOKIE_BYTES)
        assert response.code == 500
        assert set_cookie_headers(response) == []


def header_members(response: HTTPResponse, name: str) -> list[str]:
    """The comma-separated members of every ``name`` header line, lower case."""
    lines = response.headers.get_list(name)
    return [member.strip().lower() for line in lines for member in line.split(",")]


class TestSharedCaches(AdapterTestCase):
    def test_setting_a_cookie_makes_the_response_private(self) -> None:
        """Headers set after the cookie are merged at flush: private, max-age kept, public gone."""
        response = self.fetch("/cached-set")
        assert set_cookie_headers(response)
        assert sorted(header_members(response, "Cache-Control")) == ["max-age=600", "private"]
        assert sorted(header_members(response, "Vary")) == ["accept-encoding", "cookie"]

    def test_reading_a_cookie_varies_on_it(self) -> None:
        """A response that read a cookie, present or not, says Vary: Cookie and adds no Cache-Control."""
        _, value = cookie_value(self.put("signed", "prefs", 1))
        for headers in ({"Cookie": f"prefs={value}"}, {}):
            response = self.fetch("/get/signed/prefs", headers=headers)
            assert header_members(response, "Vary") == ["cookie"]
            assert "Cache-Control" not in response.headers

    def test_untouched_cookies_leave_caching_alone(self) -> None:
        """A mixin handler that touches no JSON cookie adds neither Vary nor Cache-Control."""
        response = self.fetch("/plain", headers={"Cookie": "prefs=anything"})
        assert response.body == b"hello"
        assert "Vary" not in response.headers
        assert "Cache-Control" not in response.headers

    def test_helpers_on_any_handler(self) -> None:
        """The helpers work without the mixin: no-store for signed-in pages, Vary: * kept as is."""
        response = self.fetch("/signed-in")
        assert response.headers.get_list("Cache-Control") == ["private, no-store, no-cache"]
        assert response.headers.get_list("Vary") == ["*"]


class TestExpiry(AdapterTestCase):
    def test_max_age_days_refuses_older_cookies(self) -> None:
        """A cookie made two days ago reads back within max_age_days=3 and as None with 1."""
        two_days_ago = time.time() - 2 * 86400
        salt = "anemo.signedvalue.tornado.cookie:prefs"
        then = {"salt": salt, "clock": lambda: two_days_ago}
        tokens = {
            "signed": Serializer("app secret", **then).dumps("old"),
            "encrypted": EncryptedSerializer("app secret", **then).dumps("old"),
        }
        for kind, token in tokens.items():
            assert self.read(kind, "prefs", token, max_age_days=3) == "old"
            assert self.read(kind, "prefs", token, max_age_days=1) is None


class TestEncryptedCookies(AdapterTestCase):
    def test_round_trip_hidden(self) -> None:
        """An encrypted JSON cookie comes back, and its content is not in the cookie."""
        _, value = cookie_value(self.put("encrypted", "cart", {"item": "hidden-widget"}))
        assert "hidden" not in value
        assert self.read("encrypted", "cart", value) == {"item": "hidden-widget"}

    def test_signed_and_encrypted_do_not_mix(self) -> None:
        """A signed cookie does not open as an encrypted one of the same name, nor the reverse."""
        _, signed = cookie_value(self.put("signed", "cart", 1))
        _, sealed = cookie_value(self.put("encrypted", "cart", 1))
        assert self.read("encrypted", "cart", signed) is None
        assert self.read("signed", "cart", sealed) is None


class TestKeyRotation(AdapterTestCase):
    def use_secrets(self, cookie_secret: Any, key_version: int | None = None) -> None:
        """Reconfigure the live application's secrets, as a redeploy would."""
        self._app.settings["cookie_secret"] = cookie_secret
        self._app.settings["key_version"] = key_version

    def test_dict_secret_rotates(self) -> None:
        """With Tornado's key dict, the key_version secret signs and the others still verify."""
        self.use_secrets("old secret")
        _, old_token = cookie_value(self.put("signed", "prefs", "from before"))
        self.use_secrets({1: "old secret", 2: "new secret"}, key_version=2)
        assert self.read("signed", "prefs", old_token) == "from before"
        _, new_token = cookie_value(self.put("signed", "prefs", "now"))
        self.use_secrets("new secret")
        assert self.read("signed", "prefs", new_token) == "now"
        assert self.read("signed", "prefs", old_token) is None

    def test_list_secret_rotates(self) -> None:
        """A list of secrets: the first signs, all verify."""
        self.use_secrets(["b", "a"])
        _, token = cookie_value(self.put("encrypted", "cart", [1]))
        self.use_secrets(["c", "b"])
        assert self.read("encrypted", "cart", token) == [1]

    def test_dict_without_key_version_is_refused(self) -> None:
        """A key dict without a valid key_version setting is a configuration error."""
        self.use_secrets({1: "x"}, key_version=None)
        with ExpectLog(app_log, "Uncaught exception", required=True):
            assert self.put("signed", "prefs", 1).code == 500


def test_cookie_secrets_puts_the_signing_secret_first() -> None:
    """cookie_secrets reads every form of the setting in rotation order, as the mixin signs."""
    assert cookie_secrets({"cookie_secret": "one"}) == ("one",)
    assert cookie_secrets({"cookie_secret": ["new", b"old"]}) == ("new", b"old")
    keys = {1: "first", 2: "second", 3: "third"}
    assert cookie_secrets({"cookie_secret": keys, "key_version": 2}) == ("second", "third", "first")
    with pytest.raises(ValueError, match="key_version"):
        cookie_secrets({"cookie_secret": keys})

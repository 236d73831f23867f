"""The "New picture" button: POST /captcha/new (anemo.captcha's refresh handler), by HTTP and in Chromium."""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from anemo.captcha.tornado import NO_CACHE_HEADERS
from anemo_demo.ratelimit import CHALLENGES

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="captcha.challenge" value="([^"]+)"')


def log_in(client: Any, username: str, token: str, answer: str) -> Any:
    return client.post(
        "/login",
        {"username": username, "password": PASSWORD, "captcha.challenge": token, "captcha.answer": answer},
    )


def test_a_refresh_gives_a_new_challenge_that_the_form_accepts(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    register_user(live, client, "hana")
    client.post("/logout")
    page = client.get("/login").body
    assert 'data-refresh="/captcha/new"' in page
    response = client.post("/captcha/new")
    assert response.status == 200
    for name, value in NO_CACHE_HEADERS.items():
        assert response.headers[name] == value
    fresh = json.loads(response.body)
    assert set(fresh) == {"id", "token", "image", "expires_at"}
    assert fresh["image"] == f"/captcha/{fresh['id']}"
    assert fresh["token"] != TOKEN.search(page).group(1)  # type: ignore[union-attr]
    assert client.get(fresh["image"]).status == 200
    assert log_in(client, "hana", fresh["token"], live.answer(fresh["id"])).status == 302


def test_a_refresh_is_a_post_with_the_xsrf_token(live, client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/captcha/new").status == 405
    forged = urllib.request.Request(live.url + "/captcha/new", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=15)
    assert refused.value.code == 403
    assert json.loads(refused.value.read()) == {"error": "Forbidden"}


def test_refreshes_count_against_the_clients_challenge_limit(live, client) -> None:  # type: ignore[no-untyped-def]
    """The form pages and the button share one count per client; past it, 429 and no challenge."""
    store = live.services.captcha.store
    client.get("/login")  # one challenge, and the XSRF cookie
    statuses = [client.post("/captcha/new").status for _ in range(CHALLENGES.amount - 1)]
    assert statuses == [200] * (CHALLENGES.amount - 1)
    before = len(store)
    refused = client.post("/captcha/new")
    assert refused.status == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "token" not in json.loads(refused.body)
    assert len(store) == before
    assert client.get("/login").status == 429  # the page's own challenge is refused as well
    other = http.client.HTTPConnection("127.0.0.1", live.port, timeout=15, source_address=("127.0.0.2", 0))
    try:
        other.request("GET", "/login")
        assert other.getresponse().status == 200  # another client is not held back
    finally:
        other.close()


def test_the_button_swaps_picture_and_token_in_chromium(live, client, register_user, context_factory) -> None:  # type: ignore[no-untyped-def]
    """With script: one POST to /captcha/new, a new picture and token, typed fields kept; it passes."""
    register_user(live, client, "ines")
    page = context_factory().new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "ines")
    page.fill("input[name=password]", PASSWORD)
    before = page.get_attribute("#captcha-image", "src")
    token_before = page.input_value("#captcha-token")
    with page.expect_response(lambda response: response.url.endswith("/captcha/new")) as refresh:
        page.click("#captcha-new")
    assert refresh.value.status == 200
    assert refresh.value.request.method == "POST"
    page.wait_for_function(f"document.getElementById('captcha-image').getAttribute('src') !== '{before}'")
    source = page.get_attribute("#captcha-image", "src")
    assert page.input_value("#captcha-token") not in (token_before, "")
    assert page.url == live.url + "/login"
    assert page.input_value("input[name=username]") == "ines"
    page.fill("#captcha-answer", live.answer(source.rsplit("/", 1)[1]))
    page.click("#login-form button[type=submit]")
    page.wait_for_url(live.url + "/account")


def test_the_button_without_script_reloads_the_form(live, browser) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live.url + "/login")
        before = page.get_attribute("#captcha-image", "src")
        page.click("#captcha-new")
        page.wait_for_load_state()
        assert page.url == live.url + "/login"
        assert page.get_attribute("#captcha-image", "src") != before
    finally:
        context.close()

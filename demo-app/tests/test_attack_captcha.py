"""The captcha under attack, and the usability findings around it.

Each test failed on the build the security and usability tests were run on: challenges issued to
anyone who asked (a flood evicted other visitors' challenges from a capped store), answered from
any session, answers and failed logins unlimited; no "new picture" link, no word after
registering, and GET /logout an error page. Other clients are other loopback addresses: Linux
routes all of 127.0.0.0/8 to this machine, so a connection from 127.0.0.2 is another client.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from anemo.captcha import MemoryStore
from anemo_demo.ratelimit import ANSWERS, CHALLENGES, FAILED_LOGINS, client_key

PASSWORD = "correct horse battery"
TOKEN = re.compile(r'name="captcha.challenge" value="([^"]+)"')
CHALLENGE_ID = re.compile(r"/captcha/([A-Za-z0-9_-]{22})")
#: The challenge store's cap in the flood finding.
CAP = 1000


class _FromAddress(urllib.request.HTTPHandler):
    """Opens HTTP connections from a given local address (runs before the default handler)."""

    handler_order = 100

    def __init__(self, address: str) -> None:
        super().__init__()
        self.address = address

    def http_open(self, req: Any) -> Any:
        return self.do_open(http.client.HTTPConnection, req, source_address=(self.address, 0))


@pytest.fixture
def client_at(new_client) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    """``client_at(live, "127.0.0.2", language="en-US")``: a browser without a screen, at that address."""

    def make(live: Any, address: str, language: str = "en-US") -> Any:
        client = new_client(live)
        client.language = language
        client.opener.add_handler(_FromAddress(address))
        return client

    return make


@pytest.fixture
def capped(make_live) -> Any:  # type: ignore[no-untyped-def]
    """The demo with its memory challenge store capped at 1,000 entries, as in the finding."""
    return make_live(captcha_store_object=MemoryStore(max_entries=CAP))


def flood(live: Any, path: str, count: int, address: str, language: str = "en-US") -> list[Any]:
    """``count`` GETs of ``path`` from ``address`` with no cookies, on one connection, as a script sends.

    Each result is ``(status, Retry-After, body)``.
    """
    connection = http.client.HTTPConnection("127.0.0.1", live.port, timeout=15, source_address=(address, 0))
    results = []
    try:
        for _ in range(count):
            connection.request("GET", path, headers={"Accept-Language": language})
            response = connection.getresponse()
            results.append((response.status, response.getheader("Retry-After"), response.read().decode()))
    finally:
        connection.close()
    return results


def captcha_of(live: Any, page: str) -> tuple[str, str]:
    """The token of a page's challenge and, through the fixture's hook, its answer."""
    token, challenge_id = TOKEN.search(page), CHALLENGE_ID.search(page)
    assert token, "the page has no captcha"
    assert challenge_id, "the page has no captcha"
    return token.group(1), live.answer(challenge_id.group(1))


def log_in(client: Any, username: str, password: str, captcha: tuple[str, str]) -> Any:
    token, answer = captcha
    return client.post(
        "/login",
        {"username": username, "password": password, "captcha.challenge": token, "captcha.answer": answer},
    )


# 1. Captcha flooding.


def test_a_flood_gets_429_and_never_grows_the_store(capped, client_at) -> None:  # type: ignore[no-untyped-def]
    """Past the per-address limit a page is a 429 with Retry-After and a message, and no challenge."""
    store = capped.services.captcha.store
    before = len(store)
    results = flood(capped, "/login", CHALLENGES.amount + 40, "127.0.0.2")
    assert [status for status, _, _ in results[: CHALLENGES.amount]] == [200] * CHALLENGES.amount
    refused = results[CHALLENGES.amount :]
    assert {status for status, _, _ in refused} == {429}
    assert len(store) == before + CHALLENGES.amount  # the refused requests issued nothing
    for _, retry_after, body in refused:
        assert retry_after is not None
        assert 1 <= int(retry_after) <= 60
        assert "Too many requests from your network" in body
        assert "/captcha/" not in body
        assert "captcha.challenge" not in body
        assert "Something went wrong" not in body
    # The same refusal, in Chinese for a Chinese browser, and as JSON for the "new picture" link.
    assert "请在" in flood(capped, "/register", CHALLENGES.amount + 1, "127.0.0.3", "zh-CN")[-1][2]
    flooder = client_at(capped, "127.0.0.2")
    flooder.get("/cookies")  # a page with a form but no challenge: the XSRF cookie a POST needs
    response = flooder.post("/captcha/new")
    assert response.status == 429
    assert json.loads(response.body)["error"].startswith("Too many requests")
    chinese = client_at(capped, "127.0.0.3", "zh-CN")  # its limit was reached just above
    chinese.get("/cookies")
    assert "请在" in json.loads(chinese.post("/captcha/new").body)["error"]
    assert len(store) == before + 2 * CHALLENGES.amount


def test_a_visitor_still_passes_after_another_clients_flood(capped, client_at) -> None:  # type: ignore[no-untyped-def]
    """1,100 challenges asked for by a script once evicted the visitor's from a store of 1,000."""
    client = client_at(capped, "127.0.0.1")
    token, answer = captcha_of(capped, client.get("/register").body)
    statuses = [status for status, _, _ in flood(capped, "/login", CAP + 100, "127.0.0.2")]
    response = client.post(
        "/register",
        {
            "username": "vera",
            "email": "vera@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
            "captcha.challenge": token,
            "captcha.answer": answer,
        },
    )
    assert response.status == 302
    assert response.location == "/account"
    assert statuses.count(200) == CHALLENGES.amount
    assert len(capped.services.captcha.store) < CAP


def test_a_challenge_answered_by_another_client_is_refused(live, client_at, register_user) -> None:  # type: ignore[no-untyped-def]
    """A token issued to A and rightly answered by B fails for B, and is used up."""
    owner = client_at(live, "127.0.0.1")
    register_user(live, owner, "alice")
    owner.post("/logout")
    harvester, solver = client_at(live, "127.0.0.2"), client_at(live, "127.0.0.3")
    captcha = captcha_of(live, harvester.get("/login").body)
    response = log_in(solver, "alice", PASSWORD, captcha)
    assert response.status == 400
    assert 'data-for="captcha"' in response.body
    assert solver.get("/account").status == 302  # not signed in
    assert log_in(harvester, "alice", PASSWORD, captcha).status == 400  # used up by the wrong session
    # The session that asked for a challenge passes it.
    assert log_in(harvester, "alice", PASSWORD, captcha_of(live, harvester.get("/login").body)).status == 302


def test_a_session_keeps_only_its_three_newest_challenges(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    register_user(live, client, "bob")
    client.post("/logout")
    captchas = [captcha_of(live, client.get("/login").body) for _ in range(4)]
    assert log_in(client, "bob", PASSWORD, captchas[0]).status == 400  # pushed out by three newer ones
    assert log_in(client, "bob", PASSWORD, captchas[3]).status == 302


def test_answers_are_limited_per_address(live, client_at) -> None:  # type: ignore[no-untyped-def]
    """Posts of wrong answers, past the limit: 429 with Retry-After, and no challenge is used."""
    script = client_at(live, "127.0.0.2")
    wrong = {"username": "x", "password": "y", "captcha.challenge": "A" * 22, "captcha.answer": "WRONG"}
    statuses = [script.post("/login", wrong).status for _ in range(ANSWERS.amount)]
    assert statuses == [400] * ANSWERS.amount
    response = script.post("/register", wrong)
    assert response.status == 429
    assert response.headers.get("Retry-After")
    assert "Too many requests from your network" in response.body
    # Another address is not held back by it.
    assert client_at(live, "127.0.0.3").post("/login", wrong).status == 400


def test_failed_logins_are_limited_per_account(live, client_at, register_user) -> None:  # type: ignore[no-untyped-def]
    """Ten failures from two addresses lock the account 15 minutes, right password or not; others log in."""
    victim = client_at(live, "127.0.0.1")
    register_user(live, victim, "carol")
    register_user(live, client_at(live, "127.0.0.1"), "dan")
    victim.post("/logout")
    guessers = [client_at(live, "127.0.0.2"), client_at(live, "127.0.0.3")]
    for attempt in range(FAILED_LOGINS.amount):
        guesser = guessers[attempt % 2]
        name = "carol" if attempt % 3 else "CAROL"  # names compare case-insensitively
        response = log_in(guesser, name, f"guess {attempt}", captcha_of(live, guesser.get("/login").body))
        assert response.status == 400
        assert "Wrong username or password" in response.body
    other = client_at(live, "127.0.0.4", language="zh-CN")
    response = log_in(other, "carol", PASSWORD, captcha_of(live, other.get("/login").body))
    assert response.status == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert "该账户登录失败次数过多" in response.body
    assert other.get("/account").status == 302
    fine = client_at(live, "127.0.0.4")
    assert log_in(fine, "dan", PASSWORD, captcha_of(live, fine.get("/login").body)).status == 302


def test_client_keys() -> None:
    """IPv6 clients count by their /64 (one subscriber's share); IPv4 ones by address."""
    assert client_key("203.0.113.9") == "203.0.113.9"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("::ffff:203.0.113.9") == "203.0.113.9"
    assert client_key("") == "unknown"


# 2. Usability.


def test_a_new_picture_keeps_the_form(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    """The link reloads the form without script; as JSON it gives a fresh challenge for this session."""
    register_user(live, client, "erin")
    client.post("/logout")
    page = client.get("/login?next=/hosts").body
    link = re.search(r'<a href="([^"]+)" id="captcha-new" data-refresh="([^"]+)"', page)
    assert link is not None
    assert link.group(1) == "/login?next=%2Fhosts"
    assert link.group(2) == "/captcha/new"
    response = client.post(link.group(2))
    assert response.status == 200
    assert "no-store" in response.headers["Cache-Control"]
    fresh = json.loads(response.body)
    assert fresh["image"] == f"/captcha/{fresh['id']}"
    assert fresh["token"] != TOKEN.search(page).group(1)  # type: ignore[union-attr]
    assert client.get(fresh["image"]).status == 200
    assert log_in(client, "erin", PASSWORD, (fresh["token"], live.answer(fresh["id"]))).status == 302


def test_the_new_picture_link_in_a_browser(live, client, register_user, context_factory) -> None:  # type: ignore[no-untyped-def]
    """In Chromium, under the site's CSP: the picture changes, what was typed stays, the new one passes."""
    register_user(live, client, "fay")
    page = context_factory().new_page()
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "fay")
    page.fill("input[name=password]", PASSWORD)
    before = page.get_attribute("#captcha-image", "src")
    page.click("#captcha-new")
    page.wait_for_function(f"document.getElementById('captcha-image').getAttribute('src') !== '{before}'")
    assert page.url == live.url + "/login"
    assert page.input_value("input[name=username]") == "fay"
    assert page.input_value("input[name=password]") == PASSWORD
    source = page.get_attribute("#captcha-image", "src")
    page.fill("#captcha-answer", live.answer(source.rsplit("/", 1)[1]))
    page.click("#login-form button[type=submit]")
    page.wait_for_url(live.url + "/account")


def test_registering_says_so_on_the_next_page(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    assert register_user(live, client, "gina").location == "/account"
    account = client.get("/account").body
    assert re.search(r'class="notice flash success">Welcome! Your account is ready', account)
    assert "flash success" not in client.get("/account").body  # shown once


def test_get_logout_offers_the_button_or_goes_home(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    """Signed out, GET /logout goes home; signed in, it asks, and only the POST ends the session."""
    response = client.get("/logout")
    assert response.status == 302
    assert response.location == "/"
    register_user(live, client, "hana")
    page = client.get("/logout")
    assert page.status == 200
    form = re.search(r'<form method="post" action="/logout" id="logout-form">(.*?)</form>', page.body, re.S)
    assert form is not None
    assert 'name="_xsrf"' in form.group(1)
    assert 'id="logout-confirm"' in form.group(1)
    assert "hana" in page.body
    assert client.get("/account").status == 200  # the GET changed nothing
    assert client.post("/logout").location == "/"
    assert client.get("/account").status == 302

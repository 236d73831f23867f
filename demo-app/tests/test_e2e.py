"""The demo in a real headless Chromium (Debian's, driven by Playwright; no browser download).

Screenshots of failed tests land in ``demo-app/test-artifacts/``. With ``ANEMO_DEMO_SCREENSHOTS``
set to a directory, the tests also save the pictures the front README shows.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import re
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("playwright.sync_api")

PASSWORD = "correct horse battery"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a README screenshot when asked to (ANEMO_DEMO_SCREENSHOTS=directory)."""
    directory = os.environ.get("ANEMO_DEMO_SCREENSHOTS")
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(directory) / f"{name}.png"))


def png_file(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> Path:
    path = tmp_path / name
    Image.new("RGB", (200, 160), colour).save(path, format="PNG")
    return path


def test_register_avatar_hosts_logout(in_browser, live, context_factory, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The whole tour in one browser: register, avatar both ways, hosts rows, log out, log in."""
    page = context_factory().new_page()
    page.goto(live.url + "/")
    shot(page, "home")
    page.goto(live.url + "/register")
    shot(page, "register")
    in_browser.register(live, page, "alice")
    assert page.text_content("#signed-in-as") == "alice"
    assert page.locator("#sessions tr.session").count() == 1
    shot(page, "account")

    page.goto(live.url + "/profile")
    page.set_input_files("#avatar-file", str(png_file(tmp_path, "red.png", (220, 30, 60))))
    page.click("#profile-form button[type=submit]")
    page.wait_for_url(live.url + "/profile?saved=1")
    first = page.get_attribute("#avatar", "src")
    assert first.startswith("/avatars/")
    page.set_input_files("#avatar-ajax-file", str(png_file(tmp_path, "blue.png", (20, 60, 220))))
    page.click("#avatar-ajax button[type=submit]")
    page.wait_for_function("document.getElementById('avatar-ajax').dataset.uploaded")
    second = page.get_attribute("#avatar", "src")
    assert second != first
    assert second.startswith("/avatars/")
    with Image.open(io.BytesIO(page.request.get(live.url + second).body())) as avatar:
        assert avatar.size == (128, 128)
        assert avatar.convert("RGB").getpixel((64, 64))[2] > 150  # the blue one
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("just text")
    page.set_input_files("#avatar-ajax-file", str(not_an_image))
    page.click("#avatar-ajax button[type=submit]")
    page.wait_for_selector("#avatar-ajax-error:not([hidden])")
    shot(page, "profile")

    page.goto(live.url + "/hosts")
    page.fill("input[name='owner.name']", "Ops team")
    page.fill("input[name='owner.email']", "ops@example.com")
    page.fill("input[name='hosts[0].host']", "web")
    page.fill("input[name='hosts[0].ip']", "10.0.0.1")
    page.fill("input[name='hosts[0].port']", "80")
    page.click("#add-row")
    page.fill("input[name='hosts[1].host']", "db")
    page.fill("input[name='hosts[1].ip']", "10.0.0.300")
    page.fill("input[name='hosts[1].port']", "5432")
    page.click("#add-row")
    assert page.locator("tr.host-row").count() == 3
    page.click("#save-hosts")
    assert page.text_content("[data-for='hosts[1].ip']").strip()
    shot(page, "hosts")
    page.click("tr.host-row:nth-child(3) button.remove")
    page.fill("input[name='hosts[1].ip']", "10.0.0.3")
    page.click("#save-hosts")
    page.wait_for_selector("#saved")
    assert page.locator("tr.host-row").count() == 2
    page.reload()
    assert page.input_value("input[name='hosts[1].ip']") == "10.0.0.3"

    page.goto(live.url + "/cookies")
    page.click("#set-cookies")
    page.click("#tamper-cookies")
    assert page.locator("#cookie-demo .rejected").count() == 2
    shot(page, "cookies")
    page.goto(live.url + "/cluster")
    assert page.locator("#ring svg .session-point").count() == 1

    page.click("#logout")
    page.wait_for_url(live.url + "/")
    assert page.locator("#login-link").count() == 1
    page.goto(live.url + "/account")
    assert page.url.startswith(live.url + "/login")
    in_browser.log_in(live, page, "alice")
    page.goto(live.url + "/profile")
    assert page.get_attribute("#avatar", "src") == second  # kept with the account


def test_errors_in_chinese_for_a_chinese_browser(in_browser, live, context_factory) -> None:  # type: ignore[no-untyped-def]
    page = context_factory(locale="zh-CN").new_page()
    page.goto(live.url + "/register")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.fill("input[name=username]", "x")
    page.fill("input[name=email]", "not an email")
    page.fill("input[name=password]", "short")
    page.fill("input[name=confirm]", "other")
    in_browser.answer_captcha(live, page)  # a failed captcha would hide every other error
    page.click("#register-form button[type=submit]")
    errors = page.locator("p.error").all_text_contents()
    assert len(errors) >= 3
    assert all(re.search("[\u4e00-\u9fff]", message) for message in errors), errors
    assert page.input_value("input[name=username]") == "x"  # re-filled from form.submitted
    assert page.input_value("input[name=password]") == ""  # a password never comes back
    shot(page, "register-zh")


def test_register_with_the_proof_of_work_instead_of_the_picture(live, context_factory) -> None:  # type: ignore[no-untyped-def]
    """The accessible path: press the button, leave the picture empty, and the account is made."""
    page = context_factory().new_page()
    page.goto(live.url + "/register")
    page.fill("input[name=username]", "powell")
    page.fill("input[name=email]", "powell@example.com")
    page.fill("input[name=password]", "correct horse battery")
    page.fill("input[name=confirm]", "correct horse battery")
    button = page.locator("[data-pow-start]")
    assert button.is_visible()  # shown by the script; hidden without it
    button.click()
    status = page.locator("[data-pow-status]")
    assert status.get_attribute("aria-live") == "polite"
    page.wait_for_selector("#register-form[data-pow-state=verified]", state="attached", timeout=30_000)
    assert status.text_content() == "Verified: you can leave the picture field empty."
    assert page.input_value("#captcha-answer") == ""
    page.click("#register-form button[type=submit]")
    page.wait_for_url(live.url + "/account")


def test_a_solved_proof_of_work_is_taken_once_and_by_its_session(live, client, new_client) -> None:  # type: ignore[no-untyped-def]
    """Solved outside a browser (as a bot would): accepted once, by the session it was issued to."""

    def solve(page: str) -> str:
        match = re.search(r'name="pow.challenge" value="([^"]+)"', page)
        assert match
        challenge = json.loads(html.unescape(match.group(1)))
        number = next(
            n
            for n in range(challenge["maxnumber"] + 1)
            if hashlib.sha256(f"{challenge['salt']}{n}".encode()).hexdigest() == challenge["challenge"]
        )
        solution = {key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")}
        return base64.b64encode(json.dumps({**solution, "number": number}).encode()).decode()

    def post(who, payload: str):  # type: ignore[no-untyped-def]
        return who.post(
            "/login", {"username": "nobody", "password": "wrong password", "pow.payload": payload}
        )

    payload = solve(client.get("/login").body)
    other = new_client(live)
    other.get("/login")
    assert 'data-for="captcha"' in post(other, payload).body  # not issued to this session
    payload = solve(client.get("/login").body)
    first = post(client, payload)
    assert 'data-for="captcha"' not in first.body  # passed: the login itself failed
    assert "Wrong username or password." in first.body
    assert 'data-for="captcha"' in post(client, payload).body  # once only


def test_sign_out_another_session(in_browser, live, context_factory) -> None:  # type: ignore[no-untyped-def]
    laptop = context_factory().new_page()
    in_browser.register(live, laptop, "bob")
    phone = context_factory().new_page()
    in_browser.log_in(live, phone, "bob")
    laptop.reload()
    assert laptop.locator("#sessions tr.session").count() == 2
    laptop.click("#sign-out-others")
    laptop.wait_for_selector("#ended")
    assert laptop.locator("#sessions tr.session").count() == 1
    phone.goto(live.url + "/account")
    assert phone.url.startswith(live.url + "/login")  # signed out there


def test_flows_on_sharded_sessions_and_the_ring(in_browser, servers, make_live, context_factory) -> None:  # type: ignore[no-untyped-def]
    """Register and log in with sessions on three Redis shards; the cluster page draws the ring."""
    nodes = [servers.redis() for _ in range(3)]
    live = make_live(session_store=",".join(node.url for node in nodes), captcha_store="session")
    page = context_factory().new_page()
    in_browser.register(live, page, "carol")
    page.click("#logout")
    page.wait_for_url(live.url + "/")
    in_browser.log_in(live, page, "carol")
    page.goto(live.url + "/cluster")
    assert page.text_content("#store-kind") == "sharded"
    assert page.locator("#nodes tr.node").count() == 3
    assert page.locator("#ring svg line").count() > 100  # the arcs, traced by probe keys
    owner = page.text_content("#session-home strong")
    assert owner in {f"127.0.0.1:{node.port}" for node in nodes}
    shot(page, "cluster")


def test_no_page_can_frame_the_account_page(in_browser, live, context_factory) -> None:  # type: ignore[no-untyped-def]
    """``frame-ancestors 'none'``: a page that frames /account shows nothing of it."""
    context = context_factory()
    page = context.new_page()
    in_browser.register(live, page, "gina")
    assert "gina" in page.text_content("#signed-in-as")
    page.goto(live.url + "/cookies")  # even a page of the same site, which gets the cookies
    page.evaluate(
        """() => { const frame = document.createElement("iframe");
                   frame.src = "/account"; document.body.append(frame); }"""
    )
    page.wait_for_timeout(1000)
    framed = [frame for frame in page.frames if frame != page.main_frame]
    assert framed
    for frame in framed:
        assert 'id="signed-in-as"' not in frame.content()


def test_back_after_logout_does_not_show_the_account(in_browser, live, context_factory) -> None:  # type: ignore[no-untyped-def]
    """Signed-in pages are ``no-store``: Back after logging out asks the server again."""
    page = context_factory().new_page()
    in_browser.register(live, page, "hank")
    page.goto(live.url + "/account")
    page.click("#logout")
    page.wait_for_url(live.url + "/")
    page.go_back()
    page.wait_for_load_state()
    assert page.locator("#signed-in-as").count() == 0
    assert "/login" in page.url

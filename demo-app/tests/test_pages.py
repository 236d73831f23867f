"""Every page and every form error path over HTTP, on the embedded defaults."""

from __future__ import annotations

import asyncio
import gc
import io
import json
import re
import time
import urllib.parse
import uuid
import weakref

import pytest
from PIL import Image

from anemo.signedvalue.tornado import JSONCookieMixin
from anemo_demo.handlers.base import BaseHandler
from anemo_demo.handlers.infra import StaticFiles

PASSWORD = "correct horse battery"


def test_every_page_renders(client) -> None:
    """Each page answers 200 and is rendered through the layout (header, nav, footer)."""
    for path in ("/", "/visits", "/register", "/login", "/hosts", "/cookies", "/cluster", "/subdomain"):
        response = client.get(path)
        assert response.status == 200, path
        assert "<nav>" in response.body, path
        assert "Built with anemo" in response.body, path
        assert re.search(r"/static/style\.css\?v=[0-9a-f]+", response.body), "static_url versions files"
    assert 'aria-current="page">Hosts' in client.get("/hosts").body  # the UI module marks the page


def test_a_finished_page_is_freed_without_the_cyclic_gc(live, client, monkeypatch) -> None:
    """Each handler is freed when its request ends: one held in a reference cycle keeps its whole
    request (connection, session, page) alive until a GC pass, and those passes cost CPU and
    pauses in proportion to what they find."""
    handlers: list[weakref.ref[BaseHandler]] = []
    initialize = BaseHandler.initialize

    def tracked(self: BaseHandler, *args: object, **kwargs: object) -> None:
        handlers.append(weakref.ref(self))
        initialize(self, *args, **kwargs)

    monkeypatch.setattr(BaseHandler, "initialize", tracked)
    gc.collect()
    gc.disable()
    try:
        pages = ("/", "/visits", "/hosts", "/cookies", "/cluster", "/subdomain", "/login", "/register")
        for path in pages:
            assert client.get(path).status == 200, path
        assert client.get("/account").status == 302  # to the sign-in page
        assert client.get("/nowhere").status == 404  # the error page, rendered
        live.call(asyncio.sleep(0.05))
        alive = [type(handler).__name__ for handler in (ref() for ref in handlers) if handler is not None]
    finally:
        gc.enable()
    assert len(handlers) == len(pages) + 2
    assert alive == []


def test_static_urls_are_kept_until_reset(tmp_path) -> None:
    """A versioned URL is made once; ``reset()`` (every request in debug mode) makes it again."""
    (tmp_path / "app.js").write_text("one")
    settings = {"static_path": str(tmp_path)}
    first = StaticFiles.make_static_url(settings, "app.js")
    assert first.startswith("/static/app.js?v=")
    (tmp_path / "app.js").write_text("two")
    assert StaticFiles.make_static_url(settings, "app.js") == first
    assert StaticFiles.make_static_url(settings, "app.js", include_version=False) == "/static/app.js"
    StaticFiles.reset()
    second = StaticFiles.make_static_url(settings, "app.js")
    assert second.startswith("/static/app.js?v=")
    assert second != first


def test_a_page_builds_its_template_namespace_once(client, monkeypatch) -> None:
    """The Nav UI module renders without building the namespace (and checking the prefs cookie) again."""
    client.post("/cookies", {"action": "prefs", "theme": "dark"})
    built: list[str] = []
    verified: list[str] = []
    namespace, read_cookie = BaseHandler.get_template_namespace, JSONCookieMixin.get_signed_json_cookie

    def counted_namespace(self: BaseHandler) -> dict[str, object]:
        built.append(self.request.path)
        return namespace(self)

    def counted_cookie(self: JSONCookieMixin, name: str, **options: float) -> object:
        verified.append(name)
        return read_cookie(self, name, **options)

    monkeypatch.setattr(BaseHandler, "get_template_namespace", counted_namespace)
    monkeypatch.setattr(JSONCookieMixin, "get_signed_json_cookie", counted_cookie)
    for path in ("/", "/visits", "/hosts", "/cookies"):
        built.clear()
        verified.clear()
        page = client.get(path).body
        assert "<nav>" in page, path
        assert 'data-theme="dark"' in page, path
        assert built == [path], path
        assert verified.count("prefs") == 1, path


def test_nav_marks_the_page_in_the_visitors_language(live, client, new_client) -> None:
    """The nav is kept per language and current page: each visitor still gets their own."""
    chinese = new_client(live)
    chinese.language = "zh-CN"
    for _ in range(2):
        assert 'class="current" aria-current="page">Home</a>' in client.get("/").body
        assert 'aria-current="page">Hosts' in client.get("/hosts").body
        assert 'href="/hosts">Hosts</a>' in client.get("/").body
        assert '<a href="/hosts" class="current"' not in client.get("/nowhere/hosts").body
        assert "Home</a>" not in chinese.get("/").body
        assert 'aria-current="page">Hosts' not in chinese.get("/").body


def test_errors_are_template_pages_never_tracebacks(client) -> None:
    for path, status in (("/no/such/page", 404), ("/captcha/" + "A" * 22, 404)):
        response = client.get(path)
        assert response.status == status
        assert "Traceback" not in response.body
    forged = client.request("/register", b"username=x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert forged.status == 403  # no XSRF token
    assert '<h1 id="status">403</h1>' in forged.body
    assert client.post("/account/sign-out-others").status == 403  # not signed in
    assert client.get("/logout").location == "/"  # signed out: nothing to end
    bad = client.get("/async/work?delay=soon")
    assert bad.status == 400
    assert json.loads(bad.body) == {"error": "delay must be a finite number of seconds"}  # an API's error
    unknown = client.post("/hosts", {"action": "explode"})
    assert unknown.status == 400
    assert '<h1 id="status">400</h1>' in unknown.body  # the template page, not Tornado's default


def test_register_log_out_log_in(live, client, register_user, solve_captcha, new_client) -> None:
    """Register logs in with a new session id; logout ends it server-side; login again."""
    client.get("/visits")
    anonymous = client.cookie("session")
    response = register_user(live, client, "alice")
    assert response.status == 302
    assert response.location == "/account"
    assert client.cookie("session") not in (None, anonymous)  # regenerated on login
    assert 'id="signed-in-as">alice<' in client.get("/account").body

    before_logout = client.cookie("session")
    assert client.post("/logout").location == "/"
    assert client.cookie("session") is None
    replay = new_client(live)
    replay.jar.set_cookie(next(c for c in client.jar if c.name == "_xsrf"))
    assert replay.get("/account").status == 302  # the old cookie is worthless
    assert before_logout

    page = client.get("/login?next=/hosts").body
    response = client.post(
        "/login", {"username": "alice", "password": PASSWORD, "next": "/hosts", **solve_captcha(live, page)}
    )
    assert response.location == "/hosts"


@pytest.mark.parametrize("language", ["en-US", "zh-CN"])
def test_register_errors_are_inline_and_translated(live, client, solve_captcha, language) -> None:
    client.language = language
    page = client.get("/register").body
    response = client.post(
        "/register",
        {
            "username": "x",
            "email": "not-an-email",
            "password": "short",
            "confirm": "other",
            **solve_captcha(live, page),
        },
    )
    assert response.status == 400
    errors = dict(re.findall(r'<p class="error" data-for="([^"]+)">([^<]+)</p>', response.body))
    assert set(errors) >= {"username", "email", "password"}
    chinese = any("\u4e00" <= char <= "\u9fff" for char in "".join(errors.values()))
    assert chinese == (language == "zh-CN")
    assert 'value="not-an-email"' in response.body  # typed values are kept


def test_wrong_captcha_is_refused_before_credentials(live, client, register_user) -> None:
    register_user(live, client, "bob")
    client.post("/logout")
    page = client.get("/login").body
    token = re.search(r'name="captcha.challenge" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login",
        {"username": "bob", "password": PASSWORD, "captcha.challenge": token, "captcha.answer": "WRONG"},
    )
    assert response.status == 400
    assert 'data-for="captcha"' in response.body
    assert client.get("/account").status == 302  # not logged in
    # the used challenge cannot be replayed with the right answer either
    replay = client.post(
        "/login", {"username": "bob", "password": PASSWORD, "captcha.challenge": token, "captcha.answer": "X"}
    )
    assert replay.status == 400


def test_wrong_password_and_taken_username(live, client, register_user, solve_captcha, new_client) -> None:
    register_user(live, client, "carol")
    client.post("/logout")
    page = client.get("/login").body
    response = client.post(
        "/login", {"username": "carol", "password": "nope nope nope", **solve_captcha(live, page)}
    )
    assert response.status == 400
    assert 'id="notice"' in response.body
    other = new_client(live)
    response = register_user(live, other, "CAROL")
    assert response.status == 400
    assert "taken" in response.body


def test_open_redirects_are_refused(live, client, register_user, solve_captcha) -> None:
    register_user(live, client, "dave")
    client.post("/logout")
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        page = client.get("/login").body
        response = client.post(
            "/login", {"username": "dave", "password": PASSWORD, "next": target, **solve_captcha(live, page)}
        )
        assert response.location == "/account", target
        client.post("/logout")


def test_account_lists_sessions_and_signs_out_the_others(
    live, register_user, solve_captcha, new_client
) -> None:
    laptop, phone = new_client(live), new_client(live)
    register_user(live, laptop, "erin")
    page = phone.get("/login").body
    phone.post("/login", {"username": "erin", "password": PASSWORD, **solve_captcha(live, page)})
    listing = laptop.get("/account").body
    assert listing.count('class="session') == 2
    assert listing.count('class="session current"') == 1
    response = laptop.post("/account/sign-out-others")
    assert response.location == "/account?ended=1"
    assert phone.get("/account").status == 302  # the phone was signed out
    assert laptop.get("/account").status == 200


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_each_device_is_named_alerted_once_and_can_be_signed_out(
    live, register_user, solve_captcha, new_client
) -> None:
    """The account page names each device and network, alerts of new browsers, ends one device."""
    laptop, phone = new_client(live), new_client(live)
    register_user(live, laptop, "fay")
    for _ in range(2):  # the second sign-in on the phone is on a browser fay used before: no new alert
        page = phone.get("/login", **{"User-Agent": IPHONE}).body
        fields = {"username": "fay", "password": PASSWORD, **solve_captcha(live, page)}
        assert phone.post("/login", fields, **{"User-Agent": IPHONE}).status == 302
    assert next(c for c in phone.jar if c.name == "session").expires is None  # not remembered
    listing = laptop.get("/account").body
    assert "Mobile Safari on iOS (iPhone)" in listing
    assert "127.0.0.0/24" in listing  # the network, not the address
    alerts = re.search(r'<ul id="sign-in-alerts">(.*?)</ul>', listing, re.DOTALL)
    assert alerts is not None
    assert alerts.group(1).count("<li>") == 2  # the laptop's registration and the phone's first login
    phone_row = re.search(r'data-id-hash="([0-9a-f]{16})">\s*<td class="device"[^>]*>Mobile Safari', listing)
    assert phone_row is not None
    response = laptop.post(f"/account/sessions/{phone_row.group(1)}/sign-out")
    assert response.location == "/account"
    page = laptop.get("/account").body
    assert "That device is signed out." in page
    assert page.count('class="session') == 1
    assert "That device is signed out." not in laptop.get("/account").body  # a flash shows once
    assert phone.get("/account").status == 302


def test_remember_me_keeps_the_cookie_past_the_browser_session(
    live, register_user, solve_captcha, new_client
) -> None:
    register_user(live, new_client(live), "gus")
    browser = new_client(live)
    page = browser.get("/login").body
    fields = {"username": "gus", "password": PASSWORD, "remember": "yes", **solve_captcha(live, page)}
    assert browser.post("/login", fields).status == 302
    cookie = next(c for c in browser.jar if c.name == "session")
    assert cookie.expires is not None


def png(size: tuple[int, int] = (300, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 90)).save(buffer, format="PNG")
    return buffer.getvalue()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for name, (filename, body, content_type) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + body
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def test_avatar_upload_by_form_and_ajax(live, client, register_user) -> None:
    register_user(live, client, "frank")
    body, content_type = multipart(
        {"_xsrf": client.cookie("_xsrf") or "", "display_name": "Frank"},
        {"avatar": ("../../etc/passwd.png", png(), "image/png")},
    )
    response = client.request("/profile", body, {"Content-Type": content_type})
    assert response.location == "/profile?saved=1"
    page = client.get("/profile").body
    avatar = re.search(r'id="avatar" src="(/avatars/[^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert "passwd" not in avatar
    image = client.get(avatar)
    assert image.status == 200
    saved = list(live.services.avatars.iterdir())
    assert len(saved) == 1
    assert saved[0].parent == live.services.avatars
    with Image.open(saved[0]) as thumbnail:
        assert thumbnail.size == (128, 128)

    body, content_type = multipart({}, {"avatar": ("me.png", png((64, 64)), "image/png")})
    response = client.request(
        "/profile/avatar",
        body,
        {
            "Content-Type": content_type,
            "X-XSRFToken": client.cookie("_xsrf") or "",
            "X-Requested-With": "XMLHttpRequest",
        },
    )
    assert response.status == 200
    assert json.loads(response.body)["avatar_url"].startswith("/avatars/")


def test_bad_avatars_are_refused(live, client, register_user) -> None:
    register_user(live, client, "grace")
    headers = {"X-XSRFToken": client.cookie("_xsrf") or "", "X-Requested-With": "XMLHttpRequest"}
    for filename, data in (
        ("evil.png", b"<script>alert(1)</script>"),  # not an image whatever its name
        ("big.png", png((3000, 3000)) + b"\0" * (2 * 1024 * 1024)),  # too large
        ("broken.png", png()[:60]),  # a damaged image
    ):
        body, content_type = multipart({}, {"avatar": (filename, data, "image/png")})
        response = client.request("/profile/avatar", body, {"Content-Type": content_type, **headers})
        assert response.status == 400, filename
        assert "avatar" in json.loads(response.body)["errors"], filename
    assert list(live.services.avatars.iterdir()) == []


def test_hosts_rows_added_removed_and_saved(live, client, register_user) -> None:
    def form(
        rows: list[dict[str, str]], action: str, owner: tuple[str, str] = ("Ops", "ops@example.com")
    ) -> dict[str, str]:
        data = {"owner.name": owner[0], "owner.email": owner[1], "action": action}
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"hosts[{index}].{key}"] = value
        return data

    web = {"host": "web", "ip": "10.0.0.1", "port": "80", "phone": ""}
    bad = {"host": "db", "ip": "10.0.0.300", "port": "70000", "phone": ""}
    page = client.post("/hosts", form([web], "add")).body
    assert page.count('class="host-row"') == 2
    assert 'value="web"' in page
    assert client.get("/hosts").body.count('class="host-row"') == 1  # nothing kept for a stranger
    valid = client.post("/hosts", form([web], "save"))
    assert valid.status == 200
    assert 'id="valid"' in valid.body  # checked, and told why it is not kept
    register_user(live, client, "hostkeeper")
    client.post("/hosts", form([web], "add"))
    assert client.get("/hosts").body.count('class="host-row"') == 2  # the draft is in the session
    page = client.post("/hosts", form([web, bad], "save")).body
    assert 'data-for="hosts[1].ip"' in page
    assert 'data-for="hosts[1].port"' in page
    page = client.post("/hosts", form([web, bad], "remove-1")).body
    assert page.count('class="host-row"') == 1
    response = client.post("/hosts", form([web], "save", owner=("", "x")))
    assert response.status == 400
    assert 'data-for="owner.name"' in response.body
    assert 'data-for="owner.email"' in response.body
    response = client.post("/hosts", form([web], "save"))
    assert response.status == 200
    assert 'id="saved"' in response.body
    assert 'value="10.0.0.1"' in client.get("/hosts").body


def test_cookie_page_shows_tampering(client) -> None:
    client.post("/cookies", {"action": "set"})
    rows = client.get("/cookies").body
    assert rows.count(">alice</td>") == 3
    client.post("/cookies", {"action": "tamper"})
    page = client.get("/cookies").body
    read = dict(re.findall(r'<tr data-kind="(\w+)">.*?<td class="read">(.*?)</td>', page, re.S))
    assert read["plain"] != "alice"
    assert "rejected" not in read["plain"]
    assert "rejected" in read["signed"]
    assert "rejected" in read["encrypted"]


def test_preferences_in_a_signed_cookie(client) -> None:
    client.post("/cookies", {"action": "prefs", "theme": "dark"})
    assert 'data-theme="dark"' in client.get("/").body
    prefs = next(c for c in client.jar if c.name == "prefs")
    prefs.value = prefs.value[:-2] + ("AA" if not prefs.value.endswith("AA") else "BB")
    assert 'data-theme="light"' in client.get("/").body  # a forged preference is ignored


def test_cluster_page_draws_the_ring(client) -> None:
    client.get("/visits")
    page = client.get("/cluster").body
    assert 'id="store-kind">memory<' in page
    assert "<svg" in page
    assert 'class="session-point"' in page
    assert "Your session lives on" in page


def test_async_page_keeps_the_process_serving(live, client, new_client) -> None:
    """While /async awaits its one-second call, other requests are answered at once."""
    import threading

    result: dict[str, object] = {}

    def slow() -> None:
        result["page"] = client.get("/async")

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    time.sleep(0.2)
    other = new_client(live).get("/bare")
    served = time.monotonic() - started
    thread.join(10)
    assert other.status == 200
    assert served < 0.8
    assert result["page"].status == 200  # type: ignore[attr-defined]
    assert time.monotonic() - started >= 1.0


def test_subdomain_routing(client) -> None:
    response = client.get("/", Host="api.localhost")
    assert json.loads(response.body)["handlers"] == "api.localhost"
    assert "<html" in client.get("/").body


def test_gigantic_and_garbled_posts_fail_cleanly(client) -> None:
    huge = {f"hosts[{n}].host": "x" for n in range(5000)}
    response = client.post("/hosts", {**huge, "action": "save"})
    assert response.status == 413  # over the forms' body limit, refused before it is read
    many = {f"hosts[{n}].host": "x" for n in range(2000)}
    response = client.post("/hosts", {**many, "action": "save"})
    assert response.status in (200, 400)
    assert "Traceback" not in response.body
    garbled = client.request(
        "/hosts",
        urllib.parse.urlencode({"_xsrf": client.cookie("_xsrf") or "", "action": "save"}).encode()
        + b"&owner.name=%ff%fe",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert garbled.status == 400
    assert "Traceback" not in garbled.body

"""One anonymous client with a script: it must not freeze, bloat, probe or break the demo.

Each test is an attack that worked on an earlier build (see the demo README's "Security").
"""

from __future__ import annotations

import http.server
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anemo.sessions import MemoryStore, ShardedStore
from anemo_testing import Servers, free_port

PASSWORD = "correct horse battery"


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 3.0) -> bytes:
    """Send ``head`` (and ``body``) on a fresh connection; what the server answered before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as connection:
        connection.sendall(head.encode("latin-1") + body)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return received


# 1. Non-finite numbers never reach a timer.


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "inf", "-Infinity", "1e999"])
def test_non_finite_delays_are_refused(client, value: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/async/work?delay={value}")
    assert response.status == 400
    assert "finite" in response.body


def test_a_trickle_of_nan_leaves_the_timers_alone(live, new_client) -> None:  # type: ignore[no-untyped-def]
    """Ten NaN delays a second while a visitor loads /async: their page still takes about 1 s."""
    statuses: list[int] = []
    stop = threading.Event()

    def trickle() -> None:
        attacker = new_client(live)
        while not stop.is_set():
            statuses.append(attacker.get("/async/work?delay=nan").status)
            time.sleep(0.1)

    thread = threading.Thread(target=trickle)
    thread.start()
    try:
        time.sleep(0.5)
        started = time.monotonic()
        page = new_client(live).get("/async")
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(10)
    assert page.status == 200
    assert 1.0 <= elapsed < 2.0
    assert len(statuses) >= 5
    assert set(statuses) == {400}


# 2. Anonymous visitors cannot fill the session store.


def session_cookie(response) -> str | None:  # type: ignore[no-untyped-def]
    """The value of a ``session=`` Set-Cookie in ``response``, if it sets one."""
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("session="):
            return str(header.split(";")[0][len("session=") :])
    return None


def full_hosts_form() -> dict[str, str]:
    """The largest hosts draft a form can post: 20 rows of 4 fields of 255 characters."""
    data = {"owner.name": "o" * 255, "owner.email": "e" * 255, "action": "add"}
    for row in range(20):
        for field in ("host", "ip", "port", "phone"):
            data[f"hosts[{row}].{field}"] = "x" * 255
    return data


def test_only_the_counter_and_the_captcha_pages_start_anonymous_sessions(live, new_client) -> None:  # type: ignore[no-untyped-def]
    """Reading any page, or posting any form, gives an anonymous visitor no session, except these."""
    may_start = {"/visits", "/login", "/register"}
    for path in (
        "/",
        "/visits",
        "/hosts",
        "/cookies",
        "/cluster",
        "/subdomain",
        "/login",
        "/register",
        "/nope",
    ):
        response = new_client(live).get(path)
        assert (session_cookie(response) is not None) <= (path in may_start), path
    for path, data in (
        ("/hosts", full_hosts_form()),
        ("/hosts", {**full_hosts_form(), "action": "save"}),
        ("/cookies", {"action": "prefs", "theme": "dark"}),
    ):
        response = new_client(live).post(path, data)
        assert response.status < 500
        assert session_cookie(response) is None, (path, data["action"])


def test_an_anonymous_flood_never_signs_anyone_out(make_live, new_client, register_user) -> None:  # type: ignore[no-untyped-def]
    """The report's 1,100 sessions against a cap of 1,000, scaled down: 300 against 200, and 50 drafts."""
    store = MemoryStore(max_sessions=200)
    live = make_live(store)
    user = new_client(live)
    register_user(live, user, "alice")
    before = len(store)

    def visit(number: int) -> int:
        return new_client(live).get("/visits").status

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(visit, range(300))) == {200}
    flooder = new_client(live)
    for _ in range(50):
        assert flooder.post("/hosts", full_hosts_form()).status == 200
    assert len(store) <= 200
    assert before >= 1
    account = user.get("/account")
    assert account.status == 200
    assert 'id="signed-in-as">alice<' in account.body


def test_a_signed_in_draft_is_bounded(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    """A signed-in visitor's draft keeps each field only as long as a valid value can be."""
    register_user(live, client, "bob")
    assert client.post("/hosts", full_hosts_form()).status == 200
    session = live.services.sessions.open(client.cookie("session"))
    live.call(live.services.sessions.load(session))
    draft = session["hosts_draft"]
    assert len(draft["rows"]) == 20
    assert {len(draft["rows"][0][name]) for name in ("ip", "port", "phone")} <= {45, 5, 32}
    assert len(repr(draft)) < 10_000


# 4. No request to an address a client names.


@pytest.fixture
def other_service() -> Iterator[int]:
    """Another local HTTP service, with something to hide, on a free loopback port."""

    class Secret(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"the other service's secret")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Secret)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_the_host_header_cannot_point_async_elsewhere(client, other_service: int) -> None:  # type: ignore[no-untyped-def]
    for host in (f"x:{other_service}", f"127.0.0.1:{other_service}", f"localhost:{other_service}"):
        response = client.get("/async", Host=host)
        assert "secret" not in response.body
        assert response.status == 200
        assert "slept" in response.body  # its own /async/work answered


# 5. Bodies are refused before they are read.


@pytest.mark.parametrize("path", ["/login", "/register", "/hosts", "/cookies", "/logout", "/profile"])
def test_a_declared_huge_body_gets_413_at_once(live, path: str) -> None:  # type: ignore[no-untyped-def]
    """99 MB announced, 10 bytes sent: the answer comes without waiting for the rest."""
    started = time.monotonic()
    answer = raw_request(
        live.port,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 99000000\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
        b"a=b&c=d&e=",
    )
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert time.monotonic() - started < 2


def test_limits_fit_each_route(live, client) -> None:  # type: ignore[no-untyped-def]
    """A form just over its limit is refused; an avatar-sized upload reaches the profile page."""
    over = "x" * 64 * 1024  # the forms' limit
    refused = client.post("/login", {"username": over})
    assert refused.status == 413
    assert '<h1 id="status">413</h1>' in refused.body  # the site's error page
    upload = raw_request(
        live.port,
        "POST /profile HTTP/1.1\r\nHost: x\r\nContent-Length: 2100000\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\n\r\n",
        b"--b\r\n" + b"x" * 1000,
        timeout=1.0,
    )
    assert b" 413 " not in upload[:20]  # still reading: this size is allowed here


def test_a_chunked_body_stops_at_the_limit(live) -> None:  # type: ignore[no-untyped-def]
    """No declared length: the connection is cut once the body passes the route's limit."""
    chunk = b"%x\r\n%s\r\n" % (32768, b"a" * 32768)
    started = time.monotonic()
    answer = raw_request(
        live.port,
        "POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n",
        chunk * 4,
    )
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    assert time.monotonic() - started < 2


# 6. /async under load: queued, or a 503 with Retry-After, never an error page by accident.


def test_async_under_load_answers_200_or_503(live) -> None:  # type: ignore[no-untyped-def]
    def load(number: int) -> tuple[int, str | None]:
        request = urllib.request.Request(live.url + "/async")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, None
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Retry-After")

    with ThreadPoolExecutor(150) as pool:
        results = list(pool.map(load, range(150)))
    statuses = {status for status, _ in results}
    assert statuses <= {200, 503}, statuses
    assert sum(status == 200 for status, _ in results) >= 30
    assert all(retry == "5" for status, retry in results if status == 503)


# 7. No 500 from any input.


def test_a_control_character_in_next_falls_back_to_the_account(
    live, client, register_user, solve_captcha
) -> None:  # type: ignore[no-untyped-def]
    register_user(live, client, "carol")
    for target in ("/ho\x0bsts", "/\x0chosts", "/ho\x00sts", "/h\u00e9", "/a b", "/" + "a" * 3000):
        client.post("/logout")
        page = client.get("/login").body
        response = client.post(
            "/login", {"username": "carol", "password": PASSWORD, "next": target, **solve_captcha(live, page)}
        )
        assert response.status == 302, target
        assert response.location == "/account"


@pytest.mark.parametrize(
    "action", ["remove-\u00b2", "remove-" + "9" * 5000, "remove--1", "remove-01", "drop"]
)
def test_unknown_hosts_actions_are_400(client, action: str) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/hosts", {"action": action}).status == 400


@pytest.mark.parametrize("path", ["/static/%00", "/static/a%00b.css", "/avatars/%00.png"])
def test_nul_in_a_static_path_is_404(client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert client.get(path).status == 404


_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
_FORMS = {
    "/login": ["username", "password", "next", "captcha.challenge", "captcha.answer"],
    "/register": ["username", "email", "password", "confirm", "captcha.challenge", "captcha.answer"],
    "/hosts": [
        "owner.name",
        "owner.email",
        "hosts[0].host",
        "hosts[0].ip",
        "hosts[0].port",
        "hosts[1].phone",
    ],
    "/cookies": ["theme"],
    "/profile": ["display_name"],
    "/account/sign-out-others": [],
}
#: Row actions: ``remove-`` and any run of characters Unicode calls digits, of any length.
_ROW_ACTIONS = st.builds(
    "remove-".__add__,
    st.text(st.characters(categories=("Nd", "No")), min_size=1, max_size=4)
    | st.builds(str.__mul__, st.sampled_from("0123456789"), st.integers(1, 6000)),
)
_ACTIONS = st.one_of(_TEXT, st.sampled_from(["add", "save", "prefs", "set", "tamper"]), _ROW_ACTIONS)


def test_no_form_input_gives_a_500(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    """Random values in every field and action of every form, signed in: a 4xx at worst."""
    register_user(live, client, "mallory")

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def post(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(sorted(_FORMS)))
        form = {name: data.draw(_TEXT, label=name) for name in _FORMS[path]}
        form["action"] = data.draw(_ACTIONS, label="action")
        response = client.post(path, form)
        assert response.status < 500, (path, form, response.body[:300])
        assert "Traceback" not in response.body

    post()


# 8. Headers a browser needs, on every response.


def test_every_response_carries_the_security_headers(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    paths = ["/", "/static/style.css", "/nope", "/bare", "/async/work?delay=0", "/login"]
    for path in paths:
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"] or ""
        for directive in (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
        ):
            assert directive in policy, (path, directive)
        assert "unsafe" not in policy
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "same-origin", path
        assert headers["X-Frame-Options"] == "DENY", path
    register_user(live, client, "dave")
    for path in ("/account", "/profile", "/hosts", "/"):
        assert "no-store" in client.get(path).headers["Cache-Control"], path


# 11. Secrets stay secret.


def test_the_start_up_banner_hides_the_store_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"redis://:Sup3rS3cret@127.0.0.1:{free_port()}/0"
    command = [sys.executable, "-m", "anemo_demo", "--port", "0", "--session-store", url]
    with subprocess.Popen(
        [*command, "--data-dir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        banner = process.stdout.readline()
        process.terminate()
    assert "serving on" in banner
    assert "Sup3rS3cret" not in banner
    assert "redis://***@127.0.0.1:" in banner


def test_the_users_file_is_private(live, client, register_user) -> None:  # type: ignore[no-untyped-def]
    register_user(live, client, "erin")
    files = list(live.config.data_dir.glob("users.sqlite3*"))
    assert files
    for path in files:
        assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0, path


def test_the_cluster_page_hides_addresses_from_strangers_and_errors_from_all(
    servers: Servers, make_live, new_client, register_user
) -> None:  # type: ignore[no-untyped-def]
    nodes = [servers.redis() for _ in range(2)]
    live = make_live(session_store=",".join(node.url for node in nodes), captcha_store="memory")
    member = new_client(live)
    register_user(live, member, "frank")
    home = live.services.sessions.store.node_of(
        live.services.sessions.open(member.cookie("session")).claim.id
    )
    alive, dead = sorted(nodes, key=lambda node: not home.endswith(f":{node.port}"))
    dead.kill()
    stranger = new_client(live).get("/cluster")
    assert stranger.status == 200
    for node in nodes:
        assert str(node.port) not in stranger.body
    assert "node 1" in stranger.body
    page = member.get("/cluster").body
    assert str(alive.port) in page  # a signed-in visitor sees where sessions live
    assert "unreachable" in page
    for raw in ("Error", "refused", "Errno", "Timeout"):
        assert raw not in page


# 12. A dead shard locks nobody out of the pages that do not need it.


def test_a_dead_shard_leaves_its_visitors_the_rest_of_the_site(
    servers: Servers, make_live, new_client, register_user, solve_captcha
) -> None:  # type: ignore[no-untyped-def]
    nodes = [servers.redis() for _ in range(2)]
    live = make_live(session_store=",".join(node.url for node in nodes), captcha_store="memory")
    store = live.services.sessions.store
    assert isinstance(store, ShardedStore)
    first = next(iter(store.nodes))
    victims = []
    for number in range(8):
        client = new_client(live)
        register_user(live, client, f"user{number}")
        session_id = live.services.sessions.open(client.cookie("session")).claim.id
        assert session_id is not None
        if store.node_of(session_id) == first:
            victims.append((number, client))
    assert victims, "no session landed on the first node"
    next(node for node in nodes if first.endswith(f":{node.port}")).kill()
    for number, client in victims:
        assert client.get("/account").status == 503  # their sign-in is on the dead node
        for path in ("/", "/login", "/register", "/cookies", "/cluster"):
            response = client.get(path)
            assert response.status == 200, path
            assert "signed-in-as" not in response.body
        page = client.get("/login").body
        response = client.post(
            "/login", {"username": f"user{number}", "password": PASSWORD, **solve_captcha(live, page)}
        )
        assert response.location == "/account"
        account = client.get("/account")  # signed in again, on the live node
        assert account.status == 200
        assert f'id="signed-in-as">user{number}<' in account.body

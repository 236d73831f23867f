"""The README's examples run as written, in order, in one namespace."""

from __future__ import annotations

import asyncio
import json
import re
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web

README = Path(__file__).resolve().parent.parent / "README.md"


def _run_blocks() -> dict[str, object]:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 5
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, block in enumerate(blocks):
        exec(compile(block, f"README.md block {number}", "exec"), namespace)
    return namespace


def test_readme_examples_run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every python block runs, its asserts holding; a fresh token is neither expired nor foreign."""
    monkeypatch.chdir(tmp_path)
    _run_blocks()
    assert capsys.readouterr().out == ""  # neither "link expired" nor "not ours"


async def _exchange(app: tornado.web.Application, tornados_cookie: bytes) -> tuple[object, str]:
    """GET /account with a cookie Tornado signed, then the cookie POST /account sets."""
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/account"
    client = tornado.httpclient.AsyncHTTPClient()
    try:
        read = await client.fetch(url, headers={"Cookie": f"user={tornados_cookie.decode()}"})
        written = await client.fetch(url, method="POST", body="id=7")
    finally:
        server.stop()
        await server.close_all_connections()
        client.close()
    jar: SimpleCookie = SimpleCookie()
    for line in written.headers.get_list("Set-Cookie"):
        jar.load(line)
    return json.loads(read.body)["user"], jar["user"].value


def test_readme_account_handler_speaks_tornados_format(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The README's handler reads what Tornado signs and writes what Tornado decodes."""
    monkeypatch.chdir(tmp_path)
    namespace = _run_blocks()
    secret = namespace["secret"]
    assert isinstance(secret, str)
    app = tornado.web.Application([(r"/account", namespace["Account"])], cookie_secret=secret)
    tornados_cookie = tornado.web.create_signed_value(secret, "user", "42")  # set_signed_cookie's value
    user, written = asyncio.run(_exchange(app, tornados_cookie))
    assert user == "42"
    assert tornado.web.decode_signed_value(secret, "user", written) == b"7"

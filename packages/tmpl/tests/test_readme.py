"""The README's examples run as written, in order, in one namespace."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import tornado.httpclient
import tornado.httpserver
import tornado.netutil
import tornado.web

README = Path(__file__).resolve().parent.parent / "README.md"


async def _fetch(app: tornado.web.Application, paths: list[str]) -> list[bytes]:
    """The bodies of ``paths`` served by ``app`` over real HTTP on a loopback port."""
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    client = tornado.httpclient.AsyncHTTPClient()
    try:
        return [(await client.fetch(f"http://127.0.0.1:{port}{path}")).body for path in paths]
    finally:
        server.stop()
        await server.close_all_connections()
        client.close()


def test_readme_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every python block runs, its asserts holding; the Tornado app then serves both pages."""
    monkeypatch.chdir(tmp_path)  # the setup blocks write their templates here
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 7
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, block in enumerate(blocks):
        exec(compile(block, f"README.md block {number}", "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, tornado.web.Application)
    home, report = asyncio.run(_fetch(app, ["/", "/report"]))
    assert home == b"<p>Hello Alice!</p>\n"
    assert report.startswith(b"0 squared is 0\n1 squared is 1\n")
    assert b"99999 squared is 9999800001\n" in report

"""anemo.tmpl.tornado in a real Tornado application, served over HTTP."""

import asyncio
import os
from pathlib import Path

import pytest

tornado_web = pytest.importorskip("tornado.web")

from tornado.httpclient import AsyncHTTPClient  # noqa: E402
from tornado.httpserver import HTTPServer  # noqa: E402
from tornado.netutil import bind_sockets  # noqa: E402

from anemo.tmpl.tornado import TornadoLoader, TornadoTemplate  # noqa: E402

PAGE = """<h1>{{ title }}</h1>
{% module Entry("<e>") %}|{{ modules.Entry("<m>") }}|{{ shout("<u>") }}
{{ static_url("site.css") }}
{{ xsrf_form_html() }} ## {% raw xsrf_form_html() %}
{{ linkify("see http://example.com") }}
{% include "footer.html" %}
{% module Template("footer.html") %}"""


class Entry(tornado_web.UIModule):
    def render(self, text: str) -> str:
        return f"<span>{tornado_web.escape.xhtml_escape(text)}</span>"


class PageHandler(tornado_web.RequestHandler):
    def get(self) -> None:
        self.render("page.html", title="<Home>")


def _shout(handler: tornado_web.RequestHandler, text: str) -> str:
    return text.upper()


async def _fetch_twice(app: tornado_web.Application, between: object = None) -> list[str]:
    sockets = bind_sockets(0, "127.0.0.1")
    server = HTTPServer(app)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    client = AsyncHTTPClient()
    bodies = []
    try:
        for _ in range(2):
            response = await client.fetch(f"http://127.0.0.1:{port}/")
            bodies.append(response.body.decode())
            if callable(between):
                between()
    finally:
        server.stop()
        await server.close_all_connections()
    return bodies


def _application(tmp_path: Path, **settings: object) -> tornado_web.Application:
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "site.css").write_text("body{}")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "page.html").write_text(PAGE)
    (tmp_path / "templates" / "footer.html").write_text("<footer>v1</footer>")
    settings = {
        "template_path": str(tmp_path / "templates"),
        "static_path": str(tmp_path / "static"),
        "xsrf_cookies": True,
        "ui_modules": {"Entry": Entry},
        "ui_methods": {"shout": _shout},
        **settings,
    }
    loader = TornadoLoader.from_settings(settings)
    return tornado_web.Application([("/", PageHandler)], template_loader=loader, **settings)


def test_render_with_tornado_namespace(tmp_path: Path) -> None:
    """self.render() works with ui modules, ui methods, static_url, xsrf and linkify."""
    tornado_web.RequestHandler._template_loaders.clear()
    body = asyncio.run(_fetch_twice(_application(tmp_path)))[0]
    lines = body.splitlines()
    assert lines[0] == "<h1>&lt;Home&gt;</h1>"
    assert lines[1] == "<span>&lt;e&gt;</span>|<span>&lt;m&gt;</span>|&lt;U&gt;"
    assert lines[2].startswith("/static/site.css?v=")
    xsrf_escaped_once, xsrf_raw = lines[3].split(" ## ")
    assert xsrf_escaped_once == xsrf_raw
    assert xsrf_raw.startswith('<input type="hidden" name="_xsrf" value="')
    assert lines[4] == 'see <a href="http://example.com">http://example.com</a>'
    assert lines[5] == lines[6] == "<footer>v1</footer>"


def test_uncached_templates_reload_changed_files(tmp_path: Path) -> None:
    """With compiled_template_cache=False a changed include is seen on the next request."""
    tornado_web.RequestHandler._template_loaders.clear()
    app = _application(tmp_path, compiled_template_cache=False)
    footer = tmp_path / "templates" / "footer.html"

    def edit() -> None:
        footer.write_text("<footer>v2</footer>")
        os.utime(footer, ns=(10**18, 10**18))

    first, second = asyncio.run(_fetch_twice(app, edit))
    assert first.splitlines()[-2:] == ["<footer>v1</footer>"] * 2
    assert second.splitlines()[-2:] == ["<footer>v2</footer>"] * 2


def test_from_settings_reads_tornado_settings(tmp_path: Path) -> None:
    """Settings map onto the loader: path, autoescape, whitespace, debug means reload."""
    loader = TornadoLoader.from_settings(
        {"template_path": str(tmp_path), "autoescape": None, "template_whitespace": "oneline", "debug": True}
    )
    assert (loader.root, loader.autoescape, loader.whitespace, loader.auto_reload) == (
        str(tmp_path.resolve()),
        None,
        "oneline",
        True,
    )
    assert not TornadoLoader.from_settings({"template_path": str(tmp_path)}).auto_reload


def test_every_render_entry_point_marks_markup_safe() -> None:
    """generate, generate_iter and the async variants all leave xsrf markup unescaped."""
    template = TornadoTemplate("{{ xsrf_form_html() }}{{ other }}")
    namespace = {"xsrf_form_html": lambda: "<input>", "other": "<b>"}
    expected = b"<input>&lt;b&gt;"

    async def render_async() -> tuple[bytes, bytes]:
        chunks = [chunk async for chunk in template.generate_async_iter(**namespace)]
        return await template.generate_async(**namespace), b"".join(chunks)

    assert template.generate(**namespace) == expected
    assert b"".join(template.generate_iter(**namespace)) == expected
    assert asyncio.run(render_async()) == (expected, expected)

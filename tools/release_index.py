"""The local package index of ``tools/release.sh``: anemo-* names from ``dist/`` only.

``LocalIndex`` serves PEP 503 pages on 127.0.0.1: an ``anemo-*`` name is answered from the built
files and nothing else (404 when absent), every other name is redirected to the upstream index.
``closure_problems`` is the refusal before pip runs: every ``anemo-*`` requirement reachable from
a request, through the built wheels' own metadata, must be satisfied by the built files.
"""

from __future__ import annotations

import email.parser
import hashlib
import html
import re
import threading
import urllib.parse
import zipfile
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from release_versions import Requirement, is_ours, normalize, satisfies, version_key

DEFAULT_UPSTREAM = "https://pypi.org/simple/"
EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def distribution_files(directories: Sequence[Path]) -> dict[str, list[Path]]:
    """The sdists and wheels in ``directories``, by normalized project name."""
    found: dict[str, list[Path]] = {}
    for directory in directories:
        for path in sorted(directory.iterdir()):
            if path.name.endswith(".whl"):
                project = path.name.split("-")[0]
            elif path.name.endswith(".tar.gz"):
                project = path.name.removesuffix(".tar.gz").rsplit("-", 1)[0]
            else:
                continue
            found.setdefault(normalize(project), []).append(path)
    return found


def wheel_version(wheel: Path) -> str:
    """The version part of a wheel's file name."""
    return wheel.name.split("-")[1]


def wheel_requirements(wheel: Path) -> list[tuple[str | None, Requirement]]:
    """``(extra or None, requirement)`` for each Requires-Dist of a wheel's METADATA."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        metadata = email.parser.Parser().parsestr(archive.read(name).decode("utf-8"), headersonly=True)
    result = []
    for text in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement.parse(text)
        extra = EXTRA_MARKER.search(requirement.marker)
        result.append((extra[1] if extra else None, requirement))
    return result


def closure_problems(requested: Sequence[Requirement], served: Mapping[str, Sequence[Path]]) -> list[str]:
    """Every ``anemo-*`` requirement reachable from ``requested`` that ``served`` cannot satisfy.

    Walks the wheels' own metadata (what pip will read), extras included. Called before pip runs:
    a missing sibling is refused here by name instead of being looked up anywhere else.
    """
    problems: list[str] = []
    seen: set[tuple[str, frozenset[str]]] = set()
    pending = [(requirement, "the request") for requirement in requested]
    while pending:
        requirement, needed_by = pending.pop(0)
        if not is_ours(requirement.name) or (requirement.name, requirement.extras) in seen:
            continue
        seen.add((requirement.name, requirement.extras))
        wheels = [path for path in served.get(requirement.name, []) if path.name.endswith(".whl")]
        if not wheels:
            problems.append(
                f"refusing to install: {needed_by} needs {requirement}, which is not in dist/ "
                f"(anemo-* names are only ever installed from dist/, never from another index)"
            )
            continue
        if requirement.url:
            problems.append(f"refusing to install: {needed_by} needs {requirement.name} from a URL")
            continue
        matching = [w for w in wheels if satisfies(wheel_version(w), requirement.specifier)]
        if not matching:
            held = ", ".join(wheel_version(w) for w in wheels)
            problems.append(
                f"refusing to install: {needed_by} needs {requirement}, but dist/ holds only {held}"
            )
            continue
        newest = max(matching, key=lambda w: version_key(wheel_version(w)))
        for extra, dependency in wheel_requirements(newest):
            if extra is None or extra in requirement.extras:
                pending.append((dependency, f"{requirement.name} {wheel_version(newest)}"))
    return problems


def simple_page(title: str, links: Sequence[tuple[str, str]]) -> bytes:
    """A PEP 503 page listing ``(href, text)`` links."""
    anchors = "\n".join(f'<a href="{html.escape(href)}">{html.escape(text)}</a><br>' for href, text in links)
    return (
        '<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.0">'
        f"<title>{html.escape(title)}</title></head>\n<body>\n{anchors}\n</body></html>\n"
    ).encode()


class LocalIndex:
    """A PEP 503 simple index on 127.0.0.1 that answers ``anemo-*`` names from local files only.

    - ``/simple/NAME/`` for an anemo name: the files in ``directories`` for that project, each
      linked with its sha256; 404 when there are none. Upstream is never asked.
    - ``/simple/NAME/`` for any other name: a 302 redirect to ``UPSTREAM/NAME/``.
    - ``/files/FILE``: one of the served files, by name; nothing else on disk is reachable.

    Use as a context manager; ``url`` is the index URL for ``pip --index-url``.
    """

    def __init__(self, directories: Sequence[Path], upstream: str = DEFAULT_UPSTREAM) -> None:
        self.projects = distribution_files(directories)
        self.files = {path.name: path for paths in self.projects.values() for path in paths}
        self.digests = {
            name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in self.files.items()
        }
        self.upstream = upstream.rstrip("/") + "/"
        #: Every path asked for, in order (the tests read it).
        self.requests: list[str] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None, "start the index first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/simple/"

    def __enter__(self) -> LocalIndex:
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index.answer(self)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the requests are kept in ``index.requests``."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-index", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def answer(self, request: BaseHTTPRequestHandler) -> None:
        """Answer one GET (see the class docstring)."""
        path = urllib.parse.unquote(urllib.parse.urlsplit(request.path).path)
        self.requests.append(path)
        if path in ("/simple", "/simple/"):
            links = [(f"/simple/{name}/", name) for name in sorted(self.projects)]
            return self._send(request, 200, simple_page("anemo", links))
        project = re.fullmatch(r"/simple/([A-Za-z0-9._-]+)/?", path)
        if project:
            name = normalize(project[1])
            if not is_ours(name):
                request.send_response(302)
                request.send_header("Location", f"{self.upstream}{name}/")
                request.send_header("Content-Length", "0")
                request.end_headers()
                return None
            files = self.projects.get(name)
            if not files:
                return self._send(request, 404, b"not in dist/\n")
            links = [(f"/files/{p.name}#sha256={self.digests[p.name]}", p.name) for p in files]
            return self._send(request, 200, simple_page(f"Links for {name}", links))
        served = re.fullmatch(r"/files/([^/]+)", path)
        if served and served[1] in self.files:
            return self._send(request, 200, self.files[served[1]].read_bytes(), "application/octet-stream")
        return self._send(request, 404, b"not found\n")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str = "text/html") -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")  # ports are reused across runs
        request.end_headers()
        request.wfile.write(body)

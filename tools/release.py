"""Build, check and install by name what anemo publishes: ``bash tools/release.sh [--tag TAG]``.

Steps, each stopping the run with one line per problem:

1. Versions: every package to release is at a final version with a dated CHANGELOG heading, and
   every ``anemo-*`` requirement (dependencies and extras) names a sibling whose current version is
   released and inside the range (``release_problems``).
2. Build: ``dist/`` is emptied, then ``uv build`` writes each sdist and the wheel built *from that
   sdist*; a wheel built straight from the tree must hold the same files (``rebuild_problems``).
3. ``twine check --strict`` on everything in ``dist/``.
4. Install by name: ``dist/`` is served as a PEP 503 index on 127.0.0.1 (``LocalIndex``): an
   ``anemo-*`` name is answered from ``dist/`` only (404 when absent), any other name is redirected
   to the upstream index. Before pip runs, the ``anemo-*`` closure of the request must be in
   ``dist/`` (``closure_problems``). Each package then goes into a fresh venv with ``pip install
   "anemo-NAME[extras]"``, pip's configuration and ``PIP_*`` variables neutralised;
   ``tools/check_wheel.py`` checks the sdist and wheel contents and imports every module there;
   then the test tools go in and the README examples run from the unpacked sdist
   (``tools/readme_check.py``), against the installed package.

``--tag anemo-NAME-vX.Y.Z`` (the release workflow) checks that the tag names the package's current
version and builds only that package into ``dist/``; the siblings it needs are built from the same
commit into a temporary directory, served by the index for the install check, and never published.

Standard library only: it runs before anything else is installed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import email.parser
import hashlib
import html
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import tomllib
import urllib.parse
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
DEFAULT_UPSTREAM = "https://pypi.org/simple/"
#: Extras that hold test tools, not features a user installs.
TEST_EXTRAS = frozenset({"test"})
#: Test tools installed beside each package to run its README examples.
TEST_TOOLS = ("pytest", "hypothesis")
#: Seconds any one subprocess may take before the run fails.
TIMEOUT = 600
#: Package pipelines run at once in step 4 (pip waits on the network more than on the CPU).
WORKERS = 3


class ReleaseError(Exception):
    """A check failed; ``problems`` holds one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


# -- Versions and ranges: the subset of PEP 440 anemo uses, so no third-party parser is needed --

FINAL_VERSION = re.compile(r"\d+(?:\.\d+)*")
CLAUSE = re.compile(r"(~=|===|==|!=|<=|>=|<|>)\s*(\S+)")


def is_final(version: str) -> bool:
    """Whether ``version`` is a plain final release ``X.Y.Z`` (no .dev, a, b, rc, post or local)."""
    return FINAL_VERSION.fullmatch(version) is not None


def _release(version: str) -> tuple[int, ...]:
    if not is_final(version):
        raise ValueError(f"{version!r} is not a final version")
    return tuple(int(part) for part in version.split("."))


def _padded(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def satisfies(version: str, specifier: str) -> bool:
    """Whether the final ``version`` is inside ``specifier`` (``">=0.1,<0.2"``; empty: anything).

    Raises ``ValueError`` for a clause this subset cannot judge, such as a pre-release bound.
    """
    current = _release(version)
    for clause in (part.strip() for part in specifier.split(",")):
        if not clause:
            continue
        match = CLAUSE.fullmatch(clause)
        if match is None:
            raise ValueError(f"cannot read the version clause {clause!r}")
        operator, target = match.groups()
        if operator == "===":
            ok = version == target
        elif target.endswith(".*") and operator in ("==", "!="):
            prefix = _release(target[:-2])
            ok = (current + (0,) * len(prefix))[: len(prefix)] == prefix
            ok = ok if operator == "==" else not ok
        else:
            if not is_final(target):
                raise ValueError(f"{clause!r}: anemo ranges name final versions only")
            have, bound = _padded(current, _release(target))
            if operator == "~=":
                prefix = _release(target)[:-1]
                if not prefix:
                    raise ValueError(f"{clause!r}: ~= needs at least two version parts")
                ok = have >= bound and current[: len(prefix)] == prefix
            else:
                ok = {
                    "==": have == bound,
                    "!=": have != bound,
                    "<=": have <= bound,
                    ">=": have >= bound,
                    "<": have < bound,
                    ">": have > bound,
                }[operator]
        if not ok:
            return False
    return True


# -- Requirements --

REQUIREMENT = re.compile(
    r"\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*"
    r"(?:\[(?P<extras>[^\]]*)\])?\s*(?P<rest>[^;]*?)\s*(?:;\s*(?P<marker>.*))?"
)
EXTRA_MARKER = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def normalize(name: str) -> str:
    """The PEP 503 normalized form of a project name: ``Anemo_Hashring`` -> ``anemo-hashring``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def is_ours(name: str) -> bool:
    """Whether a project name belongs to anemo: only ``dist/`` may ever answer for it."""
    normalized = normalize(name)
    return normalized == "anemo" or normalized.startswith("anemo-")


@dataclass(frozen=True)
class Requirement:
    """One requirement string, split into the parts the checks need."""

    name: str
    extras: frozenset[str] = frozenset()
    specifier: str = ""
    url: str = ""
    marker: str = ""

    @classmethod
    def parse(cls, text: str) -> Requirement:
        """Read ``name[extras] specifier ; marker`` (or ``name @ url``)."""
        match = REQUIREMENT.fullmatch(text)
        if match is None:
            raise ValueError(f"cannot read the requirement {text!r}")
        rest = match["rest"].strip()
        url = rest[1:].strip() if rest.startswith("@") else ""
        specifier = "" if url else rest.removeprefix("(").removesuffix(")").replace(" ", "")
        extras = frozenset(e.strip() for e in (match["extras"] or "").split(",") if e.strip())
        return cls(normalize(match["name"]), extras, specifier, url, (match["marker"] or "").strip())

    def __str__(self) -> str:
        extras = f"[{','.join(sorted(self.extras))}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"


# -- The repository: packages/NAME --


@dataclass
class Package:
    """One publishable package of the repository, as its files say today."""

    directory: Path
    project: str
    version: str
    #: ``(extra or None, requirement)`` for every dependency and every extra's requirement.
    requirements: list[tuple[str | None, Requirement]]
    extras: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The short name: ``sessions`` for ``anemo-sessions``."""
        return self.directory.name

    @property
    def changelog(self) -> Path:
        return self.directory / "CHANGELOG.md"

    @property
    def feature_extras(self) -> list[str]:
        """What a user installs: every extra but the test ones."""
        return [extra for extra in self.extras if extra not in TEST_EXTRAS]

    def requirement(self) -> str:
        """What a user types: ``anemo-NAME[every feature extra]``."""
        extras = self.feature_extras
        return f"{self.project}[{','.join(extras)}]" if extras else self.project


def read_version(init: Path) -> str:
    """The ``__version__ = "..."`` string of a package's ``__init__.py``."""
    match = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", init.read_text(encoding="utf-8"), re.M)
    if match is None:
        raise ReleaseError([f"{init}: no __version__ = '...' line"])
    return match[1]


def load_packages(root: Path) -> dict[str, Package]:
    """Every ``packages/NAME`` of the tree at ``root``, by short name."""
    packages = {}
    for pyproject in sorted(root.glob("packages/*/pyproject.toml")):
        with pyproject.open("rb") as file:
            project = tomllib.load(file)["project"]
        name = pyproject.parent.name
        requirements: list[tuple[str | None, Requirement]] = [
            (None, Requirement.parse(text)) for text in project.get("dependencies", [])
        ]
        optional: dict[str, list[str]] = project.get("optional-dependencies", {})
        for extra, texts in optional.items():
            requirements += [(extra, Requirement.parse(text)) for text in texts]
        version = read_version(pyproject.parent / "src" / "anemo" / name / "__init__.py")
        packages[name] = Package(pyproject.parent, project["name"], version, requirements, sorted(optional))
    return packages


def has_dated_heading(changelog: Path, version: str) -> bool:
    """Whether ``changelog`` has the release heading ``## VERSION - YYYY-MM-DD`` with a real date."""
    if not changelog.is_file():
        return False
    pattern = rf"^## {re.escape(version)} - (\d{{4}}-\d{{2}}-\d{{2}})\s*$"
    for match in re.finditer(pattern, changelog.read_text(encoding="utf-8"), re.M):
        with contextlib.suppress(ValueError):
            datetime.date.fromisoformat(match[1])
            return True
    return False


def unreleased_reason(package: Package, root: Path) -> str | None:
    """Why ``package``'s current version is not released, or None when it is."""
    if not is_final(package.version):
        return f"{package.version} is not a final version (X.Y.Z: no .dev, a, b, rc)"
    if not has_dated_heading(package.changelog, package.version):
        where = package.changelog.relative_to(root)
        return f"{where} has no '## {package.version} - YYYY-MM-DD' heading"
    return None


def release_problems(packages: Mapping[str, Package], selected: Sequence[str], root: Path) -> list[str]:
    """One line per reason the ``selected`` packages cannot be released as the tree stands."""
    by_project = {normalize(p.project): p for p in packages.values()}
    problems = []
    for name in selected:
        package = packages[name]
        reason = unreleased_reason(package, root)
        if reason:
            problems.append(f"{package.project} {package.version} is not released: {reason}")
        for extra, requirement in package.requirements:
            if not is_ours(requirement.name):
                continue
            where = f"{package.project} requires {requirement}" + (f" (extra {extra})" if extra else "")
            sibling = by_project.get(requirement.name)
            if sibling is None:
                problems.append(f"{where}: no packages/*/ of this repository is {requirement.name}")
                continue
            if requirement.url or not requirement.specifier:
                problems.append(f"{where}: give it a version range such as >=0.1,<0.2, not a URL or nothing")
                continue
            reason = unreleased_reason(sibling, root)
            if reason:
                problems.append(f"{where}, but {sibling.project} {sibling.version} is not released: {reason}")
                continue
            try:
                inside = satisfies(sibling.version, requirement.specifier)
            except ValueError as error:
                problems.append(f"{where}: {error}")
                continue
            if not inside:
                problems.append(
                    f"{where}, but {sibling.project} is at {sibling.version}, outside that range: "
                    f"widen the range after testing against it, or release the sibling differently"
                )
    return problems


TAG = re.compile(r"anemo-(?P<name>[a-z0-9]+(?:-[a-z0-9]+)*)-v(?P<version>.+)")


def package_for_tag(tag: str, packages: Mapping[str, Package]) -> Package:
    """The package a ``anemo-NAME-vX.Y.Z`` tag releases; raises when the tag does not match the tree."""
    match = TAG.fullmatch(tag)
    if match is None:
        raise ReleaseError([f"tag {tag!r} is not of the form anemo-NAME-vX.Y.Z"])
    by_project = {normalize(p.project): p for p in packages.values()}
    package = by_project.get(f"anemo-{match['name']}")
    if package is None:
        raise ReleaseError([f"tag {tag!r}: no package anemo-{match['name']} in packages/*/"])
    if match["version"] != package.version:
        raise ReleaseError(
            [f"tag {tag!r} names {match['version']}, but {package.project} is at {package.version}"]
        )
    return package


def closure(package: Package, packages: Mapping[str, Package]) -> list[Package]:
    """The siblings ``package`` needs through any requirement (extras included), transitively."""
    by_project = {normalize(p.project): p for p in packages.values()}
    found: list[Package] = []
    pending = [package]
    while pending:
        current = pending.pop()
        for _, requirement in current.requirements:
            sibling = by_project.get(requirement.name)
            if sibling is not None and sibling is not package and sibling not in found:
                found.append(sibling)
                pending.append(sibling)
    return found


# -- Building --


def run(
    command: Sequence[str | Path], cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command, bounded by TIMEOUT; raise ReleaseError with its output when it fails."""
    args = [str(part) for part in command]
    try:
        result = subprocess.run(
            args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise ReleaseError([f"{' '.join(args)}: still running after {TIMEOUT} s"]) from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise ReleaseError([f"{' '.join(args)} failed (exit {result.returncode}):\n{output}"])
    return result


def tool(name: str) -> str:
    """The path of a command-line tool the release needs, or a clear error."""
    path = shutil.which(name)
    if path is None:
        raise ReleaseError([f"{name} is not on PATH: run `bash tools/test.sh -s release`, which installs it"])
    return path


@dataclass(frozen=True)
class Built:
    """One package's sdist and the wheel built from it."""

    package: Package
    sdist: Path
    wheel: Path


def build(package: Package, out: Path, scratch: Path) -> Built:
    """``uv build`` the sdist, then the wheel from that sdist, into ``out``; compare with the tree's wheel."""
    stem = normalize(package.project).replace("-", "_")
    run([tool("uv"), "build", "--quiet", "--no-sources", "--out-dir", out, package.directory])
    sdist = out / f"{stem}-{package.version}.tar.gz"
    wheels = sorted(out.glob(f"{stem}-{package.version}-*.whl"))
    if not sdist.is_file() or len(wheels) != 1:
        raise ReleaseError([f"{package.project}: uv build did not leave one sdist and one wheel in {out}"])
    direct = scratch / f"from-tree-{package.name}"
    run([tool("uv"), "build", "--quiet", "--no-sources", "--wheel", "--out-dir", direct, package.directory])
    problems = rebuild_problems(wheels[0], next(direct.glob("*.whl")))
    if problems:
        raise ReleaseError([f"{package.project}: {problem}" for problem in problems])
    return Built(package, sdist, wheels[0])


def _record(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/RECORD"))
        return {line for line in archive.read(name).decode().splitlines() if line and ",," not in line}


def rebuild_problems(from_sdist: Path, from_tree: Path) -> list[str]:
    """Differences between the wheel rebuilt from the sdist and the one built from the tree."""
    a, b = _record(from_sdist), _record(from_tree)
    problems = []
    if b - a:
        names = sorted(line.split(",")[0] for line in b - a)
        problems.append(
            f"the wheel built from the sdist lacks or changes {names[:5]}: is the sdist complete?"
        )
    if a - b:
        names = sorted(line.split(",")[0] for line in a - b)
        problems.append(f"the wheel built from the sdist adds or changes {names[:5]}")
    return problems


# -- The local index --


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
        newest = max(matching, key=lambda w: _release(wheel_version(w)))
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


# -- Installing by name --


def pip_environment() -> dict[str, str]:
    """This process's environment without any pip or Python-path setting, and no pip config file.

    PIP_CONFIG_FILE=/dev/null makes pip skip every configuration file, the global one included
    (``--isolated`` would still read /etc/pip.conf); PIP_* variables such as PIP_FIND_LINKS or
    PIP_EXTRA_INDEX_URL are dropped, so the index given on the command line is the only source.
    """
    dropped = ("PIP_", "UV_", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "CONDA_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(dropped)}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PYTHONNOUSERSITE"] = "1"
    return env


def make_venv(python: str, path: Path) -> Path:
    """A fresh venv (with pip) at ``path``; returns its python."""
    run([python, "-m", "venv", path], env=pip_environment())
    return path / "bin" / "python"


def pip_install(python: Path, requirements: Sequence[str], index_url: str, constraints: Path) -> None:
    """``pip install`` into the venv of ``python`` from ``index_url`` only, held to ``constraints``."""
    run(
        [
            python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
            "--timeout", "60", "--index-url", index_url, "-c", constraints, *requirements,
        ],
        env=pip_environment(),
    )  # fmt: skip


def install_by_name(python: Path, requirements: Sequence[str], index: LocalIndex, constraints: Path) -> None:
    """``pip install REQUIREMENTS`` by name from ``index``, refused first if an anemo name is missing.

    The refusal is the first line of defence (a clear message naming the sibling); the index's
    404 for an anemo name it does not hold is the second.
    """
    problems = closure_problems([Requirement.parse(text) for text in requirements], index.projects)
    if problems:
        raise ReleaseError(problems)
    pip_install(python, requirements, index.url, constraints)


def unpack(sdist: Path, into: Path) -> Path:
    """Unpack an sdist; returns its top directory."""
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    return into / sdist.name.removesuffix(".tar.gz")


def log(message: str) -> None:
    """One progress line on stderr."""
    print(f"release: {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class InstallCheck:
    """What one package's install-by-name check needs."""

    built: Built
    index: LocalIndex
    python: str
    constraints: Path
    testing_wheel: Path
    scratch: Path


def check_install(check: InstallCheck) -> str:
    """Install one package by name in a fresh venv, check it there, run its README; returns a summary."""
    started = time.monotonic()
    built, package = check.built, check.built.package
    work = check.scratch / f"install-{package.name}"
    work.mkdir()
    python = make_venv(check.python, work / "venv")
    install_by_name(python, [package.requirement()], check.index, check.constraints)
    run([python, TOOLS / "check_wheel.py", package.name, built.wheel, "--sdist", built.sdist])
    test_needs = [str(r) for extra, r in package.requirements if extra in TEST_EXTRAS and not is_ours(r.name)]
    pip_install(
        python, [*TEST_TOOLS, *test_needs, str(check.testing_wheel)], check.index.url, check.constraints
    )
    source = unpack(built.sdist, work)
    result = run([python, "-P", TOOLS / "readme_check.py", package.name], cwd=source, env=pip_environment())
    summary = [line for line in result.stdout.splitlines() if line.strip()][-1:]
    return f"README: {summary[0] if summary else 'no output'}; {time.monotonic() - started:.0f} s"


def constraints_for(python: str) -> Path:
    """``constraints/pyX.Y.txt`` for the interpreter ``python``."""
    version = run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"]).stdout.strip()
    path = ROOT / "constraints" / f"py{version}.txt"
    if not path.is_file():
        raise ReleaseError([f"{python} is Python {version}: no constraints/py{version}.txt"])
    return path


# -- The command --


def release(tag: str | None, upstream: str, python: str, dist: Path) -> None:
    """The whole run (see the module docstring); raises ReleaseError on the first failing step."""
    started = time.monotonic()
    packages = load_packages(ROOT)
    stray = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("packages/*/src/anemo/__init__.py"))
    if stray:
        raise ReleaseError([f"delete {p}: anemo is a PEP 420 namespace and has no __init__" for p in stray])
    if tag is None:
        selected = list(packages.values())
        helpers: list[Package] = []
    else:
        selected = [package_for_tag(tag, packages)]
        helpers = closure(selected[0], packages)
    problems = release_problems(packages, [p.name for p in selected], ROOT)
    if problems:
        raise ReleaseError(problems)
    log(f"versions: {', '.join(f'{p.project} {p.version}' for p in selected)} released, sibling ranges hold")

    with tempfile.TemporaryDirectory(prefix="anemo-release-") as temporary:
        scratch = Path(temporary)
        if dist.exists():
            shutil.rmtree(dist)
        dist.mkdir(parents=True)
        siblings = scratch / "siblings"
        siblings.mkdir()
        built = [build(package, dist, scratch) for package in selected]
        for package in helpers:  # needed for the install check, never published
            build(package, siblings, scratch)
        (dist / ".gitignore").unlink(missing_ok=True)  # uv's; dist/ holds what is published, only
        log(f"built {len(built)} sdists and wheels in {dist}: each wheel from its sdist, as from the tree")
        run([tool("twine"), "check", "--strict", *sorted(dist.iterdir())])
        log("twine check --strict: ok")

        run([tool("uv"), "build", "--quiet", "--wheel", "--out-dir", scratch / "testing", ROOT / "testing"])
        testing_wheel = next((scratch / "testing").glob("*.whl"))
        constraints = constraints_for(python)
        with LocalIndex([dist, siblings], upstream) as index:
            log(f"installing by name from {index.url}: anemo-* from dist/ only, the rest from {upstream}")
            checks = [InstallCheck(b, index, python, constraints, testing_wheel, scratch) for b in built]
            failures: list[str] = []
            with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
                futures = {pool.submit(check_install, check): check for check in checks}
                for future in concurrent.futures.as_completed(futures):
                    package = futures[future].built.package
                    try:
                        summary = future.result()
                    except ReleaseError as error:
                        failures += [f"{package.project}: {problem}" for problem in error.problems]
                    else:
                        log(f"{package.requirement()}: installed by name and checked; {summary}")
            if failures:
                raise ReleaseError(failures)
    log(f"ok: {', '.join(b.name for b in sorted(dist.iterdir()))} ({time.monotonic() - started:.0f} s)")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run; one line per problem and exit 1 when a check fails."""
    parser = argparse.ArgumentParser(prog="tools/release.sh", description=__doc__.split("\n")[0])
    parser.add_argument("--tag", help="release only this package: anemo-NAME-vX.Y.Z, matching its version")
    parser.add_argument("--upstream", default=DEFAULT_UPSTREAM, help="index for every non-anemo name")
    parser.add_argument(
        "--python",
        default=os.environ.get("PYTHON") or sys.executable,
        help="interpreter of the fresh venvs (default: $PYTHON, else this one)",
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output directory (emptied first)")
    options = parser.parse_args(argv)
    try:
        release(options.tag, options.upstream, options.python, options.dist.resolve())
    except ReleaseError as error:
        for problem in error.problems:
            print(f"release: error: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

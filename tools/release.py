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
   ``dist/`` (``closure_problems``); both live in ``tools/release_index.py``. Each package then
   goes into a fresh venv with ``pip install "anemo-NAME[extras]"``, pip's configuration and
   ``PIP_*`` variables neutralised; ``tools/check_wheel.py`` checks the sdist and wheel contents
   and imports every module there; then the test tools go in and the README examples run from the
   unpacked sdist (``tools/readme_check.py``), against the installed package.

``--tag anemo-NAME-vX.Y.Z`` (the release workflow) checks that the tag names the package's current
version and builds only that package into ``dist/``; the siblings it needs are built from the same
commit into a temporary directory, served by the index for the install check, and never published.

Needs ``packaging`` (versions and requirements) and, on PATH, uv and twine.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import datetime
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from release_index import DEFAULT_UPSTREAM, LocalIndex, closure_problems
from release_versions import Requirement, is_final, is_ours, normalize, satisfies

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
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
        names = ", ".join(p.project for p in selected)
        log(f"built {names} into {dist}: each wheel from its sdist, as from the tree")
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

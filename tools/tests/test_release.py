"""tools/release.py: released-version and range checks, the local index, and dependency confusion."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import release
import release_index
import release_versions
from release import ReleaseError
from release_index import LocalIndex
from release_versions import Requirement

ROOT = Path(__file__).resolve().parents[2]
DATED = "## {version} - 2026-12-05\n\n### Added\n\n- Something a user sees.\n"


# -- Versions and ranges --


@pytest.mark.parametrize(
    ("version", "specifier", "expected"),
    [
        ("0.1.0", ">=0.1,<0.2", True),
        ("0.1.9", ">=0.1,<0.2", True),
        ("0.2.0", ">=0.1,<0.2", False),
        ("0.0.9", ">=0.1,<0.2", False),
        ("0.1", "==0.1.0", True),
        ("0.1.3", "~=0.1.2", True),
        ("0.2.0", "~=0.1.2", False),
        ("1.4.2", "==1.4.*", True),
        ("1.5.0", "!=1.5.*", False),
        ("2.0.0", "", True),
        ("0.2.0rc1", ">=0.1,<0.2", False),
        ("0.1.1rc1", ">=0.1,<0.2", True),
    ],
)
def test_satisfies(version: str, specifier: str, expected: bool) -> None:
    """Ranges as pip judges them (packaging), pre-releases of a sibling included."""
    assert release_versions.satisfies(version, specifier) is expected


@pytest.mark.parametrize(
    "version", ["0.2.0.dev0", "0.2.0a1", "0.2.0b2", "0.2.0rc1", "0.2.0.post1", "0.2+local"]
)
def test_only_plain_versions_are_final(version: str) -> None:
    """A .dev, pre-release, post or local version is never a released anemo version."""
    assert not release_versions.is_final(version)
    assert release_versions.is_final("0.2.0")


def test_requirements_are_read_with_extras_and_markers() -> None:
    """The forms hatchling writes to METADATA and the ones pyproject.toml holds."""
    requirement = Requirement.parse("Anemo_SignedValue[encrypt] <0.2,>=0.1; extra == 'encrypt'")
    assert requirement.name == "anemo-signedvalue"
    assert requirement.extras == {"encrypt"}
    assert requirement.specifier == "<0.2,>=0.1"
    assert requirement.marker == 'extra == "encrypt"'
    assert Requirement.parse("anemo-hashring @ https://example.invalid/x.whl").url


# -- Released versions and sibling ranges, on small temporary trees --


def write_package(
    root: Path,
    name: str,
    version: str,
    dependencies: list[str] | None = None,
    extras: Mapping[str, list[str]] | None = None,
    changelog: str | None = None,
) -> None:
    """A minimal packages/NAME: pyproject.toml, __init__.py with the version, and a CHANGELOG."""
    directory = root / "packages" / name
    (directory / "src" / "anemo" / name).mkdir(parents=True)
    lines = [
        f'[project]\nname = "anemo-{name}"\ndynamic = ["version"]',
        f"dependencies = {dependencies or []!r}",
    ]
    lines += ["[project.optional-dependencies]", *(f"{k} = {v!r}" for k, v in (extras or {}).items())]
    (directory / "pyproject.toml").write_text("\n".join(lines) + "\n")
    (directory / "src" / "anemo" / name / "__init__.py").write_text(f'__version__ = "{version}"\n')
    text = changelog if changelog is not None else "# Changelog\n\n" + DATED.format(version=version)
    (directory / "CHANGELOG.md").write_text(text)


def problems(root: Path) -> list[str]:
    packages = release.load_packages(root)
    return release.release_problems(packages, sorted(packages), root)


def test_a_released_tree_has_no_problems(tmp_path: Path) -> None:
    """Final versions, dated headings and ranges that hold: nothing to say."""
    write_package(tmp_path, "hashring", "0.1.0")
    write_package(tmp_path, "signedvalue", "0.1.3", extras={"encrypt": ["cryptography>=42"]})
    write_package(
        tmp_path,
        "sessions",
        "0.1.0",
        ["anemo-hashring>=0.1,<0.2", "anemo-signedvalue>=0.1,<0.2"],
        {"encrypt": ["anemo-signedvalue[encrypt]>=0.1,<0.2"]},
    )
    assert problems(tmp_path) == []


def test_a_bumped_sibling_outside_the_range_is_caught(tmp_path: Path) -> None:
    """hashring went to 0.2.0 (released) while sessions still says <0.2: one line naming both."""
    write_package(tmp_path, "hashring", "0.2.0")
    write_package(tmp_path, "sessions", "0.1.0", ["anemo-hashring>=0.1,<0.2"])
    (line,) = problems(tmp_path)
    assert "anemo-sessions requires anemo-hashring<0.2,>=0.1" in line
    assert "at 0.2.0, outside that range" in line


def test_a_sibling_range_in_an_extra_is_checked(tmp_path: Path) -> None:
    """Extras count: captcha[formvalidate] needs a formvalidate inside its range too."""
    write_package(tmp_path, "formvalidate", "1.0.0")
    write_package(tmp_path, "captcha", "0.1.0", extras={"formvalidate": ["anemo-formvalidate>=0.1,<0.2"]})
    (line,) = problems(tmp_path)
    assert "(extra formvalidate)" in line
    assert "anemo-formvalidate is at 1.0.0" in line


def test_a_dev_version_is_not_released(tmp_path: Path) -> None:
    """A .dev sibling is refused for its dependents, and for itself."""
    write_package(tmp_path, "hashring", "0.1.1.dev0", changelog="# Changelog\n\n## Unreleased\n")
    write_package(tmp_path, "sessions", "0.1.0", ["anemo-hashring>=0.1,<0.2"])
    found = problems(tmp_path)
    assert len(found) == 2
    assert any(line.startswith("anemo-hashring 0.1.1.dev0 is not released: ") for line in found)
    assert any(
        "anemo-sessions requires" in line and "0.1.1.dev0 is not a final version" in line for line in found
    )


def test_a_missing_dated_changelog_heading_means_unreleased(tmp_path: Path) -> None:
    """0.1.1 under '## Unreleased' (or with an impossible date) is not released yet."""
    write_package(
        tmp_path,
        "hashring",
        "0.1.1",
        changelog="# Changelog\n\n## Unreleased\n\n" + DATED.format(version="0.1.0"),
    )
    write_package(tmp_path, "tmpl", "0.3.0", changelog="# Changelog\n\n## 0.3.0 - 2026-13-45\n")
    found = problems(tmp_path)
    heading = "packages/hashring/CHANGELOG.md has no '## 0.1.1 - YYYY-MM-DD' heading"
    assert f"anemo-hashring 0.1.1 is not released: {heading}" in found
    assert any(line.startswith("anemo-tmpl 0.3.0 is not released") for line in found)
    assert len(found) == 2


def test_an_anemo_requirement_needs_a_range(tmp_path: Path) -> None:
    """A bare anemo-hashring would accept any future break."""
    write_package(tmp_path, "hashring", "0.1.0")
    write_package(tmp_path, "sessions", "0.1.0", ["anemo-hashring"])
    (line,) = problems(tmp_path)
    assert "give it a version range" in line


def test_a_tag_names_the_package_and_its_current_version(tmp_path: Path) -> None:
    """anemo-NAME-vX.Y.Z must match packages/NAME's __version__ exactly."""
    write_package(tmp_path, "hashring", "0.1.0")
    packages = release.load_packages(tmp_path)
    assert release.package_for_tag("anemo-hashring-v0.1.0", packages).name == "hashring"
    for tag, message in [
        ("anemo-hashring-v0.2.0", "names 0.2.0, but anemo-hashring is at 0.1.0"),
        ("anemo-nothing-v0.1.0", "no package anemo-nothing"),
        ("hashring-0.1.0", "not of the form anemo-NAME-vX.Y.Z"),
    ]:
        with pytest.raises(ReleaseError, match=message):
            release.package_for_tag(tag, packages)


def test_the_command_refuses_a_tag_that_does_not_match(capsys: pytest.CaptureFixture[str]) -> None:
    """``release.sh --tag`` stops before building anything, with one line."""
    assert release.main(["--tag", "anemo-hashring-v99.0.0", "--dist", "/nonexistent/dist"]) == 1
    assert "release: error: tag 'anemo-hashring-v99.0.0' names 99.0.0" in capsys.readouterr().err


# -- The local index and dependency confusion --


def make_wheel(directory: Path, project: str, version: str, files: Mapping[str, str]) -> Path:
    """A minimal valid pure-Python wheel: the given files plus METADATA, WHEEL and RECORD."""
    stem = f"{project.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    contents = dict(files)
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n"
    contents[f"{info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for name, text in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    contents[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    wheel = directory / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in contents.items():
            archive.writestr(name, text)
    return wheel


class FakePublicIndex:
    """A stand-in for the public index, holding a planted ``anemo-hashring 9.9.9`` and ``tinydep 1.0``.

    Records every path asked for: no ``anemo-*`` path may ever appear there.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir()
        planted = {"anemo/hashring/__init__.py": '__version__ = "9.9.9"\nPLANTED = True\n'}
        self.files = {
            "anemo-hashring": make_wheel(directory, "anemo-hashring", "9.9.9", planted),
            "tinydep": make_wheel(directory, "tinydep", "1.0", {"tinydep.py": "VALUE = 1\n"}),
        }
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                wheels = {path.name: path for path in fake.files.values()}
                project = self.path.removeprefix("/simple/").strip("/")
                if self.path.startswith("/simple/") and project in fake.files:
                    name = fake.files[project].name
                    body = f'<html><body><a href="/files/{name}">{name}</a></body></html>'.encode()
                elif self.path.startswith("/files/") and self.path[7:] in wheels:
                    body = wheels[self.path[7:]].read_bytes()
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header(
                    "Content-Type", "text/html" if self.path.startswith("/simple/") else "application/zip"
                )
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def anemo_requests(self) -> list[str]:
        return [path for path in self.requests if "anemo" in path.lower()]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def public(tmp_path: Path) -> Iterator[FakePublicIndex]:
    index = FakePublicIndex(tmp_path / "public")
    yield index
    index.close()


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real wheels of hashring, signedvalue and sessions, built from this checkout."""
    out = tmp_path_factory.mktemp("built")
    for name in ("hashring", "signedvalue", "sessions"):
        release.run(
            [release.tool("uv"), "build", "--quiet", "--wheel", "--out-dir", out, ROOT / "packages" / name]
        )
    return {path.name.split("-")[0].removeprefix("anemo_"): path for path in out.glob("*.whl")}


def dist_of(directory: Path, wheels: list[Path]) -> Path:
    directory.mkdir()
    for wheel in wheels:
        (directory / wheel.name).write_bytes(wheel.read_bytes())
    return directory


def fetch(url: str) -> tuple[int, str, bytes]:
    """Status, Location header and body of one GET, redirects not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, "", response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers.get("Location", ""), error.read()


def test_the_index_answers_anemo_names_from_dist_only(
    tmp_path: Path, public: FakePublicIndex, ours: dict[str, Path]
) -> None:
    """anemo-* in dist/: our files; anemo-* not in dist/: 404; anything else: a redirect upstream."""
    dist = dist_of(tmp_path / "dist", [ours["sessions"]])
    with LocalIndex([dist], public.url) as index:
        status, _, body = fetch(f"{index.url}Anemo_Sessions/")  # PEP 503 normalization
        assert status == 200
        assert ours["sessions"].name.encode() in body
        assert b"#sha256=" in body
        for name in ("anemo-hashring", "anemo.hashring", "ANEMO_HASHRING", "anemo"):
            assert fetch(f"{index.url}{name}/")[0] == 404
        assert fetch(f"{index.url}tinydep/")[:2] == (302, f"{public.url}tinydep/")
        assert fetch(index.url.replace("/simple/", "/files/../pyproject.toml"))[0] == 404
    assert public.requests == []


def test_the_closure_check_names_a_missing_sibling(tmp_path: Path, ours: dict[str, Path]) -> None:
    """sessions needs hashring; without it in dist/ the request is refused, naming it."""
    served = release_index.distribution_files(
        [dist_of(tmp_path / "dist", [ours["sessions"], ours["signedvalue"]])]
    )
    (line,) = release_index.closure_problems([Requirement.parse("anemo-sessions[encrypt]")], served)
    assert "needs anemo-hashring<0.2,>=0.1, which is not in dist/" in line
    full = release_index.distribution_files([dist_of(tmp_path / "full", list(ours.values()))])
    assert release_index.closure_problems([Requirement.parse("anemo-sessions[encrypt]")], full) == []


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A fresh venv with pip, of the interpreter release.sh would use."""
    return release.make_venv(os.environ.get("PYTHON") or sys.executable, tmp_path / "venv")


def installed(python: Path, code: str) -> str:
    return subprocess.run(
        [python, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=release.pip_environment(),
    ).stdout.strip()


def test_the_planted_package_would_win_if_the_public_index_were_asked(
    tmp_path: Path, public: FakePublicIndex, venv: Path
) -> None:
    """Control: pip aimed at the fake public index takes the planted 9.9.9: the tests below mean it."""
    download: list[str | Path] = [venv, "-m", "pip", "download", "-q", "--no-deps", "-d", tmp_path / "got"]
    release.run([*download, "--index-url", public.url, "anemo-hashring"], env=release.pip_environment())
    assert [p.name for p in (tmp_path / "got").iterdir()] == ["anemo_hashring-9.9.9-py3-none-any.whl"]


def test_install_by_name_takes_ours_and_never_asks_upstream_for_anemo(
    tmp_path: Path, public: FakePublicIndex, ours: dict[str, Path], venv: Path
) -> None:
    """anemo-sessions and a bare anemo-hashring come from dist/; tinydep (not ours) from upstream."""
    dist = dist_of(tmp_path / "dist", list(ours.values()))
    with LocalIndex([dist], public.url) as index:
        release.install_by_name(
            venv, ["anemo-sessions", "anemo-hashring", "tinydep"], index, release.constraints_for(str(venv))
        )
    assert public.anemo_requests() == []
    assert "/simple/tinydep/" in public.requests  # the relay works: only the anemo names stay home
    version = installed(venv, "import anemo.hashring as h; print(h.__version__, hasattr(h, 'PLANTED'))")
    assert version == f"{release_index.wheel_version(ours['hashring'])} False"
    assert installed(venv, "import tinydep; print(tinydep.VALUE)") == "1"


def test_a_sibling_missing_from_dist_is_refused_not_fetched(
    tmp_path: Path, public: FakePublicIndex, ours: dict[str, Path], venv: Path
) -> None:
    """Without hashring in dist/: refused by name before pip runs; and pip itself, forced, finds nothing."""
    dist = dist_of(tmp_path / "dist", [ours["sessions"], ours["signedvalue"]])
    constraints = release.constraints_for(str(venv))
    with LocalIndex([dist], public.url) as index:
        with pytest.raises(
            ReleaseError,
            match=r"anemo-sessions 0\.1\.0 needs anemo-hashring<0\.2,>=0\.1, which is not in dist/",
        ):
            release.install_by_name(venv, ["anemo-sessions"], index, constraints)
        assert index.requests == []  # refused up front: pip never ran
        with pytest.raises(ReleaseError, match="No matching distribution found for anemo-hashring"):
            release.pip_install(
                venv, ["anemo-sessions"], index.url, constraints
            )  # the second line of defence
        assert "/simple/anemo-hashring/" in index.requests
    assert public.anemo_requests() == []
    names = installed(
        venv, "import importlib.metadata as m; print([d.metadata['Name'] for d in m.distributions()])"
    )
    assert "anemo" not in names

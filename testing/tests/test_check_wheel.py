"""tools/check_wheel.py rejects the wheels it exists to reject."""

from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

CHECKER = Path(__file__).resolve().parents[2] / "tools" / "check_wheel.py"


@pytest.fixture(scope="module")
def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_wheel", CHECKER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_wheel(path: Path, files: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name in files:
            archive.writestr(name, "")
    return path


LICENCE = "x-1.dist-info/licenses/LICENSE"
TYPED = ["anemo/ring/__init__.py", "anemo/ring/py.typed"]


def test_sound_wheel_has_no_problems(checker: ModuleType, tmp_path: Path) -> None:
    """py.typed and the licence present, nothing outside anemo/NAME/: accepted."""
    files = ["anemo/ring/__init__.py", "anemo/ring/py.typed", "x-1.dist-info/METADATA", LICENCE]
    assert checker.wheel_problems("ring", str(make_wheel(tmp_path / "ok.whl", files))) == []


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        (["anemo/__init__.py", "anemo/ring/__init__.py", "anemo/ring/py.typed", LICENCE], "PEP 420"),
        (["anemo/ring/__init__.py", LICENCE], "lacks anemo/ring/py.typed"),
        ([*TYPED, "ring/__init__.py", LICENCE], "outside anemo/ring/"),
        ([*TYPED, "x-1.dist-info/METADATA"], "lacks its licence"),
    ],
)
def test_broken_wheels_are_reported(
    checker: ModuleType, tmp_path: Path, files: list[str], complaint: str
) -> None:
    """A namespace-breaking __init__, a missing py.typed or licence, or a stray package fail."""
    problems = checker.wheel_problems("ring", str(make_wheel(tmp_path / "bad.whl", files)))
    assert len(problems) == 1
    assert complaint in problems[0]


@pytest.mark.parametrize("missing", ["tests/", "LICENSE", "PKG-INFO"])
def test_an_sdist_without_its_tests_or_licence_is_reported(
    checker: ModuleType, tmp_path: Path, missing: str
) -> None:
    """Users rebuild and test from the sdist: it must hold the tests, the licence and metadata."""
    members = {"tests/": "tests/test_ring.py", "LICENSE": "LICENSE", "PKG-INFO": "PKG-INFO"}
    sdist = tmp_path / "anemo_ring-0.1.0.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for wanted, member in members.items():
            if wanted != missing:
                info = tarfile.TarInfo(f"anemo_ring-0.1.0/{member}")
                archive.addfile(info, io.BytesIO(b""))
    assert checker.sdist_problems(str(sdist)) == [f"lacks {missing} (under anemo_ring-0.1.0/)"]


def test_undeclared_sibling_import_fails(tmp_path: Path) -> None:
    """A module importing a sibling that is not installed makes the check exit 1 and name it."""
    package = tmp_path / "site" / "anemo" / "ring"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "py.typed").write_text("")
    (package / "_uses_sibling.py").write_text("import anemo.notinstalled\n")
    wheel = make_wheel(tmp_path / "r.whl", ["anemo/ring/__init__.py", "anemo/ring/py.typed"])
    result = subprocess.run(
        [sys.executable, str(CHECKER), "ring", str(wheel)],
        check=False,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path / "site")},
    )
    assert result.returncode == 1
    assert "import anemo.ring._uses_sibling fails" in result.stderr
    assert "anemo.notinstalled" in result.stderr

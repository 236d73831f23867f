"""tools/check_wheel.py rejects the wheels it exists to reject."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
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


def test_sound_wheel_has_no_problems(checker: ModuleType, tmp_path: Path) -> None:
    """py.typed present, nothing outside anemo/NAME/: accepted."""
    wheel = make_wheel(
        tmp_path / "ok.whl", ["anemo/ring/__init__.py", "anemo/ring/py.typed", "x-1.dist-info/METADATA"]
    )
    assert checker.wheel_problems("ring", str(wheel)) == []


@pytest.mark.parametrize(
    ("files", "complaint"),
    [
        (["anemo/__init__.py", "anemo/ring/__init__.py", "anemo/ring/py.typed"], "PEP 420"),
        (["anemo/ring/__init__.py"], "lacks anemo/ring/py.typed"),
        (["anemo/ring/__init__.py", "anemo/ring/py.typed", "ring/__init__.py"], "outside anemo/ring/"),
    ],
)
def test_broken_wheels_are_reported(
    checker: ModuleType, tmp_path: Path, files: list[str], complaint: str
) -> None:
    """A namespace-breaking __init__, a missing py.typed or a stray top-level package fail."""
    problems = checker.wheel_problems("ring", str(make_wheel(tmp_path / "bad.whl", files)))
    assert len(problems) == 1
    assert complaint in problems[0]


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

"""Every published package states the same licence, links, Pythons and sibling ranges."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = sorted(path.parent for path in ROOT.glob("packages/*/pyproject.toml"))
REPOSITORY = "https://github.com/anemo-web/anemo"
#: Where each distribution's licence text comes from: the root file, copied because a build only
#: sees its own directory.
LICENSED = [*PACKAGES, ROOT / "demo-app", ROOT / "testing"]


def _project(directory: Path) -> dict[str, object]:
    with open(directory / "pyproject.toml", "rb") as file:
        project: dict[str, object] = tomllib.load(file)["project"]
    return project


def _requirements(project: dict[str, object]) -> list[str]:
    dependencies = project.get("dependencies", [])
    optional = project.get("optional-dependencies", {})
    assert isinstance(dependencies, list)
    assert isinstance(optional, dict)
    return [*dependencies, *(r for extra in optional.values() for r in extra)]


def test_there_are_six_packages() -> None:
    """The checks below ran over something."""
    names = ["captcha", "formvalidate", "hashring", "sessions", "signedvalue", "tmpl"]
    assert [p.name for p in PACKAGES] == names


@pytest.mark.parametrize("directory", LICENSED, ids=lambda p: p.name)
def test_licence_copies_are_the_root_licence(directory: Path) -> None:
    """Each distribution's LICENSE is the root MIT text, byte for byte, and is declared."""
    assert (directory / "LICENSE").read_bytes() == (ROOT / "LICENSE").read_bytes()
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    project = _project(directory)
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


@pytest.mark.parametrize("directory", PACKAGES, ids=lambda p: p.name)
def test_links_point_at_this_package(directory: Path) -> None:
    """The five links PyPI shows, the changelog and source ones naming this package's directory."""
    urls = _project(directory)["urls"]
    assert urls == {
        "Homepage": REPOSITORY,
        "Documentation": "https://anemo.readthedocs.io/",
        "Changelog": f"{REPOSITORY}/blob/main/packages/{directory.name}/CHANGELOG.md",
        "Source": f"{REPOSITORY}/tree/main/packages/{directory.name}",
        "Issues": f"{REPOSITORY}/issues",
    }
    assert (directory / "CHANGELOG.md").is_file()


@pytest.mark.parametrize("directory", PACKAGES, ids=lambda p: p.name)
def test_classifiers_match_what_is_tested(directory: Path) -> None:
    """Python classifiers are exactly the Pythons the matrix runs; typed packages ship py.typed."""
    project = _project(directory)
    classifiers = project["classifiers"]
    assert isinstance(classifiers, list)
    noxfile = (ROOT / "noxfile.py").read_text()
    tested = re.search(r"^PYTHONS = \[(.*)\]$", noxfile, re.MULTILINE)
    assert tested is not None
    pythons = re.findall(r'"(3\.\d+)"', tested.group(1))
    python = re.compile(r"Programming Language :: Python :: (3\.\d+)")
    claimed = [match.group(1) for c in classifiers if (match := python.fullmatch(c))]
    assert claimed == pythons
    assert project["requires-python"] == f">={pythons[0]}"
    assert "Typing :: Typed" in classifiers
    assert (directory / "src" / "anemo" / directory.name / "py.typed").is_file()
    assert sum(c.startswith("Development Status :: ") for c in classifiers) == 1


@pytest.mark.parametrize("directory", [*PACKAGES, ROOT / "demo-app"], ids=lambda p: p.name)
def test_siblings_are_required_as_one_minor_series(directory: Path) -> None:
    """Every in-repo requirement is a compatible range: a floor and the next breaking release."""
    for requirement in _requirements(_project(directory)):
        if not requirement.startswith("anemo-"):
            continue
        match = re.fullmatch(r"anemo-[a-z]+(?:\[[a-z,]+\])?>=(\d+)\.(\d+),<(\d+)\.(\d+)", requirement)
        assert match, f"{directory.name}: {requirement!r} is not a >=X.Y,<X.Y+1 range"
        major, minor, upper_major, upper_minor = map(int, match.groups())
        expected = (major, minor + 1) if major == 0 else (major + 1, 0)
        assert (upper_major, upper_minor) == expected, f"{directory.name}: {requirement!r}"

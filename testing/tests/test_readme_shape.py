"""Every package README has the house shape (GUIDE 8c): install, a first example, API, the
Tornado adapter where there is one, deliberate differences from the peer, and Measured."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
NAMES = sorted(path.name for path in PACKAGES.iterdir() if (path / "pyproject.toml").is_file())


def sections(readme: str) -> list[str]:
    """The ``## `` headings outside code fences, in order."""
    outside = re.sub(r"```.*?```", "", readme, flags=re.DOTALL)
    return re.findall(r"^## (.+)$", outside, flags=re.MULTILINE)


def shape(name: str) -> list[str]:
    """The headings the rule asks of ``name``, each as the prefix its heading starts with."""
    wanted = ["Install", "A first ", "API"]
    if (PACKAGES / name / "src" / "anemo" / name / "tornado.py").is_file():
        wanted.append("The Tornado adapter")
    return [*wanted, "Deliberate differences from ", "Measured"]


def test_every_package_is_checked() -> None:
    assert {"signedvalue", "hashring", "formvalidate", "captcha", "tmpl", "sessions"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_the_readme_has_the_house_sections_in_order(name: str) -> None:
    found = sections((PACKAGES / name / "README.md").read_text(encoding="utf-8"))
    positions = []
    for prefix in shape(name):
        matches = [index for index, heading in enumerate(found) if heading.startswith(prefix)]
        assert matches, f"{name}/README.md has no '## {prefix}...' section; it has {found}"
        positions.append(matches[0])
    assert positions == sorted(positions), f"{name}/README.md sections out of order: {found}"


@pytest.mark.parametrize("name", NAMES)
def test_the_install_section_works_today(name: str) -> None:
    """From a checkout and from a git URL, then the published name."""
    readme = (PACKAGES / name / "README.md").read_text(encoding="utf-8")
    install = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"pip install [^\n]*\./packages/{name}\b", install), "no install from a checkout"
    assert f"#subdirectory=packages/{name}" in install, "no install from a git URL"
    assert f"pip install anemo-{name}" in install or f'pip install "anemo-{name}[' in install


def test_sections_ignore_headings_inside_code() -> None:
    assert sections("## Install\n```sh\n## not a heading\n```\n## API\n") == ["Install", "API"]


def declared_floors(name: str) -> dict[str, str]:
    """Each third-party requirement's ``>=`` floor, from dependencies and every extra but ``test``."""
    with open(PACKAGES / name / "pyproject.toml", "rb") as file:
        project = tomllib.load(file)["project"]
    optional = project.get("optional-dependencies", {})
    extras = [r for extra, requirements in optional.items() if extra != "test" for r in requirements]
    floors = {}
    for requirement in [*project.get("dependencies", []), *extras]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?>=([0-9.]+)", requirement)
        if match:
            floors[match.group(1).lower()] = match.group(2)
    return floors


@pytest.mark.parametrize("name", NAMES)
def test_the_supported_versions_match_the_metadata(name: str) -> None:
    """The README's support table states the Pythons we test and every floor the metadata declares."""
    readme = (PACKAGES / name / "README.md").read_text(encoding="utf-8")
    install = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    assert "\n### Supported versions\n" in install, "no support table under Install"
    table = install.split("### Supported versions", 1)[1]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    first_cells = {row: row.split("|")[1].lower() for row in rows}
    python = next(row for row, cell in first_cells.items() if cell.strip() == "python")
    assert "3.11, 3.12, 3.13" in python
    assert any("pip" in cell and ">= 24" in row for row, cell in first_cells.items())
    for requirement, floor in declared_floors(name).items():
        matching = [row for row, cell in first_cells.items() if requirement in cell]
        assert matching, f"{name}/README.md: no support row for {requirement}"
        assert any(f">= {floor} " in row for row in matching), f"{name}: {requirement} >= {floor} not stated"

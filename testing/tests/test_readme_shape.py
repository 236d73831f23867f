"""Every package README has the house shape (GUIDE 8c): install, a first example, API, the
Tornado adapter where there is one, deliberate differences from the peer, and Measured."""

from __future__ import annotations

import re
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

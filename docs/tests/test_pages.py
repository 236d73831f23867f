"""Every example of the docs runs, and every included file has its examples run by some test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
PAGES = sorted(p for p in DOCS.rglob("*.md") if not {"_build", "tests"} & set(p.relative_to(DOCS).parts))
INCLUDE = re.compile(r"^```\{include\} (\S+)$", re.MULTILINE)
PYTHON = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _included() -> list[tuple[Path, Path]]:
    """(page, included file) for every include directive of the docs' pages."""
    found = INCLUDE.findall
    return [(page, (page.parent / name).resolve()) for page in PAGES for name in found(page.read_text())]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_page_examples_run(page: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A page's own python blocks run in order, in one namespace, their asserts holding."""
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs"}
    for number, block in enumerate(PYTHON.findall(page.read_text())):
        exec(compile(block, f"{page.name} block {number}", "exec"), namespace)


def test_pages_are_found() -> None:
    """The walk above sees the site: the landing page and a guide per package."""
    names = {p.relative_to(DOCS).as_posix() for p in PAGES}
    assert {"index.md", "packages/sessions/index.md", "packages/sessions/api.md"} <= names


@pytest.mark.parametrize(("page", "included"), _included(), ids=lambda p: p.name)
def test_included_examples_are_tested(page: Path, included: Path) -> None:
    """A file a page includes has no python block, or is a package README its package's tests run."""
    assert included.is_file(), f"{page} includes a missing {included}"
    if not PYTHON.search(included.read_text()):
        return
    package = included.parent
    untested = f"{page.name} includes {included.relative_to(ROOT)}, whose python blocks no test runs"
    assert included.name == "README.md", untested
    assert package.parent == ROOT / "packages", untested
    test = (package / "tests" / "test_readme.py").read_text()
    assert 'README.md"' in test, f"{package.name}'s tests/test_readme.py does not read its README"
    assert "exec(compile(" in test, f"{package.name}'s tests/test_readme.py does not run its README"


def test_every_package_has_a_guide_and_an_api_page() -> None:
    """Each package directory of the repository has its three pages in the site."""
    for package in sorted((ROOT / "packages").glob("*/pyproject.toml")):
        name = package.parent.name
        for page in ("index", "api", "changelog"):
            assert (DOCS / "packages" / name / f"{page}.md").is_file(), f"no {page} page for {name}"

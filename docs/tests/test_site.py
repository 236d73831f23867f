"""The built site (docs/_build/html, from ``nox -s docs``) holds every page and the whole public API."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent
HTML = DOCS / "_build" / "html"
PACKAGES = sorted(p.parent.name for p in (DOCS.parent / "packages").glob("*/pyproject.toml"))
#: The public modules beside each package's ``__init__``, documented on its API page.
SUBMODULES = {
    "signedvalue": ["encrypted", "tornado"],
    "hashring": ["adapters"],
    "sessions": ["testing", "tornado"],
    "formvalidate": ["tornado"],
    "captcha": ["redis", "formvalidate", "ratelimit", "tornado"],
    "tmpl": ["babel", "tornado"],
}

pytestmark = pytest.mark.skipif(not (HTML / "index.html").is_file(), reason="the site is not built")


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text(encoding="utf-8")))


def test_submodules_listed_are_the_public_ones() -> None:
    """Every public module of a package has a place on its API page, and nothing else."""
    for name in PACKAGES:
        source = DOCS.parent / "packages" / name / "src" / "anemo" / name
        public = sorted(p.stem for p in source.glob("[a-z]*.py") if p.stem not in ("errors",))
        assert sorted(SUBMODULES[name]) == public, name


@pytest.mark.parametrize("name", PACKAGES)
def test_api_page_documents_all_of_all(name: str) -> None:
    """Each name of ``anemo.NAME.__all__`` and of its public submodules has an entry on the API page."""
    ids = _ids(HTML / "packages" / name / "api.html")
    modules = [f"anemo.{name}", *(f"anemo.{name}.{sub}" for sub in SUBMODULES[name])]
    for module_name in modules:
        module = importlib.import_module(module_name)
        exported = [n for n in module.__all__ if n != "__version__"]
        # A name exported twice (anemo.hashring.redis_ring is anemo.hashring.adapters') has one entry.
        missing = [n for n in exported if not any(f"{home}.{n}" in ids for home in modules)]
        assert not missing, f"{module_name}: {missing} not on packages/{name}/api.html"


def test_sessions_api_has_its_main_classes() -> None:
    """The reference of the biggest package has its entry points and their methods."""
    ids = _ids(HTML / "packages" / "sessions" / "api.html")
    assert {"anemo.sessions.SessionManager", "anemo.sessions.Session", "anemo.sessions.RedisStore"} <= ids
    assert "anemo.sessions.tornado.SessionMixin" in ids
    assert any(i.startswith("anemo.sessions.SessionManager.") for i in ids)


@pytest.mark.parametrize("page", ["index", "demo", "support", "development", "security"])
def test_project_pages_built(page: str) -> None:
    """The landing page, the demo's tour, the support matrix, the development notes and the policy."""
    assert (HTML / f"{page}.html").is_file()


def test_landing_page_has_the_front_door() -> None:
    """The landing page says the two commands and links every package's guide."""
    html = (HTML / "index.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", "", html)
    assert "bash tools/demo.sh" in text
    assert "bash tools/test.sh" in text
    for name in PACKAGES:
        assert f'href="packages/{name}/index.html"' in html, name


def test_images_and_links_resolve() -> None:
    """Every image and every link to a page of the site points at a file the build wrote."""
    for page in HTML.rglob("*.html"):
        if "_modules" in page.parts:
            continue
        text = page.read_text(encoding="utf-8")
        targets = re.findall(r'<img [^>]*src="([^"]+)"', text) + re.findall(r'href="([^":#?]+)[#"]', text)
        for target in targets:
            assert (page.parent / target).resolve().exists(), f"{page.relative_to(HTML)} -> {target}"

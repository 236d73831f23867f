"""Loaders: search paths, confinement to the roots, reloading by mtime, the disk cache."""

import marshal
import os
import stat
from pathlib import Path

import pytest

from anemo.tmpl import DictLoader, Loader, Template, TemplateNotFound


def _write(path: Path, text: str, mtime_ns: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))


def test_first_search_directory_wins(tmp_path: Path) -> None:
    """A name is looked up in each root in order; later roots fill in what earlier lack."""
    _write(tmp_path / "app" / "page.html", "app {% include 'part.html' %}")
    _write(tmp_path / "lib" / "page.html", "library page")
    _write(tmp_path / "lib" / "part.html", "library part")
    loader = Loader([tmp_path / "app", str(tmp_path / "lib")])
    assert loader.load("page.html").generate() == b"app library part"


def test_relative_names_resolve_from_the_including_template(tmp_path: Path) -> None:
    """Includes are relative to the including template's directory."""
    _write(tmp_path / "a" / "one.html", "{% include '../b/two.html' %}")
    _write(tmp_path / "b" / "two.html", "{% include 'three.html' %}")
    _write(tmp_path / "b" / "three.html", "ok")
    assert Loader(tmp_path).load("a/one.html").generate() == b"ok"


@pytest.mark.parametrize("name", ["../secret.txt", "/etc/hostname", "link/secret.txt", "nul\x00.html"])
def test_names_outside_the_roots_are_not_found(tmp_path: Path, name: str) -> None:
    """Traversal, absolute paths, symlinks leading out and NUL bytes never reach a file."""
    _write(tmp_path / "secret.txt", "secret")
    root = tmp_path / "templates"
    root.mkdir()
    (root / "link").symlink_to(tmp_path)
    with pytest.raises(TemplateNotFound) as caught:
        Loader(root).load(name)
    assert caught.value.search_path == (str(root.resolve()),)


def test_missing_templates_are_template_not_found(tmp_path: Path) -> None:
    """Both loaders report a missing name with TemplateNotFound naming it."""
    with pytest.raises(TemplateNotFound, match=r"nope\.html"):
        Loader(tmp_path).load("nope.html")
    with pytest.raises(TemplateNotFound, match=r"nope\.html"):
        DictLoader({}).load("nope.html")


def test_auto_reload_recompiles_only_what_changed(tmp_path: Path) -> None:
    """With auto_reload a changed file, or a changed include, gives a new template."""
    _write(tmp_path / "page.html", "page {% include 'part.html' %}", mtime_ns=10**18)
    _write(tmp_path / "part.html", "v1", mtime_ns=10**18)
    _write(tmp_path / "other.html", "other", mtime_ns=10**18)
    loader = Loader(tmp_path, auto_reload=True)
    page, other = loader.load("page.html"), loader.load("other.html")
    assert loader.load("page.html") is page
    _write(tmp_path / "part.html", "v2", mtime_ns=10**18 + 1)
    reloaded = loader.load("page.html")
    assert reloaded is not page
    assert reloaded.generate() == b"page v2"
    loader.reset()
    assert loader.load("other.html") is other


def test_without_auto_reload_reset_is_all_or_nothing(tmp_path: Path) -> None:
    """The tornado behaviour: templates are kept until reset() drops every one."""
    _write(tmp_path / "page.html", "v1")
    loader = Loader(tmp_path)
    first = loader.load("page.html")
    _write(tmp_path / "page.html", "v2", mtime_ns=10**18)
    assert loader.load("page.html") is first
    loader.reset()
    assert loader.load("page.html").generate() == b"v2"


def test_disk_cache_is_private_and_used(tmp_path: Path) -> None:
    """Compiled code is stored in a 0700 directory and read back by a new loader."""
    _write(tmp_path / "t" / "page.html", "<b>{{ x }}</b>")
    cache = tmp_path / "cache"
    assert Loader(tmp_path / "t", cache_dir=cache).load("page.html").generate(x=1) == b"<b>1</b>"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    (entry,) = cache.iterdir()
    # Replace the cached code with another template's: a new loader must run what it reads.
    other = Template("<i>{{ x }}</i>", name="page.html")
    entry.write_bytes(marshal.dumps(compile(other.code, "page_html.generated.py", "exec")))
    assert Loader(tmp_path / "t", cache_dir=cache).load("page.html").generate(x=2) == b"<i>2</i>"


def test_corrupt_cache_entries_are_recompiled(tmp_path: Path) -> None:
    """An unreadable cache entry is ignored and rewritten, never a crash."""
    _write(tmp_path / "t" / "page.html", "{{ x }}")
    cache = tmp_path / "cache"
    Loader(tmp_path / "t", cache_dir=cache).load("page.html")
    (entry,) = cache.iterdir()
    entry.write_bytes(b"\x00garbage")
    assert Loader(tmp_path / "t", cache_dir=cache).load("page.html").generate(x=3) == b"3"
    assert entry.read_bytes() != b"\x00garbage"


def test_loader_settings_reach_templates() -> None:
    """autoescape, whitespace and namespace given to a loader apply to its templates."""
    loader = DictLoader(
        {"a.html": "  {{ x }}  {{ double(2) }}"},
        autoescape=None,
        whitespace="all",
        namespace={"double": lambda n: n * 2},
    )
    assert loader.load("a.html").generate(x="<") == b"  <  4"

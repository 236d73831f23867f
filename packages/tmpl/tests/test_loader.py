"""Loaders: search paths, confinement to the roots, reloading by mtime, the disk cache."""

import marshal
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from anemo.tmpl import (
    DictLoader,
    Loader,
    Template,
    TemplateDirectoryNotFound,
    TemplateNotFound,
    UnsafeCacheDirectory,
)
from anemo.tmpl._diskcache import CodeCache


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


@pytest.mark.parametrize("missing", ["absent", "file.html"])
def test_search_directory_that_is_not_one_is_refused(tmp_path: Path, missing: str) -> None:
    """A search directory that does not exist (or is a file) fails at construction, named."""
    _write(tmp_path / "file.html", "x")
    given = tmp_path / missing
    with pytest.raises(TemplateDirectoryNotFound, match=missing) as caught:
        Loader([tmp_path, given])
    assert caught.value.directory == str(given)
    assert isinstance(caught.value, ValueError)


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


def _primed_cache(tmp_path: Path, source: str = "<b>{{ x }}</b>") -> tuple[Path, Path, Template]:
    """A template directory with page.html, and a cache directory holding its compiled entry."""
    _write(tmp_path / "t" / "page.html", source)
    cache = tmp_path / "cache"
    template = Loader(tmp_path / "t", cache_dir=cache).load("page.html")
    return tmp_path / "t", cache, template


def _only_entry(cache: Path) -> Path:
    (entry,) = cache.iterdir()
    return entry


def test_disk_cache_is_private_and_used(tmp_path: Path) -> None:
    """Compiled code is stored privately (0700 directory, 0600 entry) and read by a new loader."""
    root, cache, template = _primed_cache(tmp_path)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(_only_entry(cache).stat().st_mode) == 0o600
    # Store another template's code under this one's key: a new loader must run what it reads.
    other = compile(Template("<i>{{ x }}</i>").code, CACHED_FILENAME, "exec")
    CodeCache(cache).put(template.code, CACHED_FILENAME, other)
    assert Loader(root, cache_dir=cache).load("page.html").generate(x=2) == b"<i>2</i>"


CACHED_FILENAME = "page_html.generated.py"
HOSTILE = compile("def _tt_execute():\n    return 'PWNED'\n", CACHED_FILENAME, "exec")


def _garbage(data: bytes) -> bytes:
    return b"\x00garbage"


def _truncated(data: bytes) -> bytes:
    return data[:-7]


def _one_bit_flipped(data: bytes) -> bytes:
    return data[:-20] + bytes([data[-20] ^ 1]) + data[-19:]


def _unsealed_hostile_code(data: bytes) -> bytes:
    return marshal.dumps(HOSTILE)


@pytest.mark.parametrize("damage", [_garbage, _truncated, _one_bit_flipped, _unsealed_hostile_code])
def test_damaged_cache_entries_are_recompiled(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    """A corrupt, truncated or unsealed entry is never unmarshalled: recompiled and rewritten."""
    root, cache, template = _primed_cache(tmp_path, "{{ x }}")
    entry = _only_entry(cache)
    damaged = damage(entry.read_bytes())
    entry.write_bytes(damaged)
    assert CodeCache(cache).get(template.code, CACHED_FILENAME) is None
    assert Loader(root, cache_dir=cache).load("page.html").generate(x=3) == b"3"
    # Rewritten as a sound entry (marshal output may differ from the first one's bytes).
    assert entry.read_bytes() != damaged
    assert CodeCache(cache).get(template.code, CACHED_FILENAME) is not None


def test_entry_of_another_template_is_not_used(tmp_path: Path) -> None:
    """A valid entry copied under another template's key is refused (the seal covers the key)."""
    root, cache, _ = _primed_cache(tmp_path, "{{ x }}")
    entry = _only_entry(cache)
    _write(root / "other.html", "other {{ x }}")
    Loader(root, cache_dir=cache).load("other.html")
    (other_entry,) = set(cache.iterdir()) - {entry}
    entry.write_bytes(other_entry.read_bytes())
    assert Loader(root, cache_dir=cache).load("page.html").generate(x=4) == b"4"


def _make_group_writable(path: Path) -> None:
    path.chmod(0o620)


def _give_to_another_user(path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(path, NOBODY, -1)


NOBODY = 65534


@pytest.mark.skipif(os.name != "posix", reason="POSIX ownership and modes")
@pytest.mark.parametrize("make_foreign", [_make_group_writable, _give_to_another_user])
def test_entries_others_could_write_are_not_loaded(
    tmp_path: Path, make_foreign: Callable[[Path], None]
) -> None:
    """A well-formed entry that another user owns or may write is not run."""
    root, cache, template = _primed_cache(tmp_path)
    CodeCache(cache).put(template.code, CACHED_FILENAME, HOSTILE)
    make_foreign(_only_entry(cache))
    assert Loader(root, cache_dir=cache).load("page.html").generate(x=5) == b"<b>5</b>"


@pytest.mark.skipif(os.name != "posix", reason="POSIX ownership and modes")
@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702], ids=oct)
def test_cache_directory_others_may_write_is_refused(tmp_path: Path, mode: int) -> None:
    """A cache directory writable by group or others is an error, not a silent risk."""
    cache = tmp_path / "cache"
    cache.mkdir()
    cache.chmod(mode)
    with pytest.raises(UnsafeCacheDirectory) as caught:
        Loader(tmp_path, cache_dir=cache)
    assert caught.value.directory == str(cache)


@pytest.mark.skipif(os.name != "posix", reason="POSIX ownership and modes")
def test_cache_directory_of_another_user_is_refused(tmp_path: Path) -> None:
    """A cache directory that belongs to another user is refused, whatever its mode."""
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    _give_to_another_user(cache)
    with pytest.raises(UnsafeCacheDirectory, match="belong to this user"):
        Loader(tmp_path, cache_dir=cache)


def test_cache_directory_is_created_only_when_code_is_written(tmp_path: Path) -> None:
    """Constructing a loader creates nothing; the first compiled template creates the directory."""
    _write(tmp_path / "t" / "page.html", "{{ x }}")
    cache = tmp_path / "var" / "cache"
    loader = Loader(tmp_path / "t", cache_dir=cache)
    assert not (tmp_path / "var").exists()
    assert loader.load("page.html").generate(x=1) == b"1"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert len(list(cache.iterdir())) == 1


@pytest.mark.skipif(os.name != "posix", reason="POSIX ownership and modes")
def test_cache_directory_made_unsafe_after_construction_is_refused_at_first_write(tmp_path: Path) -> None:
    """A cache directory that appears, writable by others, after the loader was made is refused."""
    _write(tmp_path / "t" / "page.html", "{{ x }}")
    cache = tmp_path / "cache"
    loader = Loader(tmp_path / "t", cache_dir=cache)
    cache.mkdir()
    cache.chmod(0o777)
    with pytest.raises(UnsafeCacheDirectory):
        loader.load("page.html")
    assert list(cache.iterdir()) == []


def test_cache_write_failure_still_renders(tmp_path: Path) -> None:
    """If an entry cannot be written, the template is compiled and rendered all the same."""
    root, cache, _ = _primed_cache(tmp_path)
    entry = _only_entry(cache)
    entry.unlink()
    entry.mkdir()  # os.replace() onto a directory fails
    assert Loader(root, cache_dir=cache).load("page.html").generate(x=6) == b"<b>6</b>"
    assert [path.name for path in cache.iterdir()] == [entry.name]


def test_cache_key_includes_the_optimization_level(tmp_path: Path) -> None:
    """Code compiled under ``python -O`` is never reused by a process without it."""
    _write(tmp_path / "t" / "page.txt", "{{ __debug__ }}")
    script = (
        "import sys; from anemo.tmpl import Loader;"
        f"sys.stdout.write(Loader({str(tmp_path / 't')!r}, cache_dir={str(tmp_path / 'c')!r})"
        ".load('page.txt').generate().decode())"
    )
    outputs = [
        subprocess.run(
            [sys.executable, *flags, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for flags in (["-O"], [])
    ]
    assert outputs == ["False", "True"]
    assert len(list((tmp_path / "c").iterdir())) == 2


def test_loader_settings_reach_templates() -> None:
    """autoescape, whitespace and namespace given to a loader apply to its templates."""
    loader = DictLoader(
        {"a.html": "  {{ x }}  {{ double(2) }}"},
        autoescape=None,
        whitespace="all",
        namespace={"double": lambda n: n * 2},
    )
    assert loader.load("a.html").generate(x="<") == b"  <  4"


@pytest.mark.parametrize("name", [None, b"page.html", 5])
def test_template_names_must_be_text(tmp_path: Path, name: object) -> None:
    """A name that is not a str is a TypeError saying so, from either loader."""
    _write(tmp_path / "page.html", "x")
    for loader in (Loader(tmp_path), DictLoader({"page.html": "x"})):
        with pytest.raises(TypeError, match="template name must be a str"):
            loader.load(name)  # type: ignore[arg-type]


def test_concurrent_loads_while_files_change(tmp_path: Path) -> None:
    """Threads loading and rendering while another rewrites an include see whole versions only."""
    _write(tmp_path / "page.html", "<p>{% include 'part.html' %}</p>")
    _write(tmp_path / "part.html", "v0", mtime_ns=10**18)
    loader = Loader(tmp_path, auto_reload=True, cache_dir=tmp_path / "cache")
    seen: set[bytes] = set()
    errors: list[BaseException] = []

    def render() -> None:
        try:
            for _ in range(200):
                seen.add(loader.load("page.html").generate())
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=render) for _ in range(4)]
    for thread in threads:
        thread.start()
    for version in range(1, 30):
        # Replaced whole, as deployments do; a file rewritten in place can be read half-written.
        _write(tmp_path / "next.html", f"v{version}", mtime_ns=10**18 + version)
        (tmp_path / "next.html").replace(tmp_path / "part.html")
        loader.reset()
    for thread in threads:
        thread.join()
    assert not errors
    assert seen <= {f"<p>v{version}</p>".encode() for version in range(30)}
    assert loader.load("page.html").generate() == b"<p>v29</p>"

"""Sphinx configuration of the anemo documentation site (https://anemo.readthedocs.io/).

The guides are the repository's READMEs, included (never copied) by the pages under ``docs/``.
Their links are written for GitHub; ``_rewrite_links`` below turns each one into a link to the
page that includes the target, a file beside the page, or the file on GitHub.
"""

from __future__ import annotations

import posixpath
import re
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.ext import intersphinx
from sphinx.pycode import ModuleAnalyzer

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GITHUB = "https://github.com/anemo-web/anemo"
PACKAGES = ["signedvalue", "hashring", "sessions", "formvalidate", "captcha", "tmpl"]

project = "anemo"
author = "the anemo authors"
copyright = "the anemo authors, MIT licence"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "tests", "README.md", ".pytest_cache"]
root_doc = "index"
nitpicky = True  # as `sphinx-build -n`, on Read the Docs too

html_theme = "furo"
html_title = "anemo"
html_theme_options = {
    "source_repository": GITHUB,
    "source_branch": "main",
    "source_directory": "docs/",
}
html_baseurl = "https://anemo.readthedocs.io/"

# MyST: GitHub-style heading anchors, so the READMEs' `#section` links work here as on GitHub.
myst_heading_anchors = 4
myst_enable_extensions = ["deflist"]

# autodoc: signatures stay short, types go into each parameter's description.
autodoc_typehints = "description"
autodoc_typehints_description_target = "all"
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True
# "separated": the constructor is its own entry; "mixed" loses the qualified names of its types.
autodoc_class_signature = "separated"
autodoc_default_options = {"show-inheritance": True}
# Our signatures are real ones: never read one from a docstring (a mapping ABC's "D.get(k[,d]) -> ...").
autodoc_docstring_signature = False


def _inventory(url: str, local: str) -> tuple[str, tuple[str | None, ...]]:
    """Read the Debian -doc package's inventory when installed; fetch it from ``url`` otherwise."""
    return (url, (local, None))


intersphinx_mapping = {
    "python": _inventory("https://docs.python.org/3", "/usr/share/doc/python3.11/html/objects.inv"),
    "tornado": _inventory(
        "https://www.tornadoweb.org/en/stable", "/usr/share/doc/python-tornado-doc/html/objects.inv"
    ),
    "PIL": _inventory(
        "https://pillow.readthedocs.io/en/stable", "/usr/share/doc/python-pil-doc/html/objects.inv"
    ),
    "cryptography": _inventory(
        "https://cryptography.io/en/latest", "/usr/share/doc/python-cryptography-doc/html/objects.inv"
    ),
}

# Names nothing can link to. Keep this short: every name of our own API must resolve.
nitpick_ignore = [
    # Documented as a class only from Python 3.13's docs on; the local 3.11 inventory lacks it.
    ("py:class", "re.Pattern"),
]
nitpick_ignore_regex = [
    # redis-py, pymemcache and asyncpg publish no inventory we can read offline (their sites build
    # none that Debian packages), so their client classes in our signatures stay plain text.
    (r"py:.*", r"(redis|pymemcache|asyncpg)(\..*)?"),
    # limits documents its API on its site, but its Sphinx inventory is not reachable offline
    # either; its storage and rate-limit item classes in our signatures stay plain text.
    (r"py:.*", r"limits(\..*)?"),
    # Type variables of our generics (``T``, ``F``, ``S``): they are not objects one can document.
    (r"py:(class|obj)", r"anemo\.[\w.]+\.[A-Z]"),
    # Private helpers that show in a signature or as a base class (``_base.S``, ``_session.Loaded``,
    # ``_context.Context``, ``redis._Base``): not part of the API, so they have no entry to link to.
    (r"py:(class|obj)", r"anemo\.\w+\.(\w+\.)*_\w+(\.\w+)*"),
]

# --- Links of the included READMEs ---------------------------------------------------------------

#: Repository file -> the page that includes it.
PAGES = {
    "README.md": "index",
    "demo-app/README.md": "demo",
    "SECURITY.md": "security",
    **{f"packages/{name}/README.md": f"packages/{name}/index" for name in PACKAGES},
    **{f"packages/{name}/CHANGELOG.md": f"packages/{name}/changelog" for name in PACKAGES},
}
#: A directory stands for its README, as on GitHub.
DIRECTORIES = {posixpath.dirname(path): path for path in PAGES if path.endswith("/README.md")}
_LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
_MARKER = re.compile(r"<!-- start: ([\w-]+) -->(.*?)<!-- end: \1 -->", re.DOTALL)
_INCLUDE = re.compile(r"```\{include\} (\S+)\n((?::[\w-]+:.*\n)*)")


def _slug(heading: str) -> str:
    """GitHub's (and MyST's) anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors() -> dict[tuple[str, str], str]:
    """(repository file, heading anchor) -> the page showing that heading, for files split over pages."""
    found: dict[tuple[str, str], str] = {}
    for page in DOCS.rglob("*.md"):
        if "_build" in page.parts or "tests" in page.parts:
            continue
        docname = page.relative_to(DOCS).with_suffix("").as_posix()
        for target, options in _INCLUDE.findall(page.read_text(encoding="utf-8")):
            path = (page.parent / target).resolve().relative_to(ROOT).as_posix()
            text = (ROOT / path).read_text(encoding="utf-8")
            start = re.search(r":start-after: <!-- start: ([\w-]+) -->", options)
            if start:
                title = re.search(r"^# (.+)$", page.read_text(encoding="utf-8"), re.MULTILINE)
                if title:  # the page's own title stands for the heading just above the part
                    found[path, _slug(title[1])] = docname
                part = dict(_MARKER.findall(text)).get(start[1], "")
                for heading in re.findall(r"^#+ (.+)$", part, re.MULTILINE):
                    found[path, _slug(heading)] = docname
    return found


def _rewrite(included: str, docname: str, target: str, anchors: dict[tuple[str, str], str]) -> str:
    """One link of ``included`` (a repository path) as the page ``docname`` must write it."""
    split = {file for file, _ in anchors}  # files shown in parts, on several pages
    if re.match(r"[a-z]+:", target) or (target.startswith("#") and included not in split):
        return target
    path, _, anchor = target.partition("#")
    path = posixpath.join(posixpath.dirname(included), path or posixpath.basename(included))
    path = posixpath.normpath(path)
    path = DIRECTORIES.get(path, path)
    here = posixpath.dirname(docname)
    if (path, anchor) in anchors:
        link = posixpath.relpath(anchors[path, anchor], here) + ".md"
    elif path in PAGES and not (anchor and path in split):
        link = posixpath.relpath(PAGES[path], here) + ".md"
    elif path.startswith("docs/"):  # a file of the site itself, such as a screenshot
        return posixpath.relpath(path.removeprefix("docs/"), here)
    elif path.endswith(".png") and (ROOT / path).is_file():  # an image beside a README
        return posixpath.relpath(posixpath.join("..", path), here)
    else:
        kind = "tree" if (ROOT / path).is_dir() else "blob"
        link = f"{GITHUB}/{kind}/main/{path}"
    return f"{link}#{anchor}" if anchor else link


def _rewrite_links(app: Sphinx, relative_path: Path, parent_docname: str, content: list[str]) -> None:
    """``include-read``: make an included file's repository-relative links work on its page."""
    included = (DOCS / relative_path).resolve().relative_to(ROOT).as_posix()
    docname = app.env.docname
    anchors = _anchors()
    content[0] = _LINK.sub(lambda m: m[1] + _rewrite(included, docname, m[2], anchors) + m[3], content[0])


# --- References to our own API ---------------------------------------------------------------------

_PRIVATE = re.compile(r"(anemo\.\w+)\.(?:_\w+|errors)\.([\w.]+)")
#: Where the standard library documents a class that reports a private module as its home.
_STDLIB = {
    "_asyncio.Future": "asyncio.Future",
    "concurrent.futures._base.Executor": "concurrent.futures.Executor",
}


def _public_name(
    app: Sphinx, env: BuildEnvironment, node: pending_xref, contnode: nodes.TextElement
) -> nodes.reference | None:
    """Resolve a type hint by its public name.

    ``anemo.NAME._module.X`` (where a class is defined) is documented as ``anemo.NAME.X`` (where it
    is exported), and a few standard-library classes live in private modules too.
    """
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    if target in _STDLIB:
        node["reftarget"] = _STDLIB[target]
        found: nodes.reference | None = intersphinx.missing_reference(app, env, node, contnode)
        node["reftarget"] = target
        return found
    match = _PRIVATE.fullmatch(target)
    if not match:
        return None
    domain: Any = env.get_domain("py")
    return domain.resolve_xref(  # type: ignore[no-any-return]
        env, node["refdoc"], app.builder, node["reftype"], f"{match[1]}.{match[2]}", node, contnode
    )


def _data_docs(app: Sphinx, what: str, name: str, obj: object, options: Any, lines: list[str]) -> None:  # noqa: PLR0917
    """A re-exported constant's ``#:`` comment lives in the private module that defines it."""
    if what != "data":
        return
    package, _, attribute = name.rpartition(".")
    for module in sorted(sys.modules):
        if module.startswith(package + "._"):
            docs = ModuleAnalyzer.for_module(module).find_attr_docs().get(("", attribute))
            if docs:
                lines[:] = docs
                return
    if type(obj).__module__ == "builtins" and lines:
        lines.clear()  # a dict's or a str's own docstring, which says nothing about this value


#: Methods a class inherits from the standard library's mapping ABCs, described in one line each.
_MAPPING_METHODS = {name for name in dir(MutableMapping) if not name.startswith("_")}


def _mapping_docs(app: Sphinx, what: str, name: str, obj: object, options: Any, lines: list[str]) -> None:  # noqa: PLR0917
    """``Session.get`` and friends: point to :class:`dict` rather than repeat the ABC's terse text."""
    method = name.rpartition(".")[2]
    if what == "method" and method in _MAPPING_METHODS and getattr(obj, "__doc__", None) is None:
        lines[:] = [f"As :meth:`dict.{method}`."]


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("autodoc-process-docstring", _data_docs)
    app.connect("autodoc-process-docstring", _mapping_docs)
    app.connect("include-read", _rewrite_links)
    app.connect("missing-reference", _public_name)
    return {"parallel_read_safe": True}

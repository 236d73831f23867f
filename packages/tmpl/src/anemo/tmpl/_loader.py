"""Loaders: find templates by name, compile each once, and hand out the compiled template.

:class:`Loader` reads files from one or more directories, :class:`DictLoader` from a dict.
Both follow ``tornado.template``'s API; :class:`Loader` adds several search directories,
reloading by modification time and a persistent cache of compiled code.
"""

from __future__ import annotations

import os
import posixpath
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from ._diskcache import CodeCache
from ._template import Template
from .errors import InvalidOption, InvalidOptionType, ParseError, TemplateDirectoryNotFound, TemplateNotFound

__all__ = ["BaseLoader", "DictLoader", "Loader"]


class BaseLoader:
    """The shared part of the loaders: settings for the templates, and the cache of them.

    ``autoescape`` (default ``"xhtml_escape"``), ``namespace`` (extra names visible to every
    template) and ``whitespace`` (a mode, or ``None`` to choose by file extension) apply to
    every template loaded. ``load()`` compiles a template on first use and returns the same
    object afterwards; ``reset()`` forgets them all.
    """

    def __init__(
        self,
        autoescape: str | None = "xhtml_escape",
        namespace: Mapping[str, Any] | None = None,
        whitespace: str | None = None,
    ) -> None:
        self.autoescape = autoescape
        self.namespace: Mapping[str, Any] = dict(namespace or {})
        self.whitespace = whitespace
        self.templates: dict[str, Template] = {}
        #: The class ``load()`` compiles templates with.
        self.template_class: type[Template] = Template
        self.code_cache: CodeCache | None = None
        # A reentrant lock: compiling a template loads the templates it includes.
        self.lock = threading.RLock()
        self._compiling: list[str] = []

    def reset(self) -> None:
        """Forget every compiled template; the next ``load()`` compiles afresh."""
        with self.lock:
            self.templates = {}

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        """The name of template ``name`` when referenced from template ``parent_path``.

        A relative name in ``{% include %}`` or ``{% extends %}`` is relative to the directory
        of the template that contains it, unless it would leave the top directory.
        """
        if parent_path and not parent_path.startswith("<") and not name.startswith("/"):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(parent_path), name))
            if not joined.startswith("../") and joined != "..":
                return joined
        return name

    def load(self, name: str, parent_path: str | None = None) -> Template:
        """The compiled template called ``name``, as referenced from ``parent_path``."""
        if not isinstance(name, str):
            raise InvalidOptionType(f"template name must be a str, not {type(name).__name__}")
        name = self.resolve_path(name, parent_path)
        with self.lock:
            template = self.templates.get(name)
            if template is None or self._is_stale(template):
                if name in self._compiling:
                    cycle = " -> ".join([*self._compiling, name])
                    raise ParseError(f"templates include or extend each other: {cycle}", parent_path)
                self._compiling.append(name)
                try:
                    template = self._create_template(name)
                finally:
                    self._compiling.pop()
                self.templates[name] = template
            return template

    def _is_stale(self, template: Template) -> bool:
        """Whether ``template`` must be compiled again; never, unless a subclass knows better."""
        return False

    def _create_template(self, name: str) -> Template:
        raise NotImplementedError


class DictLoader(BaseLoader):
    """Templates from a dict of name to source."""

    def __init__(self, dict: Mapping[str, str | bytes], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dict = dict

    def _create_template(self, name: str) -> Template:
        try:
            source = self.dict[name]
        except KeyError:
            raise TemplateNotFound(name) from None
        return self.template_class(source, name=name, loader=self)


class Loader(BaseLoader):
    """Templates from files under one directory, or several searched in order.

    ``root_directory`` is a path or a sequence of paths: a name is looked up in each in turn
    and the first file found wins, so an application can override a library's templates. A
    name that resolves outside every directory (``../secret``, an absolute path, a symlink
    leading out) is not found. A search directory that does not exist is refused at once
    (:class:`~anemo.tmpl.errors.TemplateDirectoryNotFound`).

    ``auto_reload=True`` checks the modification time of a template and of everything it
    extends and includes on each ``load()``, and recompiles only what changed; ``reset()``
    then keeps the unchanged templates. ``cache_dir`` keeps compiled code on disk, keyed by
    the generated source and the Python version, so a restarted process skips compiling.
    The cache directory is created (mode 0700) when the first compiled template is written to
    it; it must belong to this application's user and be writable by no one else
    (:class:`~anemo.tmpl.errors.UnsafeCacheDirectory` otherwise).
    """

    def __init__(
        self,
        root_directory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        auto_reload: bool = False,
        cache_dir: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        roots = [root_directory] if isinstance(root_directory, (str, os.PathLike)) else list(root_directory)
        if not roots:
            raise InvalidOption("Loader needs at least one root directory")
        for root in roots:
            if not os.path.isdir(root):
                raise TemplateDirectoryNotFound(os.fspath(root))
        self.search_path: tuple[str, ...] = tuple(os.path.realpath(root) for root in roots)
        self.root = self.search_path[0]
        self.auto_reload = auto_reload
        self.code_cache = CodeCache(cache_dir) if cache_dir is not None else None
        self._stamps: dict[str, tuple[str, int, int]] = {}

    def resolve_path(self, name: str, parent_path: str | None = None) -> str:
        return super().resolve_path(name.replace(os.sep, "/"), parent_path)

    def find(self, name: str) -> str:
        """The path of the file of template ``name``: the first search directory holding it."""
        if "\x00" in name or posixpath.isabs(name) or os.path.isabs(name):
            raise TemplateNotFound(name, self.search_path)
        for root in self.search_path:
            path = os.path.realpath(os.path.join(root, name))
            if path.startswith(root.rstrip(os.sep) + os.sep) and os.path.isfile(path):
                return path
        raise TemplateNotFound(name, self.search_path)

    def _create_template(self, name: str) -> Template:
        path = self.find(name)
        with open(path, "rb") as file:
            stat = os.fstat(file.fileno())
            source = file.read()
        self._stamps[name] = (path, stat.st_mtime_ns, stat.st_size)
        return self.template_class(source, name=name, loader=self)

    def _changed(self, name: str) -> bool:
        stamp = self._stamps.get(name)
        if stamp is None:
            return True
        path, mtime, size = stamp
        try:
            stat = os.stat(path)
            if self.find(name) != path:
                return True
        except (OSError, TemplateNotFound):
            return True
        return (stat.st_mtime_ns, stat.st_size) != (mtime, size)

    def _is_stale(self, template: Template) -> bool:
        if not self.auto_reload:
            return False
        return any(self._changed(name) for name in (template.name, *template.dependencies))

    def reset(self) -> None:
        """Forget compiled templates; with ``auto_reload``, only those whose files changed."""
        if not self.auto_reload:
            super().reset()
            return
        with self.lock:
            self.templates = {
                name: template for name, template in self.templates.items() if not self._is_stale(template)
            }

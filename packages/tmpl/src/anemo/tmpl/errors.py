"""The exceptions of anemo.tmpl, all under one base class.

::

    TemplateError
    ├── InvalidOption              (also ValueError) a bad argument, such as an unknown whitespace mode
    │   └── InvalidOptionType      (also TypeError) an argument of the wrong type, such as a name of 3
    ├── ParseError                 (also ValueError) a template's text is not valid template syntax
    ├── TemplateNotFound           (also LookupError) a loader has no template of that name
    ├── TemplateDirectoryNotFound  (also ValueError) a loader's search directory does not exist
    ├── RenderModeError            (also TypeError) a template that awaits was rendered synchronously
    └── UnsafeCacheDirectory       the compiled-code cache directory could be written by others

Errors raised by the template's own Python code while rendering (a ``ZeroDivisionError`` in
``{{ 1/0 }}``) propagate unchanged; their traceback names the template file and line.
"""

from __future__ import annotations

import os

__all__ = [
    "InvalidOption",
    "InvalidOptionType",
    "ParseError",
    "RenderModeError",
    "TemplateDirectoryNotFound",
    "TemplateError",
    "TemplateNotFound",
    "UnsafeCacheDirectory",
]


class TemplateError(Exception):
    """Base class of every error anemo.tmpl raises itself."""


class InvalidOption(TemplateError, ValueError):
    """An argument cannot be used, such as ``whitespace="tight"`` or no loader root at all."""


class InvalidOptionType(InvalidOption, TypeError):
    """An argument has the wrong type, such as a template name that is not a ``str``."""


class ParseError(TemplateError, ValueError):
    """The template source is not valid; ``filename`` and ``lineno`` say where.

    ``str()`` gives ``"<message> at <filename>:<lineno>"``, as tornado.template does; the
    offending template line is kept in ``source_line`` and, on Python 3.11+, shown in tracebacks
    as a note.
    """

    def __init__(self, message: str, filename: str | None = None, lineno: int = 0) -> None:
        super().__init__(message, filename, lineno)
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line: str | None = None

    def __str__(self) -> str:
        return f"{self.message} at {self.filename}:{self.lineno}"


class TemplateNotFound(TemplateError, LookupError):
    """No template called ``name`` exists under the loader's ``search_path``."""

    def __init__(self, name: str, search_path: tuple[str, ...] = ()) -> None:
        where = f" in {', '.join(search_path)}" if search_path else ""
        super().__init__(f"template {name!r} not found{where}")
        self.name = name
        self.search_path = search_path


class TemplateDirectoryNotFound(TemplateError, ValueError):
    """``Loader(root_directory)`` names a ``directory`` that does not exist or is not a directory.

    Refused when the loader is made, so a mistyped path fails at startup rather than as a
    ``TemplateNotFound`` on the first page that needs it.
    """

    def __init__(self, directory: str) -> None:
        resolved = os.path.abspath(directory)
        where = "" if resolved == directory else f" (resolved to {resolved!r})"
        super().__init__(f"template directory {directory!r} does not exist or is not a directory{where}")
        self.directory = directory


class RenderModeError(TemplateError, TypeError):
    """``generate()`` was called on a template that uses ``await``; use ``generate_async()``."""

    def __init__(self, template_name: str) -> None:
        super().__init__(f"template {template_name!r} awaits: render it with generate_async()")
        self.template_name = template_name


class UnsafeCacheDirectory(TemplateError):
    """``Loader(cache_dir=...)`` names a directory this process must not load code from.

    Cached entries are code that the loader runs, so the directory must belong to the
    application's user and be writable by no one else; ``reason`` says what is wrong.
    """

    def __init__(self, directory: str, reason: str) -> None:
        super().__init__(f"refusing template cache directory {directory!r}: {reason}")
        self.directory = directory
        self.reason = reason

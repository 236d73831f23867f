"""A persistent cache of compiled template code, so a restarted process skips compiling.

Entries are keyed by a hash of the generated Python source and the interpreter's bytecode
magic number and tag: a change to any template involved, to anemo.tmpl's code generator or
to the Python version gives a new key. Code objects are stored with :mod:`marshal`, which can run code
when read back: the directory must be writable by the application alone (it is created
with mode 0700), and never holds anything a client supplied.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
import tempfile
import types

__all__ = ["CodeCache"]


class CodeCache:
    """Compiled module code on disk, one file per generated source."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)
        os.makedirs(self.directory, mode=0o700, exist_ok=True)

    def _path(self, source: str, filename: str) -> str:
        digest = hashlib.sha256()
        digest.update(importlib.util.MAGIC_NUMBER)
        for part in (sys.implementation.cache_tag or "", filename, source):
            digest.update(part.encode("utf-8", "surrogateescape"))
            digest.update(b"\x00")
        return os.path.join(self.directory, digest.hexdigest() + ".code")

    def get(self, source: str, filename: str) -> types.CodeType | None:
        """The cached code of ``source``, or ``None`` when absent or unreadable."""
        try:
            with open(self._path(source, filename), "rb") as file:
                code = marshal.load(file)  # noqa: S302 - our own private directory
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return code if isinstance(code, types.CodeType) else None

    def put(self, source: str, filename: str, code: types.CodeType) -> None:
        """Store ``code``; written to a temporary file and renamed, so readers never see half."""
        descriptor, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as file:
                marshal.dump(code, file)
            os.replace(temporary, self._path(source, filename))
        except BaseException:
            os.unlink(temporary)
            raise

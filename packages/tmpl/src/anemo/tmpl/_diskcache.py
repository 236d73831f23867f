"""A persistent cache of compiled template code, so a restarted process skips compiling.

Entries are keyed by a hash of the generated Python source, the interpreter's bytecode magic
number and tag, and the optimization level: a change to any template involved, to anemo.tmpl's
code generator or to the Python version gives a new key. Code objects are stored with
:mod:`marshal`, and running code read from a file is running whatever the file holds, so:

- the directory must belong to this process's user and be writable by nobody else (it is
  created with mode 0700 when the first entry is written; one that fails the check, found when
  the cache is made or when it writes, is refused with
  :class:`~anemo.tmpl.errors.UnsafeCacheDirectory`);
- an entry is read only if it belongs to this user and nobody else may write it;
- each entry starts with a SHA-256 seal over its key and its payload, so a truncated, corrupt
  or misplaced entry is recompiled instead of unmarshalled.

The seal detects damage, not forgery: it is the ownership checks that keep other users out.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import importlib.util
import marshal
import os
import stat
import sys
import tempfile
import types

from .errors import UnsafeCacheDirectory

__all__ = ["CodeCache"]

_SEAL_SIZE = hashlib.sha256().digest_size
# Group and others may not write: anything they could write, this process would execute.
_FOREIGN_WRITE = stat.S_IWGRP | stat.S_IWOTH


def _is_private(info: os.stat_result) -> bool:
    """Whether a file with this status is this user's and writable by no one else (POSIX)."""
    if os.name != "posix":
        return True
    return info.st_uid == os.geteuid() and not info.st_mode & _FOREIGN_WRITE


def _seal(key: str, payload: bytes) -> bytes:
    return hashlib.sha256(key.encode("ascii") + b"\x00" + payload).digest()


class CodeCache:
    """Compiled module code on disk, one file per generated source."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)
        # A directory that exists is checked now; a missing one is created by the first put().
        with contextlib.suppress(FileNotFoundError):
            self._check_directory()

    def _check_directory(self) -> None:
        """Refuse the directory unless it is one, this user's, and writable by no one else."""
        info = os.stat(self.directory)
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeCacheDirectory(self.directory, "it is not a directory")
        if not _is_private(info):
            reason = "it must belong to this user and be writable by no one else (mode 0700)"
            raise UnsafeCacheDirectory(self.directory, reason)

    def _key(self, source: str, filename: str) -> str:
        digest = hashlib.sha256()
        digest.update(importlib.util.MAGIC_NUMBER)
        for part in (sys.implementation.cache_tag or "", str(sys.flags.optimize), filename, source):
            digest.update(part.encode("utf-8", "surrogateescape"))
            digest.update(b"\x00")
        return digest.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, key + ".code")

    def get(self, source: str, filename: str) -> types.CodeType | None:
        """The cached code of ``source``, or ``None`` when absent, foreign, damaged or unreadable."""
        key = self._key(source, filename)
        try:
            with open(self._path(key), "rb") as file:
                if not _is_private(os.fstat(file.fileno())):
                    return None
                data = file.read()
        except OSError:
            return None
        seal, payload = data[:_SEAL_SIZE], data[_SEAL_SIZE:]
        if not hmac.compare_digest(seal, _seal(key, payload)):
            return None
        try:
            code = marshal.loads(payload)  # noqa: S302 - sealed, private, written by us
        except (EOFError, ValueError, TypeError):
            return None
        if not isinstance(code, types.CodeType) or code.co_filename != filename:
            return None
        return code

    def put(self, source: str, filename: str, code: types.CodeType) -> None:
        """Store ``code``, or do nothing if the directory cannot take it (the cache is optional).

        The entry is written to a temporary file (mode 0600) and renamed, so readers never see
        half of one. The directory is created here if it is missing, and checked again: it
        may have appeared, made by someone else, since the cache was made.
        """
        key = self._key(source, filename)
        payload = marshal.dumps(code)
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
            self._check_directory()
            descriptor, temporary = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
        except OSError:
            return
        stored = False
        try:
            with os.fdopen(descriptor, "wb") as file:
                file.write(_seal(key, payload))
                file.write(payload)
            os.replace(temporary, self._path(key))
            stored = True
        except OSError:
            pass  # a full or read-only disk leaves the cache as it was
        finally:
            if not stored:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

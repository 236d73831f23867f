"""Run code as if a package were not installed: how the error of a missing extra reads."""

from __future__ import annotations

import subprocess
import sys

__all__ = ["error_without"]

_RUN_WITHOUT = """
import sys


class Missing:
    '''Makes BLOCKED, and what is under it, import as if it were not installed.'''

    def find_spec(self, name, path=None, target=None):
        if name == BLOCKED or name.startswith(BLOCKED + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


BLOCKED, CODE = sys.argv[1:]
sys.meta_path.insert(0, Missing())
try:
    exec(CODE)
except Exception as exc:
    print(type(exc).__name__, getattr(exc, "name", None), exc, sep="|")
"""


def error_without(blocked: str, code: str) -> str:
    """``type|name|message`` of the error ``code`` raises in a fresh interpreter without ``blocked``.

    ``blocked`` and its submodules fail to import there, as when a package's extra was not
    installed; an empty result means ``code`` raised nothing.
    """
    result = subprocess.run(
        [sys.executable, "-c", _RUN_WITHOUT, blocked, code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()

"""Without the tornado extra, importing the adapter says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

_IMPORT_WITHOUT = """
import sys


class Missing:
    '''Makes BLOCKED, and what is under it, import as if it were not installed.'''

    def find_spec(self, name, path=None, target=None):
        if name == BLOCKED or name.startswith(BLOCKED + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


BLOCKED = sys.argv[1]
sys.meta_path.insert(0, Missing())
try:
    import anemo.tmpl.tornado
except ModuleNotFoundError as exc:
    print(exc.name, exc, sep="|")
"""


@pytest.mark.parametrize(
    ("blocked", "expected"),
    [
        ("tornado", "tornado|anemo.tmpl.tornado needs Tornado: pip install 'anemo-tmpl[tornado]'"),
        ("tornado.escape", "tornado.escape|No module named 'tornado.escape'"),
    ],
    ids=["tornado", "a-submodule"],
)
def test_missing_tornado_names_the_extra(blocked: str, expected: str) -> None:
    """Tornado missing names the extra; any other missing module is reported unchanged."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITHOUT, blocked],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.strip() == expected

"""Without an extra, importing what needs it says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

_IMPORT_WITHOUT = """
import importlib
import sys


class Missing:
    '''Makes BLOCKED, and what is under it, import as if it were not installed.'''

    def find_spec(self, name, path=None, target=None):
        if name == BLOCKED or name.startswith(BLOCKED + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


BLOCKED, MODULE = sys.argv[1:]
sys.meta_path.insert(0, Missing())
try:
    importlib.import_module(MODULE)
except ModuleNotFoundError as exc:
    print(exc.name, exc, sep="|")
"""


def _import_without(blocked: str, module: str) -> str:
    """``name|message`` of the ModuleNotFoundError importing ``module`` gives without ``blocked``."""
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_WITHOUT, blocked, module],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("blocked", "expected"),
    [
        (
            "tornado",
            "tornado|anemo.signedvalue.tornado needs Tornado: pip install 'anemo-signedvalue[tornado]'",
        ),
        ("tornado.web", "tornado.web|No module named 'tornado.web'"),
    ],
    ids=["tornado", "a-submodule"],
)
def test_missing_tornado_names_the_extra(blocked: str, expected: str) -> None:
    """Tornado missing names the extra; any other missing module is reported unchanged."""
    assert _import_without(blocked, "anemo.signedvalue.tornado") == expected


def test_missing_cryptography_names_the_extra() -> None:
    """EncryptedSerializer without cryptography names the encrypt extra."""
    assert _import_without("cryptography", "anemo.signedvalue.encrypted") == (
        "cryptography|anemo.signedvalue.encrypted needs the cryptography package:"
        " pip install 'anemo-signedvalue[encrypt]'"
    )

"""Without an extra, what needs it says what to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

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


def _run_without(blocked: str, code: str) -> str:
    """``type|name|message`` of the error ``code`` raises when ``blocked`` is not installed."""
    result = subprocess.run(
        [sys.executable, "-c", _RUN_WITHOUT, blocked, code],
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
            "ModuleNotFoundError|tornado|anemo.formvalidate.tornado needs Tornado:"
            " pip install 'anemo-formvalidate[tornado]'",
        ),
        ("tornado.web", "ModuleNotFoundError|tornado.web|No module named 'tornado.web'"),
    ],
    ids=["tornado", "a-submodule"],
)
def test_missing_tornado_names_the_extra(blocked: str, expected: str) -> None:
    """Tornado missing names the extra; any other missing module is reported unchanged."""
    assert _run_without(blocked, "import anemo.formvalidate.tornado") == expected


def test_image_verification_without_pillow_names_the_extra() -> None:
    """FileField(verify_images=True) without Pillow fails at declaration, naming the images extra."""
    code = "from anemo.formvalidate import FileField\nFileField(verify_images=True)"
    assert _run_without("PIL", code) == (
        "FormDefinitionError|None|FileField: verify_images needs Pillow:"
        " pip install 'anemo-formvalidate[images]'"
    )

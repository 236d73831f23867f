"""Without the tornado extra, importing the adapter says what to install."""

from __future__ import annotations

import pytest

from anemo_testing import error_without


@pytest.mark.parametrize(
    ("blocked", "expected"),
    [
        (
            "tornado",
            "ModuleNotFoundError|tornado|anemo.tmpl.tornado needs Tornado: pip install 'anemo-tmpl[tornado]'",
        ),
        ("tornado.escape", "ModuleNotFoundError|tornado.escape|No module named 'tornado.escape'"),
    ],
    ids=["tornado", "a-submodule"],
)
def test_missing_tornado_names_the_extra(blocked: str, expected: str) -> None:
    """Tornado missing names the extra; any other missing module is reported unchanged."""
    assert error_without(blocked, "import anemo.tmpl.tornado") == expected

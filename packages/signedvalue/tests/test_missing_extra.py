"""Without an extra, importing what needs it says what to install."""

from __future__ import annotations

import pytest

from anemo_testing import error_without


@pytest.mark.parametrize(
    ("blocked", "expected"),
    [
        (
            "tornado",
            "ModuleNotFoundError|tornado|anemo.signedvalue.tornado needs Tornado:"
            " pip install 'anemo-signedvalue[tornado]'",
        ),
        ("tornado.web", "ModuleNotFoundError|tornado.web|No module named 'tornado.web'"),
    ],
    ids=["tornado", "a-submodule"],
)
def test_missing_tornado_names_the_extra(blocked: str, expected: str) -> None:
    """Tornado missing names the extra; any other missing module is reported unchanged."""
    assert error_without(blocked, "import anemo.signedvalue.tornado") == expected


def test_missing_cryptography_names_the_extra() -> None:
    """EncryptedSerializer without cryptography names the encrypt extra."""
    assert error_without("cryptography", "import anemo.signedvalue.encrypted") == (
        "ModuleNotFoundError|cryptography|anemo.signedvalue.encrypted needs the cryptography package:"
        " pip install 'anemo-signedvalue[encrypt]'"
    )

"""Without an extra, what needs it says what to install."""

from __future__ import annotations

import pytest

from anemo_testing import error_without


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
    assert error_without(blocked, "import anemo.formvalidate.tornado") == expected


def test_image_verification_without_pillow_names_the_extra() -> None:
    """FileField(verify_images=True) without Pillow fails at declaration, naming the images extra."""
    code = "from anemo.formvalidate import FileField\nFileField(verify_images=True)"
    assert error_without("PIL", code) == (
        "FormDefinitionError|None|FileField: verify_images needs Pillow:"
        " pip install 'anemo-formvalidate[images]'"
    )

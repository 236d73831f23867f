"""Without an extra, importing the module that needs it says what to install."""

from __future__ import annotations

import pytest

from anemo_testing import error_without

MISSING = {
    "tornado": (
        "tornado",
        "import anemo.captcha.tornado",
        "ModuleNotFoundError|tornado|"
        "anemo.captcha.tornado needs Tornado: pip install 'anemo-captcha[tornado]'",
    ),
    "redis": (
        "redis",
        "import anemo.captcha.redis",
        "ModuleNotFoundError|redis|anemo.captcha.redis needs redis-py: pip install 'anemo-captcha[redis]'",
    ),
    "limits": (
        "limits",
        "import anemo.captcha.ratelimit",
        "ModuleNotFoundError|limits|"
        "anemo.captcha.ratelimit needs limits: pip install 'anemo-captcha[limits]'",
    ),
    "a submodule of tornado": (
        "tornado.web",
        "import anemo.captcha.tornado",
        "ModuleNotFoundError|tornado.web|No module named 'tornado.web'",
    ),
}


@pytest.mark.parametrize(("blocked", "code", "expected"), MISSING.values(), ids=MISSING.keys())
def test_a_missing_extra_is_named(blocked: str, code: str, expected: str) -> None:
    """The extra's own module missing names the extra; any other missing module is reported unchanged."""
    assert error_without(blocked, code) == expected


@pytest.mark.parametrize("blocked", ["tornado", "redis", "anemo.formvalidate", "limits"])
def test_the_core_imports_without_the_extra(blocked: str) -> None:
    assert error_without(blocked, "import anemo.captcha, anemo.captcha.formvalidate") == ""


def test_the_tornado_adapter_imports_without_limits() -> None:
    assert error_without("limits", "import anemo.captcha.tornado") == ""

"""raises_mistake passes only an exception of every kind named, with a message."""

from __future__ import annotations

import pytest

from anemo_testing import raises_mistake


class RootError(Exception):
    pass


class BadArgument(RootError, ValueError):
    pass


def fail_with(exc: Exception) -> None:
    raise exc


def test_it_returns_an_exception_of_every_kind_named() -> None:
    caught = raises_mistake(lambda: fail_with(BadArgument("no")), BadArgument, RootError, ValueError)
    assert str(caught) == "no"


def test_it_fails_when_a_kind_is_missing() -> None:
    with pytest.raises(AssertionError, match="is not a TypeError"):
        raises_mistake(lambda: fail_with(BadArgument("no")), BadArgument, RootError, TypeError)


def test_it_fails_when_nothing_or_another_error_is_raised() -> None:
    with pytest.raises(pytest.fail.Exception):
        raises_mistake(lambda: None, BadArgument)
    with pytest.raises(KeyError):
        raises_mistake(lambda: fail_with(KeyError("k")), BadArgument)


def test_it_fails_without_a_message() -> None:
    with pytest.raises(AssertionError, match="no message"):
        raises_mistake(lambda: fail_with(BadArgument()), BadArgument)

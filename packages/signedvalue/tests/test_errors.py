"""Every mistake in the calling code is an InvalidOption under SignedValueError, and still the
ValueError or TypeError it was before, so existing ``except`` clauses keep working."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from anemo.signedvalue import (
    InvalidOption,
    InvalidOptionType,
    Serializer,
    SignedValueError,
    Signer,
    create_signed_value,
)
from anemo_testing import raises_mistake

VALUE_MISTAKES: dict[str, Callable[[], object]] = {
    "no secret": lambda: Signer([]),
    "empty secret": lambda: Signer(""),
    "negative max_age": lambda: Signer("k").unsign(Signer("k").sign(b"x"), max_age=-1),
    "NaN max_age": lambda: Serializer("k").loads(Serializer("k").dumps(1), max_age=float("nan")),
    "negative timestamp": lambda: create_signed_value("k", "n", "v", clock=lambda: -1.0),
    "negative key_version": lambda: create_signed_value("k", "n", "v", key_version=-1),
    "key_version missing from the dict": lambda: create_signed_value({0: "k"}, "n", "v", key_version=3),
    "dict of secrets without key_version": lambda: create_signed_value({0: "k"}, "n", "v"),
    "dict of secrets, version 1": lambda: create_signed_value({0: "k"}, "n", "v", version=1, key_version=0),
    "unknown version": lambda: create_signed_value("k", "n", "v", version=7),
    "empty secret, Tornado format": lambda: create_signed_value("", "n", "v"),
}

TYPE_MISTAKES: dict[str, Callable[[], object]] = {
    "secret of the wrong type": lambda: Signer(42),  # type: ignore[arg-type]
    "secrets as a dict": lambda: Signer({"a": "b"}),  # type: ignore[arg-type]
    "secret in a list of the wrong type": lambda: Signer(["ok", 7]),  # type: ignore[list-item]
    "salt of the wrong type": lambda: Signer("k", salt=1.5),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("mistake", VALUE_MISTAKES.values(), ids=VALUE_MISTAKES.keys())
def test_a_bad_argument_is_an_invalid_option_and_a_value_error(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOption, SignedValueError, ValueError)


@pytest.mark.parametrize("mistake", TYPE_MISTAKES.values(), ids=TYPE_MISTAKES.keys())
def test_an_argument_of_the_wrong_type_is_also_a_type_error(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOptionType, SignedValueError, TypeError)


def test_a_bad_token_is_not_a_caller_mistake() -> None:
    """Tokens are input: forging one must never look like a programming error to the caller."""
    with pytest.raises(SignedValueError) as caught:
        Signer("k").unsign("not a token")
    assert not isinstance(caught.value, InvalidOption | ValueError | TypeError)

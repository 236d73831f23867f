"""A mistake in the calling code is a TemplateError and a ValueError or TypeError; a bad template
is a ParseError; a missing one a TemplateNotFound that ``except LookupError`` also catches."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from anemo.tmpl import (
    DictLoader,
    InvalidOption,
    InvalidOptionType,
    Loader,
    ParseError,
    RenderModeError,
    Template,
    TemplateError,
    TemplateNotFound,
    filter_whitespace,
)
from anemo_testing import raises_mistake

VALUE_MISTAKES: dict[str, Callable[[], object]] = {
    "unknown whitespace mode": lambda: Template("x", whitespace="tight"),
    "unknown mode to filter_whitespace": lambda: filter_whitespace("tight", "a  b"),
    "both whitespace options": lambda: Template("x", compress_whitespace=True, whitespace="all"),
    "a loader without roots": lambda: Loader([]),
}

TYPE_MISTAKES: dict[str, Callable[[], object]] = {
    "a template name that is not str": lambda: Template("x", name=3),  # type: ignore[arg-type]
    "a source that is not text": lambda: Template(["x"]),  # type: ignore[arg-type]
    "a name to load that is not str": lambda: DictLoader({}).load(3),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("mistake", VALUE_MISTAKES.values(), ids=VALUE_MISTAKES.keys())
def test_a_bad_argument_is_an_invalid_option(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOption, TemplateError, ValueError)


@pytest.mark.parametrize("mistake", TYPE_MISTAKES.values(), ids=TYPE_MISTAKES.keys())
def test_an_argument_of_the_wrong_type_is_an_invalid_option_type(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOptionType, TemplateError, TypeError)


def test_bad_syntax_is_a_parse_error_and_a_value_error() -> None:
    with pytest.raises(ParseError, match="if") as caught:
        Template("{% if x %}never closed")
    assert isinstance(caught.value, ValueError)


def test_a_missing_template_is_a_lookup_error(tmp_path: Path) -> None:
    for loader in (DictLoader({}), Loader(str(tmp_path))):
        with pytest.raises(LookupError) as caught:
            loader.load("absent.html")
        assert isinstance(caught.value, TemplateNotFound)
        assert caught.value.name == "absent.html"


def test_rendering_an_async_template_synchronously_is_a_type_error() -> None:
    template = Template("{{ await value() }}")
    with pytest.raises(TypeError) as caught:
        template.generate(value=lambda: None)
    assert isinstance(caught.value, RenderModeError)


def test_an_error_of_the_template_code_keeps_its_own_type() -> None:
    """Only mistakes anemo.tmpl finds are its own: 1/0 in a template stays a ZeroDivisionError."""
    with pytest.raises(ZeroDivisionError) as caught:
        Template("{{ 1 // n }}").generate(n=0)
    assert not isinstance(caught.value, TemplateError)

"""Captcha texts and the normalization of answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.captcha import ALPHABET, MAX_LENGTH, RenderError, normalize_answer, random_text

texts = st.text(alphabet=ALPHABET, min_size=1, max_size=MAX_LENGTH)


def test_alphabet_has_no_ambiguous_glyphs() -> None:
    """None of O/0, I/1/l (nor their look-alikes S/5, Z/2, B/8) can appear in a captcha."""
    assert not set("O0QDI1lLS5Z2B8") & set(ALPHABET)
    assert len(set(ALPHABET)) == len(ALPHABET)


@pytest.mark.parametrize("length", [1, 5, MAX_LENGTH])
def test_random_text_has_the_length_asked_for(length: int) -> None:
    """random_text draws exactly ``length`` symbols of the alphabet."""
    text = random_text(length)
    assert len(text) == length
    assert set(text) <= set(ALPHABET)


def test_random_text_uses_the_whole_alphabet() -> None:
    """Every symbol turns up over many draws, and draws differ (chance of failure ~1e-200)."""
    draws = [random_text() for _ in range(2000)]
    assert set("".join(draws)) == set(ALPHABET)
    assert len(set(draws)) > 1900


@pytest.mark.parametrize("length", [0, -1, MAX_LENGTH + 1, 2.0, "5", True, None])
def test_random_text_rejects_bad_lengths(length: object) -> None:
    """A length that is not a small positive int is a RenderError naming the argument."""
    with pytest.raises(RenderError) as caught:
        random_text(length)  # type: ignore[arg-type]
    assert caught.value.argument == "length"
    assert caught.value.value == length


@given(texts, st.lists(st.booleans()), st.sampled_from(["", " ", "\t", "  \n"]))
def test_normalize_ignores_case_and_whitespace(text: str, lower: list[bool], space: str) -> None:
    """Any casing of a text, spaced out and padded, normalizes to the text itself."""
    typed = space.join(
        char.lower() if index < len(lower) and lower[index] else char for index, char in enumerate(text)
    )
    assert normalize_answer(f"{space}{typed}{space}") == text


@given(texts)
def test_normalize_folds_full_width_characters(text: str) -> None:
    """Full-width letters and digits (East Asian keyboards) count as their ASCII forms."""
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in text)
    assert normalize_answer(full_width) == text


@pytest.mark.parametrize(
    "answer",
    ["", "   ", "A" * (MAX_LENGTH + 1), "x" * 10_000, "ÄBC", "\u0410BC", None, b"ABC", 12345],
)
def test_normalize_rejects_what_cannot_be_a_captcha(answer: object) -> None:
    """Empty, overlong, non-ASCII and non-str answers normalize to None."""
    assert normalize_answer(answer) is None  # type: ignore[arg-type]

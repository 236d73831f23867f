"""Rendering: formats, reproducibility, layout inside the frame, and argument checks."""

from __future__ import annotations

import io
import itertools
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from anemo.captcha import ALPHABET, IMAGE_TYPES, MAX_LENGTH, RenderError, render
from anemo.captcha._render import INSET, _font, _glyph, lay_out


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize("fmt", [*IMAGE_TYPES, "png", "jpeg"])
def test_render_writes_the_format_and_size_asked_for(fmt: str) -> None:
    """The bytes decode as the requested format at the requested size."""
    image = decode(render("AC3", width=120, height=50, fmt=fmt, seed=1))
    assert image.format == fmt.upper()
    assert image.size == (120, 50)


def test_render_defaults_to_a_160_by_60_png() -> None:
    """Without options the image is a 160x60 PNG."""
    image = decode(render("ACE34"))
    assert (image.format, image.size) == ("PNG", (160, 60))


def test_the_text_is_drawn() -> None:
    """The picture is mostly pale ground with a real share of dark ink (glyphs, curves, dots)."""
    gray = ImageOps.grayscale(decode(render("WXMHN", seed=3)))
    dark = sum(gray.histogram()[:128]) / (gray.width * gray.height)
    assert 0.08 < dark < 0.5


@given(st.integers(), st.text(ALPHABET, min_size=1, max_size=8))
@settings(max_examples=20)
def test_same_seed_same_image(seed: int, text: str) -> None:
    """One challenge always renders to the same bytes: re-rendering teaches a bot nothing."""
    assert render(text, seed=seed) == render(text, seed=seed)


def test_different_seeds_or_texts_give_different_images() -> None:
    """Seeds (any of int, str, bytes) and texts all change the picture; no seed means a fresh one."""
    images = {render("ACE34", seed=seed) for seed in (1, 2, "1", "2", b"3")}
    images |= {render("ACE35", seed=1), render("ACE34"), render("ACE34")}
    assert len(images) == 8


def test_render_never_touches_the_global_random() -> None:
    """The module-level generator keeps its state: rendering uses a private one."""
    random.seed(99)
    state = random.getstate()
    render("ACE34", seed=5)
    render("ACE34")
    assert random.getstate() == state


@given(
    text=st.text(ALPHABET, min_size=1, max_size=MAX_LENGTH),
    width=st.integers(20, 400),
    height=st.integers(24, 200),
    seed=st.integers(),
)
@settings(max_examples=150)
def test_glyphs_stay_clear_of_the_edges(text: str, width: int, height: int, seed: int) -> None:
    """Every glyph lies inside the inset frame, so the final wave can never push one off the edge."""
    width = max(width, 2 * INSET + 8 * len(text))
    placed = lay_out(text, width, height, random.Random(seed))
    assert len(placed) == len(text)
    for glyph, (x, y) in placed:
        assert glyph.getbbox() is not None
        assert x >= INSET
        assert y >= INSET
        assert x + glyph.width <= width - INSET
        assert y + glyph.height <= height - INSET


def test_glyphs_overlap_their_neighbours() -> None:
    """Adjacent glyphs share columns (segmenting them is part of what OCR must do)."""
    placed = lay_out("ACEFG", 160, 60, random.Random(0))
    for (left, (x, _)), (_, (next_x, _)) in itertools.pairwise(placed):
        assert next_x < x + left.width


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"text": ""}, "text"),
        ({"text": "A" * (MAX_LENGTH + 1)}, "text"),
        ({"text": "AB C"}, "text"),
        ({"text": "ÄBC"}, "text"),
        ({"text": b"ABC"}, "text"),
        ({"text": "ACE34", "width": 10}, "width"),
        ({"text": "A" * 12, "width": 60}, "width"),
        ({"text": "ACE34", "width": 5000}, "width"),
        ({"text": "ACE34", "width": 160.0}, "width"),
        ({"text": "ACE34", "width": True}, "width"),
        ({"text": "ACE34", "height": 12}, "height"),
        ({"text": "ACE34", "height": 401}, "height"),
        ({"text": "ACE34", "fmt": "BMP"}, "fmt"),
        ({"text": "ACE34", "fmt": None}, "fmt"),
    ],
)
def test_bad_arguments_raise_render_error(kwargs: dict[str, object], argument: str) -> None:
    """Each unusable argument is named in a RenderError (also a ValueError) before any drawing."""
    with pytest.raises(RenderError) as caught:
        render(**kwargs)  # type: ignore[arg-type]
    assert caught.value.argument == argument
    assert isinstance(caught.value, ValueError)


def test_threads_render_what_one_thread_renders() -> None:
    """Renders in parallel threads (as in an executor), from cold caches, match sequential ones."""
    jobs = [
        ("".join(ALPHABET[(seed + index) % len(ALPHABET)] for index in range(6)), seed) for seed in range(16)
    ]
    expected = [render(text, height=48 + seed, seed=seed) for text, seed in jobs]
    _glyph.cache_clear()
    _font.cache_clear()
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda job: render(job[0], height=48 + job[1], seed=job[1]), jobs))
    assert got == expected

"""Drawing a captcha: warped, overlapping glyphs under noise, from a private seeded RNG.

Each glyph is rotated, scaled and sheared on its own, the glyphs overlap, curves as dark as the
glyphs and dots in one of their colours cross them, and a smooth wave then bends the whole
picture. Every random choice comes from one :class:`random.Random` seeded by the caller, so a
challenge always renders to the same image (a bot gains nothing by asking again) and the global
:mod:`random` is never touched. The font is Pillow's built-in scalable font (Aileron, via
FreeType): no system font is read.
"""

from __future__ import annotations

import colorsys
import functools
import io
import itertools
import math
import random
import secrets
import threading
from collections.abc import Sequence

from PIL import Image, ImageDraw, ImageFont

from ._text import MAX_LENGTH
from .errors import FontUnavailable, RenderError

__all__ = ["IMAGE_TYPES", "render"]

#: The image formats :func:`render` writes, with their media types.
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}

_MAX_WIDTH, _MAX_HEIGHT = 1000, 400
#: Smallest room for one character, in pixels across and down, before distortion.
_MIN_GLYPH_WIDTH, _MIN_GLYPH_HEIGHT = 8, 14
#: Largest displacement of the final wave, in pixels (vertical; horizontal is half of it).
_WAVE = 3.0
#: Clear pixels kept between any glyph and the edge, on top of the wave's reach.
_CLEARANCE = 2
#: Pixels from each edge that glyphs never enter before the wave, so none is ever cut off.
INSET = math.ceil(_WAVE) + _CLEARANCE
#: Noise bytes at or above this level become dots: 8 of 256 levels, about 3% of the pixels.
_DOT_THRESHOLD = [255 if level >= 248 else 0 for level in range(256)]
_FREETYPE = threading.Lock()
_Ink = tuple[int, int, int]
#: zlib level 2 is twice as fast as Pillow's default 6 here, and its files are no bigger.
_ENCODER_OPTIONS: dict[str, dict[str, int]] = {"PNG": {"compress_level": 2}, "JPEG": {"quality": 85}}


def render(
    text: str,
    *,
    width: int = 160,
    height: int = 60,
    fmt: str = "PNG",
    seed: int | str | bytes | None = None,
) -> bytes:
    """The encoded image of ``text``: the same bytes for the same arguments and ``seed``.

    ``seed=None`` draws a fresh seed from :mod:`secrets`. Glyphs are shrunk as needed so that none
    is ever cut off at the edges, whatever the size.
    """
    _check(text, width, height, fmt)
    # The drawing must be reproducible from the seed; the seed, not the generator, is the secret.
    rng = random.Random(secrets.token_bytes(16) if seed is None else seed)  # noqa: S311
    output = io.BytesIO()
    fmt = fmt.upper()
    _draw(text, width, height, rng).save(output, fmt, **_ENCODER_OPTIONS.get(fmt, {}))
    return output.getvalue()


def _check(text: str, width: int, height: int, fmt: str) -> None:
    if not isinstance(text, str) or not 1 <= len(text) <= MAX_LENGTH:
        raise RenderError("text", text, f"must be a str of 1 to {MAX_LENGTH} characters")
    if not (text.isascii() and text.isalnum()):
        raise RenderError("text", text, "only ASCII letters and digits can be drawn")
    limits = (
        ("width", width, 2 * INSET + _MIN_GLYPH_WIDTH * len(text), _MAX_WIDTH),
        ("height", height, 2 * INSET + _MIN_GLYPH_HEIGHT, _MAX_HEIGHT),
    )
    for name, value, smallest, largest in limits:
        if isinstance(value, bool) or not isinstance(value, int) or not smallest <= value <= largest:
            raise RenderError(name, value, f"must be an int from {smallest} to {largest} for {text!r}")
    if not isinstance(fmt, str) or fmt.upper() not in IMAGE_TYPES:
        raise RenderError("fmt", fmt, f"must be one of {', '.join(IMAGE_TYPES)}")


def _draw(text: str, width: int, height: int, rng: random.Random) -> Image.Image:
    """The captcha picture, before encoding."""
    background = (rng.randint(220, 255), rng.randint(220, 255), rng.randint(220, 255))
    inks = [_dark_colour(rng) for _ in text]
    image = Image.new("RGB", (width, height), background)
    for (glyph, position), ink in zip(lay_out(text, width, height, rng), inks, strict=True):
        image.paste(ink, position, glyph)
    _draw_curves(image, rng)
    _scatter_dots(image, inks, rng)
    return _wave(image, background, rng)


def lay_out(
    text: str, width: int, height: int, rng: random.Random
) -> list[tuple[Image.Image, tuple[int, int]]]:
    """The distorted coverage mask of each character and its top-left corner in the picture."""
    size = round(min(height * 0.62, (width - 2 * INSET) / (0.6 * len(text))))
    glyphs = [_distort(_glyph(char, size), rng) for char in text]
    positions = _place(glyphs, width, height, rng)
    return list(zip(glyphs, positions, strict=True))


def _dark_colour(rng: random.Random) -> _Ink:
    """A dark, saturated colour of random hue.

    Glyphs and curves all get colours as dark as one another, so no grey level or threshold sets
    them apart, while their hues differ, which a person tells apart at a glance.
    """
    red, green, blue = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.6, 1.0), rng.uniform(0.3, 0.5))
    return (round(red * 255), round(green * 255), round(blue * 255))


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        raise FontUnavailable("anemo.captcha needs Pillow with FreeType support")
    return font


@functools.lru_cache(maxsize=512)
def _glyph(char: str, size: int) -> Image.Image:
    """The coverage mask of one character, cropped to its ink with one clear pixel around.

    Masks are cached (only their copies are transformed); FreeType faces are not safe to share
    between threads, and renders run in executors, so drawing one takes a lock.
    """
    with _FREETYPE:
        font = _font(size)
        left, top, right, bottom = font.getbbox(char)
        mask = Image.new("L", (int(right - left) + 2, int(bottom - top) + 2), 0)
        ImageDraw.Draw(mask).text((1 - left, 1 - top), char, font=font, fill=255)
    return mask


def _distort(glyph: Image.Image, rng: random.Random) -> Image.Image:
    """``glyph`` rotated, scaled and sheared by one random affine map, cropped to its ink."""
    angle = math.radians(rng.uniform(-22.0, 22.0))
    scale_x, scale_y, shear = rng.uniform(0.85, 1.15), rng.uniform(0.9, 1.12), rng.uniform(-0.3, 0.3)
    cos, sin = math.cos(angle), math.sin(angle)
    # Forward map about the glyph's centre: rotation after shear after scale.
    a, b = cos * scale_x, (cos * shear - sin) * scale_y
    c, d = sin * scale_x, (sin * shear + cos) * scale_y
    width, height = glyph.size
    corners = [(x - width / 2, y - height / 2) for x in (0, width) for y in (0, height)]
    xs = [a * x + b * y for x, y in corners]
    ys = [c * x + d * y for x, y in corners]
    out_width, out_height = math.ceil(max(xs) - min(xs)), math.ceil(max(ys) - min(ys))
    # Pillow wants the inverse map, from output pixels back to the glyph.
    det = a * d - b * c
    ia, ib, ic, id_ = d / det, -b / det, -c / det, a / det
    cx, cy = out_width / 2, out_height / 2
    inverse = (ia, ib, width / 2 - ia * cx - ib * cy, ic, id_, height / 2 - ic * cx - id_ * cy)
    warped = glyph.transform(
        (out_width, out_height), Image.Transform.AFFINE, inverse, Image.Resampling.BILINEAR
    )
    return warped.crop(warped.getbbox())


def _place(glyphs: list[Image.Image], width: int, height: int, rng: random.Random) -> list[tuple[int, int]]:
    """Top-left corners for ``glyphs``, overlapping, all inside the inset frame.

    Glyphs too big together for the frame are shrunk in place (``glyphs`` is updated).
    """
    overlaps = [rng.uniform(0.03, 0.15) for _ in glyphs[1:]] + [0.0]
    frame_width, frame_height = width - 2 * INSET, height - 2 * INSET
    span = _span(glyphs, overlaps)
    tallest = max(glyph.height for glyph in glyphs)
    if span > frame_width or tallest > frame_height:
        factor = min(frame_width / span, frame_height / tallest)
        for index, glyph in enumerate(glyphs):
            size = (max(1, math.floor(glyph.width * factor)), max(1, math.floor(glyph.height * factor)))
            glyphs[index] = glyph.resize(size, Image.Resampling.BILINEAR)
        span = _span(glyphs, overlaps)
    x = INSET + rng.uniform(0, frame_width - span)
    positions = []
    for glyph, overlap in zip(glyphs, overlaps, strict=True):
        slack = frame_height - glyph.height
        y = INSET + slack / 2 + rng.uniform(-1, 1) * min(slack / 2, 0.1 * height)
        positions.append((math.floor(x), math.floor(y)))
        x += glyph.width * (1 - overlap)
    return positions


def _span(glyphs: Sequence[Image.Image], overlaps: Sequence[float]) -> int:
    """Width of the row of ``glyphs`` each overlapping the next by its share in ``overlaps``."""
    advances = (glyph.width * (1 - overlap) for glyph, overlap in zip(glyphs, overlaps, strict=True))
    return math.ceil(sum(advances))


def _draw_curves(image: Image.Image, rng: random.Random) -> None:
    """Two sine curves through the text band, as dark as the glyphs.

    One is as thick as a glyph's stem, so that erasing thin lines (morphological opening, a common
    OCR preparation) cannot remove it without eating the glyphs; the other is thinner.
    """
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for stroke in (max(1, round(height / 20)), max(1, round(height / 30))):
        amplitude = rng.uniform(0.06, 0.18) * height
        wavelength = rng.uniform(0.3, 0.9) * width
        phase = rng.uniform(0, 2 * math.pi)
        middle = rng.uniform(0.35, 0.65) * height
        points = [
            (x, middle + amplitude * math.sin(2 * math.pi * x / wavelength + phase))
            for x in range(0, width + 4, 4)
        ]
        draw.line(points, fill=_dark_colour(rng), width=stroke, joint="curve")


def _scatter_dots(image: Image.Image, inks: Sequence[_Ink], rng: random.Random) -> None:
    """Single dark pixels over about 3% of the picture, from the seeded RNG (never C's rand)."""
    noise = Image.frombytes("L", image.size, rng.randbytes(image.width * image.height))
    image.paste(rng.choice(inks), (0, 0), noise.point(_DOT_THRESHOLD))


def _wave(image: Image.Image, background: _Ink, rng: random.Random) -> Image.Image:
    """``image`` bent by a smooth two-way sine displacement of at most :data:`_WAVE` pixels."""
    width, height = image.size
    amplitude = rng.uniform(0.6, 1.0) * _WAVE
    cycles_x, cycles_y = rng.uniform(0.7, 1.6), rng.uniform(0.3, 0.8)
    phase_x, phase_y = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)

    def source(x: int, y: int) -> tuple[float, float]:
        shift_x = amplitude / 2 * math.sin(2 * math.pi * cycles_y * y / height + phase_y)
        shift_y = amplitude * math.sin(2 * math.pi * cycles_x * x / width + phase_x)
        return x + shift_x, y + shift_y

    mesh = [
        (
            (left, top, right, bottom),
            (*source(left, top), *source(left, bottom), *source(right, bottom), *source(right, top)),
        )
        for left, right in itertools.pairwise(_cuts(width, 32))
        for top, bottom in itertools.pairwise(_cuts(height, 30))
    ]
    return image.transform(
        image.size, Image.Transform.MESH, mesh, Image.Resampling.BILINEAR, fillcolor=background
    )


def _cuts(length: int, step: int) -> list[int]:
    """Grid lines about ``step`` pixels apart from 0 to ``length``, both ends included."""
    parts = max(1, length // step)
    return [round(index * length / parts) for index in range(parts + 1)]

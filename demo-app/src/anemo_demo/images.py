"""Avatar pictures: what decoding one would cost, judged from its header, and a small thumbnail.

``Image.open`` reads only the header, and a few kilobytes of PNG can announce 6300 x 6300 one-bit
pixels (40 MB once decoded, 160 MB as RGBA). :func:`check` refuses a picture whose decoding would
need more than :data:`MAX_DECODED_BYTES` before a single pixel is decoded; :func:`make_thumbnail`
then stays within that figure: JPEGs are decoded at a reduced scale (``draft``), one-bit pictures
are resampled as greyscale (never widened to RGB(A) at full size), and every picture is shrunk
before it becomes RGBA. Both raise :class:`ImageRejected` subclasses (also ``ValueError``) and
nothing else for a bad picture, so a caller can answer 400 instead of 500.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

__all__ = [
    "THUMBNAIL",
    "FORMATS",
    "MAX_DECODED_BYTES",
    "ImageRejected",
    "ImageTooLarge",
    "ImageUnreadable",
    "check",
    "decoded_bytes",
    "make_thumbnail",
]

THUMBNAIL = (128, 128)
"""The avatar's size in pixels."""

FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
"""The formats an avatar may be in: Pillow's other plugins never parse an upload."""

MAX_DECODED_BYTES = 48 * 1024 * 1024
"""Memory one upload may take while it is thumbnailed (two run at a time: see ``Services.images``)."""

_DRAFT = (2 * THUMBNAIL[0], 2 * THUMBNAIL[1])
"""JPEGs are decoded at the smallest scale (1/2 .. 1/8) still at least this big."""

_PEAK_BYTES_PER_PIXEL = {
    "1": 2,  # one byte per pixel in Pillow, plus the greyscale copy that is resampled
    "L": 1,  # resampled as it is; reduce() leaves a small fraction behind
    "P": 9,  # index, an RGBA copy, and the premultiplied copy resize() makes of RGBA
    "RGB": 4,  # Pillow keeps RGB in 4 bytes; resampled as it is
    "RGBA": 8,  # plus the premultiplied copy resize() makes
    "LA": 8,  # 4 bytes as well, and premultiplied the same way
    "PA": 9,  # as P
}
"""Bytes per pixel at the peak of :func:`make_thumbnail`, by the mode Pillow decodes into."""

_OTHER_MODES = 12
"""Any other mode (CMYK, 16-bit grey, ...): 4 bytes decoded, an RGBA copy, its premultiplied copy."""

_DECODER_BYTES = 1024 * 1024
"""What a decoder holds besides the pixels (tables, buffers of a few rows): a fixed allowance."""

_FORMAT_OVERHEAD = {"WEBP": 12}
"""Extra bytes per pixel a decoder holds: libwebp's canvas, the RGBA frame it returns, and its copy."""


class ImageRejected(ValueError):
    """A picture that will not become an avatar."""


class ImageUnreadable(ImageRejected):
    """Pillow cannot read the picture: damaged, truncated, or a variant it does not decode."""


class ImageTooLarge(ImageRejected):
    """Decoding the picture would need more memory than one upload may take."""

    def __init__(self, width: int, height: int, needed: int, limit: int) -> None:
        super().__init__(f"{width}x{height} pixels would need {needed} bytes to decode (limit {limit})")
        self.width = width
        self.height = height
        self.needed = needed
        self.limit = limit


@contextmanager
def _opened(body: bytes) -> Iterator[tuple[Image.Image, tuple[int, int]]]:
    """The picture with only its header read, and the size it declares.

    A JPEG is set to decode at a reduced scale, so its ``size`` is already the reduced one.
    """
    try:
        image = Image.open(io.BytesIO(body), formats=FORMATS)
    except Exception as exc:  # Pillow raises many types for hostile files: all mean "unreadable"
        raise ImageUnreadable(str(exc)) from exc
    with image:
        declared = image.size
        try:
            image.draft(None, _DRAFT)  # JPEG only; a no-op for the other formats
        except Exception as exc:
            raise ImageUnreadable(str(exc)) from exc
        yield image, declared


def decoded_bytes(image: Image.Image, declared: tuple[int, int]) -> int:
    """The memory :func:`make_thumbnail` needs for ``image``, declared ``declared`` in its header.

    Measured with Pillow 13 (VmHWM of a fresh process, 9 to 16 Mpx pictures of every format and
    mode), each figure at or above what was seen.
    """
    width, height = image.size
    per_pixel = _PEAK_BYTES_PER_PIXEL.get(image.mode, _OTHER_MODES)
    needed = _DECODER_BYTES + width * height * (per_pixel + _FORMAT_OVERHEAD.get(image.format or "", 0))
    if image.format == "JPEG" and image.info.get("progressive"):
        needed += _coefficient_bytes(image, declared)
    return needed


def _coefficient_bytes(image: Image.Image, declared: tuple[int, int]) -> int:
    """What libjpeg keeps of a progressive JPEG whatever the scale: every full-size coefficient.

    Two bytes per coefficient, one coefficient per pixel of each component at its own sampling
    (``layer`` holds the frame header's components: id, horizontal and vertical sampling, table).
    """
    layer = getattr(image, "layer", None) or [("", 1, 1, 0)] * len(image.getbands())
    samplings = [(int(component[1]), int(component[2])) for component in layer]
    widest = max(across for across, _ in samplings)
    tallest = max(down for _, down in samplings)
    shares = sum(across * down for across, down in samplings)
    return -(-declared[0] * declared[1] * 2 * shares // (widest * tallest))  # rounded up


def _check_open(image: Image.Image, declared: tuple[int, int], limit: int) -> None:
    needed = decoded_bytes(image, declared)
    if needed > limit:
        raise ImageTooLarge(declared[0], declared[1], needed, limit)


def check(body: bytes, limit: int = MAX_DECODED_BYTES) -> None:
    """Refuse ``body`` from its header alone: ImageUnreadable, or ImageTooLarge above ``limit``."""
    with _opened(body) as (image, declared):
        _check_open(image, declared, limit)


def make_thumbnail(body: bytes, limit: int = MAX_DECODED_BYTES) -> bytes:
    """A :data:`THUMBNAIL`-sized RGBA PNG of the picture's first frame, centred and cropped square.

    Checked as :func:`check` does first, so a picture over ``limit`` is never decoded.
    """
    with _opened(body) as (image, declared):
        _check_open(image, declared, limit)
        try:
            image.load()  # the first frame, decoded (at the reduced scale for a JPEG)
            small = _shrink(image)
        except Exception as exc:  # truncated or corrupt pixel data shows only now
            raise ImageUnreadable(str(exc)) from exc
    buffer = io.BytesIO()
    small.save(buffer, format="PNG")
    return buffer.getvalue()


def _shrink(image: Image.Image) -> Image.Image:
    """The centre square of ``image`` resized to THUMBNAIL, widened to RGBA only once small."""
    working = image
    if image.mode == "1":
        working = image.convert("L")  # resize() would fall back to nearest neighbour on "1"
    elif image.mode not in _PEAK_BYTES_PER_PIXEL or image.mode in ("P", "PA"):
        working = image.convert("RGBA")  # palettes and rare modes cannot be resampled as they are
    width, height = working.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    small = working.resize(
        THUMBNAIL, Image.Resampling.LANCZOS, box=(left, top, left + side, top + side), reducing_gap=3.0
    )
    return small if small.mode == "RGBA" else small.convert("RGBA")

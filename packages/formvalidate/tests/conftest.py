"""Shared fixtures: real image bytes made by Pillow."""

from __future__ import annotations

import io

import pytest


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    """A real 4x3 PNG made by Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def jpeg_bytes() -> bytes:
    """A real 4x3 JPEG made by Pillow."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (10, 200, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()

"""Shared fixtures: real image bytes made by Pillow; catalogs put back after each test."""

from __future__ import annotations

import io

import pytest

from anemo.formvalidate import _messages


@pytest.fixture(autouse=True)
def _catalogs_put_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Catalogs a test adds (``add_catalog``, the README's examples) are gone after it."""
    monkeypatch.setattr(_messages._registry, "state", _messages._registry.state)


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

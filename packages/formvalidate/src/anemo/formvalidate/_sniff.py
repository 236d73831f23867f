"""Recognise a file's real type from its first bytes, never from the client's claim."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["sniff_content_type", "EXTENSION_TYPES"]

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)

EXTENSION_TYPES: Mapping[str, str] = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "gz": "application/gzip",
    "txt": "text/plain",
}
"""The type an extension promises; an upload whose sniffed type differs is refused."""


def sniff_content_type(body: bytes) -> str:
    """The media type of ``body`` by its signature; ``text/plain`` for UTF-8 text without NUL,
    ``application/octet-stream`` when unknown.
    """
    for signature, media_type in _SIGNATURES:
        if body.startswith(signature):
            return media_type
    if len(body) >= 12 and body[:4] == b"RIFF" and body[8:12] == b"WEBP":
        return "image/webp"
    if b"\x00" not in body:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text/plain"
    return "application/octet-stream"

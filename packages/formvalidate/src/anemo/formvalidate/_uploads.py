"""Uploaded files: safe names, real types, limits, and saving without trusting the client."""

from __future__ import annotations

import io
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ._context import Context
from ._declaration import check_option
from ._fields import Field, _submitted
from ._sniff import EXTENSION_TYPES, sniff_content_type
from ._tree import Node
from .errors import FormDefinitionError, UploadSaveError, ValidationError

__all__ = ["FileField", "UploadedFile", "safe_filename"]

_MAX_NAME_BYTES = 200
_FORBIDDEN = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
)
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
"""Unicode categories removed from names: controls, invisible formats, line and paragraph breaks."""
_EDGES = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "."
"""Stripped from both ends of a name: dots and every space, U+3000 (ideographic) included."""
_EXTENDED_VALUE = re.compile(r"(utf-8|iso-8859-1)'[A-Za-z0-9-]{0,32}'(.*)", re.IGNORECASE | re.DOTALL)


def safe_filename(filename: object) -> str:
    """A name that is safe as one path component, readable Unicode kept; ``""`` if none remains.

    Only the last component of ``/`` or ``\\`` paths survives (no ``../``, absolute or ``C:\\``
    paths), control and invisible format characters (NUL, bidi overrides, U+2028 line
    separators) and ``<>:"|?*`` go, leading and trailing dots and spaces (any Unicode space)
    go, Windows device names are prefixed with ``_``, and the name is cut to 200 UTF-8 bytes
    keeping its extension. A raw RFC 5987 value
    (``UTF-8''%E4%B8%AD.txt``, a ``filename*=`` left undecoded) is decoded. The result is its
    own safe name, so sanitizing twice (``save()`` of an already validated upload) cannot
    change it: the steps are repeated until nothing changes, since one can uncover work for
    another (``x/utf-8''%41.txt`` is an encoded name once its path is gone).
    """
    if not isinstance(filename, str):
        return ""
    name = filename[:1024]
    for _ in range(8):  # a pass that changes the name shortens it (or adds the "_" once)
        cleaner = _sanitize_once(name)
        if cleaner == name:
            break
        name = cleaner
    return name


def _sanitize_once(name: str) -> str:
    """One pass of :func:`safe_filename`'s steps."""
    extended = _EXTENDED_VALUE.fullmatch(name)
    if extended:
        name = unquote(extended.group(2), encoding=extended.group(1).lower(), errors="replace")
    name = name.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = "".join(c for c in name if c not in _FORBIDDEN and unicodedata.category(c) not in _DROPPED)
    name = unicodedata.normalize("NFC", name).strip(_EDGES)
    if name.split(".", 1)[0].rstrip(" ").upper() in _WINDOWS_RESERVED:  # Windows ignores the space
        name = f"_{name}"
    return _truncate(name)


def _truncate(name: str) -> str:
    """Cut ``name`` to the byte budget of one file name, keeping a short extension."""
    if len(name.encode("utf-8")) <= _MAX_NAME_BYTES:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 16:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    budget = _MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    return stem.encode("utf-8")[:budget].decode("utf-8", "ignore").rstrip(_EDGES) + suffix


def _extension(name: str) -> str:
    """The real last suffix, lowercased, without the dot; ``""`` when there is none."""
    stem, dot, extension = name.rpartition(".")
    return extension.lower() if dot and stem else ""


@dataclass(frozen=True)
class UploadedFile:
    """A validated upload. ``content_type`` is sniffed from the bytes; the client's claim is kept
    apart in ``claimed_content_type``. ``filename`` is already sanitized (possibly ``""``).
    """

    filename: str
    body: bytes
    content_type: str
    claimed_content_type: str = ""

    @property
    def size(self) -> int:
        """Length of the body in bytes."""
        return len(self.body)

    @property
    def extension(self) -> str:
        """The lowercased last suffix of the filename, without the dot."""
        return _extension(self.filename)

    def save(self, directory: str | os.PathLike[str], name: str | None = None, *, mode: int = 0o644) -> Path:
        """Write the body atomically into ``directory`` and return the new file's path.

        The name is ``name`` or the upload's filename, both sanitized by :func:`safe_filename`,
        or a random one when nothing safe is left. An existing file is never overwritten: the
        name gets `` (1)``, `` (2)``, ... instead. The body goes to a temporary file in the
        same directory, then is hard-linked under its name, so readers never see it half-written.
        """
        folder = Path(directory)
        if not folder.is_dir():
            raise UploadSaveError("not a directory", directory=str(folder))
        chosen = safe_filename(name if name is not None else self.filename)
        if not chosen:
            suffix = f".{self.extension}" if self.extension else ""
            chosen = f"{secrets.token_hex(16)}{suffix}"
        try:
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(self.body)
                    file.flush()
                    os.fsync(file.fileno())
                os.chmod(temporary, mode)
                return _link_unique(temporary, folder, chosen)
            finally:
                os.unlink(temporary)
        except OSError as error:
            message = f"cannot save upload: {error.strerror or error}"
            raise UploadSaveError(message, directory=str(folder)) from error


def _link_unique(source: str, folder: Path, name: str) -> Path:
    """Hard-link ``source`` as ``name`` in ``folder``, numbering the name while it is taken."""
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    suffix = f".{extension}" if extension else ""
    room = _MAX_NAME_BYTES - len(suffix.encode("utf-8")) - len(" (999)")
    short_stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
    for attempt in range(1000):
        candidate = folder / (name if attempt == 0 else f"{short_stem} ({attempt}){suffix}")
        try:
            os.link(source, candidate)
        except FileExistsError:
            continue
        return candidate
    candidate = folder / f"{secrets.token_hex(16)}{suffix}"
    os.link(source, candidate)
    return candidate


class FileField(Field[Any]):
    """Uploaded file(s) read from ``files``, checked without trusting the client.

    - ``extensions``: allowed last suffixes, case-insensitive (``evil.pdf.exe`` is ``exe``);
    - ``max_size``: bytes per file; ``max_files``: files under this name (above 1 the value is a
      list of :class:`UploadedFile`, otherwise one or ``None``);
    - ``content_types``: allowed types *sniffed from the bytes*; independently, a file whose
      extension promises a known type (``.png``) must really be of that type;
    - ``verify_images``: also open images with Pillow (the ``images`` extra), refusing damaged
      ones and those above ``max_pixels``.
    """

    redisplay = False

    def __init__(
        self,
        *,
        extensions: Iterable[str] | None = None,
        max_size: int = 10 * 1024 * 1024,
        content_types: Iterable[str] | None = None,
        max_files: int = 1,
        verify_images: bool = False,
        max_pixels: int = 40_000_000,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        for option, value in (("max_files", max_files), ("max_size", max_size), ("max_pixels", max_pixels)):
            check_option("FileField", option, value, int, minimum=1)
        if verify_images:
            try:
                import PIL.Image  # noqa: F401, PLC0415 -- fail at declaration, not per request
            except ImportError:
                raise FormDefinitionError(
                    "verify_images needs Pillow: pip install 'anemo-formvalidate[images]'", owner="FileField"
                ) from None
        self.extensions = None if extensions is None else frozenset(e.lower().lstrip(".") for e in extensions)
        self.max_size = max_size
        self.content_types = None if content_types is None else frozenset(content_types)
        self.max_files = max_files
        self.verify_images = verify_images
        self.max_pixels = max_pixels

    def _read(self, node: Node, files: Node, key: str | int, path: str, context: Context) -> Any:
        values = _submitted(files, key)
        if len(values) > self.max_files:
            raise ValidationError(code="too_many_files", params={"max": self.max_files})
        checked = [self._check(upload) for upload in values]
        if not checked:
            if self.required:
                raise ValidationError(code="required")
            return self.default if self.default is not None or self.max_files == 1 else []
        return checked if self.max_files > 1 else checked[0]

    def _check(self, upload: object) -> UploadedFile:
        body = getattr(upload, "body", None)
        if not isinstance(body, bytes):
            raise ValidationError(code="structure")
        if len(body) > self.max_size:
            raise ValidationError(code="file_too_large", params={"max": self.max_size})
        if not body:
            raise ValidationError(code="file_empty")
        name = safe_filename(getattr(upload, "filename", ""))
        extension = _extension(name)
        if self.extensions is not None and extension not in self.extensions:
            raise ValidationError(
                code="file_extension", params={"extensions": ", ".join(sorted(self.extensions))}
            )
        media_type = sniff_content_type(body)
        if self.content_types is not None and media_type not in self.content_types:
            raise ValidationError(code="file_type")
        if extension in EXTENSION_TYPES and EXTENSION_TYPES[extension] != media_type:
            raise ValidationError(code="file_mismatch")
        if (
            self.verify_images
            and media_type.startswith("image/")
            and not self._verify_image(body, media_type)
        ):
            raise ValidationError(code="file_damaged")
        claimed = getattr(upload, "content_type", "")
        return UploadedFile(name, body, media_type, claimed if isinstance(claimed, str) else "")

    def _verify_image(self, body: bytes, media_type: str) -> bool:
        """Whether Pillow reads ``body`` as an intact image of ``media_type`` within max_pixels."""
        from PIL import Image  # noqa: PLC0415 -- Pillow is an optional extra

        try:
            with Image.open(io.BytesIO(body)) as image:
                if (
                    image.width * image.height > self.max_pixels
                    or Image.MIME.get(image.format or "") != media_type
                ):
                    return False
                image.verify()
        except Exception:  # Pillow raises many types for hostile files: all mean "not an image"
            return False
        return True

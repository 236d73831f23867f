"""A template engine for Tornado's template language: a drop-in for ``tornado.template``, faster.

``Template``, ``Loader``, ``DictLoader``, ``BaseLoader``, ``ParseError`` and
``filter_whitespace`` behave as their ``tornado.template`` namesakes. Beyond them: ``{{ super() }}``
in blocks, ``{%-``/``-%}`` whitespace trimming, reloading by modification time, several search
directories, a disk cache of compiled code, streaming and async rendering, and ``SafeStr`` for
markup that must not be escaped again. The Tornado adapter is :mod:`anemo.tmpl.tornado`.
"""

from ._escape import SafeStr, json_encode, squeeze, url_escape, xhtml_escape
from ._linkify import linkify
from ._loader import BaseLoader, DictLoader, Loader
from ._template import STREAM_CHUNK_PIECES, Template
from ._whitespace import filter_whitespace
from .errors import (
    InvalidOption,
    InvalidOptionType,
    ParseError,
    RenderModeError,
    TemplateDirectoryNotFound,
    TemplateError,
    TemplateNotFound,
    UnsafeCacheDirectory,
)

__version__ = "0.1.0"

__all__ = [
    "STREAM_CHUNK_PIECES",
    "BaseLoader",
    "DictLoader",
    "InvalidOption",
    "InvalidOptionType",
    "Loader",
    "ParseError",
    "RenderModeError",
    "SafeStr",
    "Template",
    "TemplateDirectoryNotFound",
    "TemplateError",
    "TemplateNotFound",
    "UnsafeCacheDirectory",
    "__version__",
    "filter_whitespace",
    "json_encode",
    "linkify",
    "squeeze",
    "url_escape",
    "xhtml_escape",
]

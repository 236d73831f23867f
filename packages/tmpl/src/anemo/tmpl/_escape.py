"""Turning template values into output text: escaping, safe strings and the namespace helpers.

Templates build their output as ``str`` pieces and encode once at the end. Bytes values are
decoded as UTF-8; where they are written unescaped, undecodable bytes survive the round trip
(``surrogateescape``), so raw bytes come out exactly as they went in, as with tornado.template.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.parse
from collections.abc import Callable
from typing import Any

__all__ = [
    "SafeStr",
    "apply_filter",
    "escaper_for",
    "json_encode",
    "squeeze",
    "to_text",
    "url_escape",
    "xhtml_escape",
]

Escaper = Callable[[Any], str]


class SafeStr(str):
    """Text that is already safe HTML: autoescaping writes it unchanged.

    UI modules and ``xsrf_form_html`` produce markup; wrapping it in ``SafeStr`` lets
    ``{{ value }}`` write it as is instead of escaping it a second time. Any object with an
    ``__html__`` method (``markupsafe.Markup``, for one) is treated the same way.
    """

    __slots__ = ()

    def __html__(self) -> SafeStr:
        return self


def _escape_text(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def xhtml_escape(value: str | bytes) -> str:
    """Escape ``& < > " '`` for HTML or XML; bytes are decoded as UTF-8 first."""
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return _escape_text(value)


def escape_html_value(value: Any) -> str:
    """The autoescape of ``{{ value }}``: escaped text, or the markup of a safe value.

    The replacements are written out here rather than calling :func:`xhtml_escape`: this runs
    once per value on every page, and a call less is a good part of its cost.
    """
    kind = type(value)
    if kind is str:
        text: str = value
    elif kind is int:
        return str(value)
    else:
        markup = getattr(value, "__html__", None)
        if markup is not None:
            return str(markup())
        if isinstance(value, str):
            text = str.__str__(value)
        elif isinstance(value, bytes):
            text = value.decode("utf-8")
        else:
            text = str(value)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def to_text(value: object) -> str:
    """The unescaped text of a value: ``str`` as is, bytes decoded, anything else ``str()``.

    A ``str`` subclass gives its characters, not its ``__str__`` (a ``(str, Enum)`` member
    writes its value, as with tornado.template).
    """
    if type(value) is str:
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "surrogateescape")
    return str(value)


def to_bytes(value: object) -> bytes:
    """The UTF-8 bytes that tornado.template hands to custom escape and ``apply`` functions."""
    if isinstance(value, bytes):
        return value
    return to_text(value).encode("utf-8", "surrogateescape")


def _is_tornado_escape(function: object) -> bool:
    tornado_escape = sys.modules.get("tornado.escape")
    return tornado_escape is not None and function is getattr(tornado_escape, "xhtml_escape", None)


def escaper_for(function: Callable[[Any], Any]) -> Escaper:
    """The ``{{ }}`` writer for an autoescape function found in the namespace.

    The standard ``xhtml_escape`` (ours or tornado's) gets the fast ``str`` path; any other
    function is called the tornado way, with the value's UTF-8 bytes.
    """
    if function is xhtml_escape or _is_tornado_escape(function):
        return escape_html_value

    def escape_with_custom_function(value: object) -> str:
        return to_text(function(to_bytes(value)))

    return escape_with_custom_function


def apply_filter(function: Callable[[bytes], object], text: str) -> str:
    """``{% apply function %}``: pass the rendered body as bytes and take back text or bytes."""
    return to_text(function(text.encode("utf-8", "surrogateescape")))


def url_escape(value: str | bytes, plus: bool = True) -> str:
    """URL-encode a value; with ``plus`` spaces become ``+`` (query strings), else ``%20``."""
    quote = urllib.parse.quote_plus if plus else urllib.parse.quote
    return quote(value.encode("utf-8") if isinstance(value, str) else value)


def json_encode(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element (``</`` is written ``<\\/``)."""
    return json.dumps(value).replace("</", "<\\/")


_WHITESPACE_RUN = re.compile(r"[\x00-\x20]+")


def squeeze(value: str) -> str:
    """Collapse every run of whitespace and control characters to one space, and strip."""
    return _WHITESPACE_RUN.sub(" ", value).strip()

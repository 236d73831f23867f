"""Whitespace modes: how the literal text between template tags is compacted."""

from __future__ import annotations

import re

from .errors import InvalidOption

__all__ = ["WHITESPACE_MODES", "default_whitespace_mode", "filter_whitespace"]

WHITESPACE_MODES = ("all", "single", "oneline")

_BLANKS = re.compile(r"[\t ]+")
_LINE_BREAK = re.compile(r"\s*\n\s*")
_ANY_SPACE = re.compile(r"\s+")


def filter_whitespace(mode: str, text: str) -> str:
    """Compact ``text`` by ``mode``.

    ``all`` keeps it unchanged; ``single`` turns each run of spaces and tabs into one space and
    each run of whitespace holding a line break into one newline; ``oneline`` turns every run of
    whitespace into one space.
    """
    if mode == "all":
        return text
    if mode == "single":
        return _LINE_BREAK.sub("\n", _BLANKS.sub(" ", text))
    if mode == "oneline":
        return _ANY_SPACE.sub(" ", text)
    raise InvalidOption(f"invalid whitespace mode {mode!r}; expected one of {', '.join(WHITESPACE_MODES)}")


def default_whitespace_mode(name: str) -> str:
    """``single`` for ``.html`` and ``.js`` files, ``all`` for everything else (tornado's rule)."""
    return "single" if name.endswith((".html", ".js")) else "all"

"""Captcha texts: drawn with :mod:`secrets` from an alphabet a person cannot misread."""

from __future__ import annotations

import secrets
import unicodedata

from .errors import RenderError

__all__ = ["ALPHABET", "MAX_LENGTH", "normalize_answer", "random_text"]

#: Upper-case letters and digits minus every glyph that a warped rendering makes ambiguous:
#: O/Q/D/0, I/L/1, S/5, Z/2, B/8 and V/U. 22 symbols: five of them make 5.2 million texts.
ALPHABET = "ACEFGHJKMNPRTUWXY34679"

#: The longest text :func:`render` draws, and the longest answer :func:`normalize_answer` reads.
MAX_LENGTH = 12
#: Longest raw answer looked at (spaces included); anything longer is wrong without further work.
_MAX_TYPED = 256


def random_text(length: int = 5) -> str:
    """A captcha text of ``length`` symbols from :data:`ALPHABET`, chosen by :mod:`secrets`."""
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= MAX_LENGTH:
        raise RenderError("length", length, f"must be an int from 1 to {MAX_LENGTH}")
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def normalize_answer(answer: str) -> str | None:
    """The canonical form of what a person typed, or ``None`` when it cannot be a captcha text.

    Case and whitespace are ignored and compatibility characters folded (NFKC: full-width
    letters from East Asian keyboards become ASCII). Input is bounded before any work is done.
    """
    if not isinstance(answer, str) or len(answer) > _MAX_TYPED:
        return None
    folded = "".join(unicodedata.normalize("NFKC", answer).split()).upper()
    if not 1 <= len(folded) <= MAX_LENGTH or not folded.isascii():
        return None
    return folded

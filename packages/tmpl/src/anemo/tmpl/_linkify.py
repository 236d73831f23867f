"""``linkify``: escape plain text and turn the URLs in it into links, as tornado's does.

Templates written for tornado.template call ``linkify(text)``; this is the same function
without Tornado. The text is escaped first, then each URL in the escaped text becomes an
``<a>`` element. What counts as a URL is Tornado's rule, implemented here as a scanner:

- a URL starts at a word boundary, with ``scheme:`` and one to three slashes (``scheme``
  being letters, digits, ``_`` and ``-``), or with ``www.``;
- its body is a run of characters other than whitespace, ``&``, ``(`` and ``)`` (the
  entities ``&amp;`` and ``&quot;`` count as one such character), ending in a character that
  is not ASCII punctuation (``/``, ``-``, ``_`` and ``\\`` may end it), or a parenthesised
  run of the same characters; pieces follow one another as long as they can.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass

from ._escape import SafeStr, xhtml_escape

__all__ = ["linkify"]

#: Characters a URL never ends with (outside parentheses): ASCII punctuation but ``/ - _ \\``.
_TRAILING_PUNCTUATION = "!\"#$%&'()*+,.:;<=>?@[]^`{|}~"
#: The entities ``&amp;`` and ``&quot;`` without their ";", as trailing punctuation leaves them.
_UNFINISHED_ENTITIES = ("&amp", "&quot")
#: A run of URL characters: anything but whitespace, ``&``, ``(`` and ``)``, or the entities
#: ``&amp;`` and ``&quot;`` of the escaped text, each read as one character.
_URL_CHARACTERS = re.compile(r"(?:[^\s&()]|&amp;|&quot;)*")
#: A run of scheme characters: letters, digits, ``_`` and ``-``.
_SCHEME_CHARACTERS = re.compile(r"[\w-]*")
#: What every URL contains near its start: ``:/`` after its scheme, or ``www.``.
_START_MARK = re.compile(r":/|www\.")
#: Display length above which ``shorten=True`` shortens a URL.
_SHORTEN_ABOVE = 30


def _is_word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _is_scheme_char(character: str) -> bool:
    return character.isalnum() or character in "_-"


@dataclass(frozen=True)
class _Url:
    """A URL found in the escaped text: where it ends, and its scheme and slashes if any."""

    end: int
    scheme: str | None
    slashes: str


class _Scanner:
    """Finds the URLs of one escaped text, left to right, in time linear in its length.

    Work that later start positions would repeat is remembered: the end of the current run of
    scheme characters, the next place a URL could start, and each body end computed.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.scheme_run_end = 0
        self.mark = -1  # position of the next ":/" or "www." at or after the last search
        self.mark_run_start = -1  # where the scheme characters before that mark begin
        self.body_ends: dict[int, int] = {}

    def next_start(self, index: int) -> int:
        """The first position at or after ``index`` where a URL could start, or -1.

        A URL needs ``www.`` or a scheme before ``:/``: find the next of those marks, and for
        ``:/`` step back to the start of the scheme characters before it.
        """
        text = self.text
        while True:
            if self.mark < index:
                match = _START_MARK.search(text, index)
                if match is None:
                    return -1
                self.mark = self.mark_run_start = match.start()
                while self.mark_run_start > index and _is_scheme_char(text[self.mark_run_start - 1]):
                    self.mark_run_start -= 1
            start = max(self.mark_run_start, index)
            # Before ":/" only a scheme may start a URL; "www." starts one itself.
            if start < self.mark or (start == self.mark and text.startswith("w", start)):
                return start
            index = self.mark + 1

    def piece_end(self, index: int) -> int:
        """The end of the longest body piece starting at ``index``, or -1 if none starts there."""
        text = self.text
        if text.startswith("(", index):
            inner_end = _URL_CHARACTERS.match(text, index + 1).end()  # type: ignore[union-attr]
            return inner_end + 1 if text.startswith(")", inner_end) else -1
        # A run of URL characters, cut after its last character that may end a URL. Entities
        # end in ";", which may not end a URL; their letters may not either.
        run = text[index : _URL_CHARACTERS.match(text, index).end()]  # type: ignore[union-attr]
        while True:
            run = run.rstrip(_TRAILING_PUNCTUATION)
            if run.endswith(_UNFINISHED_ENTITIES):
                run = run[: run.rindex("&")]
            else:
                return index + len(run) if run else -1

    def body_end(self, index: int) -> int:
        """The end of the URL body starting at ``index`` (pieces as long as they come), or -1."""
        known = self.body_ends.get(index)
        if known is not None:
            return known
        end = -1
        position = index
        while (after := self.piece_end(position)) >= 0:
            end = position = after
        self.body_ends[index] = end
        return end

    def url_at(self, start: int) -> _Url | None:
        """The URL starting at ``start``, or ``None``."""
        text = self.text
        if start >= self.scheme_run_end:
            self.scheme_run_end = _SCHEME_CHARACTERS.match(text, start).end()  # type: ignore[union-attr]
        scheme_end = self.scheme_run_end
        if scheme_end > start and text.startswith(":", scheme_end):
            slashes_start = scheme_end + 1
            available = 0
            while available < 3 and text.startswith("/", slashes_start + available):
                available += 1
            # As many slashes as there are (up to three), fewer if the body needs one.
            for count in range(available, 0, -1):
                end = self.body_end(slashes_start + count)
                if end >= 0:
                    return _Url(end, text[start:scheme_end], "/" * count)
        if text.startswith("www.", start):
            end = self.body_end(start + 4)
            if end >= 0:
                return _Url(end, None, "")
        return None

    def at_word_boundary(self, index: int) -> bool:
        text = self.text
        before = index > 0 and _is_word(text[index - 1])
        return before != (index < len(text) and _is_word(text[index]))


def _shortened(url: str, found: _Url) -> str:
    """The display form of a long URL: host and the start of the path, then ``...``."""
    prefix_length = len(found.scheme) + 1 + len(found.slashes) if found.scheme is not None else 0
    segments = url[prefix_length:].split("/")
    shown = url
    if len(segments) > 1:
        path_start = segments[1][:8].split("?")[0].split(".")[0]
        shown = f"{url[:prefix_length]}{segments[0]}/{path_start}"
    if len(shown) > _SHORTEN_ABOVE * 1.5:
        shown = shown[:_SHORTEN_ABOVE]
    if shown == url:
        return url
    ampersand = shown.rfind("&")
    if ampersand > _SHORTEN_ABOVE - 5:
        shown = shown[:ampersand]
    shown += "..."
    return url if len(shown) >= len(url) else shown


def linkify(
    text: str | bytes,
    shorten: bool = False,
    extra_params: str | Callable[[str], str] = "",
    require_protocol: bool = False,
    permitted_protocols: Collection[str] = ("http", "https"),
) -> SafeStr:
    """Escape ``text`` as HTML and make links of the URLs in it; the result is safe markup.

    ``shorten`` abbreviates long link texts (the full URL goes in a ``title``);
    ``extra_params`` is added to each ``<a>`` tag as is (a string, or a function of the URL
    returning one, for ``rel="nofollow"`` and the like: it is not escaped); with
    ``require_protocol`` only URLs with a scheme are linked, not ``www.`` ones; URLs whose
    scheme is not in ``permitted_protocols`` stay text (so ``javascript:`` is never a link).
    """
    escaped = xhtml_escape(text)
    scanner = _Scanner(escaped)
    output: list[str] = []
    copied = 0
    index = scanner.next_start(0)
    while index >= 0:
        found = scanner.url_at(index) if scanner.at_word_boundary(index) else None
        if found is None:
            index = scanner.next_start(index + 1)
            continue
        output.append(escaped[copied:index])
        url = escaped[index : found.end]
        output.append(
            _link(
                url,
                found,
                shorten=shorten,
                extra_params=extra_params,
                require_protocol=require_protocol,
                permitted_protocols=permitted_protocols,
            )
        )
        copied = found.end
        index = scanner.next_start(copied)
    output.append(escaped[copied:])
    return SafeStr("".join(output))


def _link(
    url: str,
    found: _Url,
    *,
    shorten: bool,
    extra_params: str | Callable[[str], str],
    require_protocol: bool,
    permitted_protocols: Collection[str],
) -> str:
    """The ``<a>`` element for one URL, or the URL as text when it may not be linked."""
    if found.scheme is None:
        if require_protocol:
            return url
        href = "http://" + url
    elif found.scheme not in permitted_protocols:
        return url
    else:
        href = url
    # Tornado's spacing, kept byte for byte: a function's result always gets a leading space.
    params = extra_params(href) if callable(extra_params) else extra_params
    attributes = f" {params.strip()}" if params or callable(extra_params) else ""
    shown = _shortened(url, found) if shorten and len(url) > _SHORTEN_ABOVE else url
    if shown != url:
        attributes += f' title="{href}"'
    return f'<a href="{href}"{attributes}>{shown}</a>'

"""Babel integration: an extractor that finds the messages of templates for ``pybabel extract``.

Map template files to it in Babel's configuration::

    [anemo_tmpl: **.html]

and ``pybabel extract -F babel.cfg -c Translators: -o messages.pot .`` collects every
``_("...")`` of every tag: ``{{ }}``, ``{% set %}``, ``{% if %}``, ``{% for %}``,
``{% module %}``, ``{% raw %}``... A comment ``{# Translators: ... #}`` that ends on the line
of a message or on the line before it is given to the translators. Tornado's ``_`` is
``locale.translate(message, plural_message=None, count=None)``: a call with three arguments is a
plural, reported as ``ngettext`` so that Babel's default keywords write ``msgid_plural`` for it
(and a four-argument ``pgettext`` as ``npgettext``).

This module imports nothing from Babel: Babel calls it.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

from ._parser import ParsedFile, _Reader
from .errors import ParseError

__all__ = ["extract"]

#: A call's arguments as Babel takes them: one string, or a tuple (None where not a literal).
_Messages = str | tuple[str | None, ...] | None

#: Tornado's translation functions whose longer form is a plural: (arguments, gettext name).
_TORNADO_PLURALS = {"_": (3, "ngettext"), "pgettext": (4, "npgettext")}
#: Directives whose argument is one Python expression.
_EXPRESSION_DIRECTIVES = frozenset({"if", "elif", "while", "raw", "module", "apply"})


@dataclass
class _Code:
    """Python source from one tag, and how to make it parse: a prefix of ``prefix_lines`` lines."""

    source: str
    line: int
    prefix_lines: int = 0
    mode: str = "exec"


@dataclass
class _Comment:
    """A ``{# #}`` or ``{% comment %}``: its text and the lines it starts and ends on."""

    text: str
    line: int
    end_line: int


class _Scanner(_Reader):
    """The template parser, noting each tag's Python code and each comment as it reads them."""

    def __init__(self, source: str, file: ParsedFile) -> None:
        # Whitespace is irrelevant here: "all" skips the work of compacting the text.
        super().__init__(source, file, "all")
        self.events: list[_Code | _Comment] = []

    def _skip_comment(self) -> None:
        start, line = self.position, self.line
        super()._skip_comment()
        self.events.append(_Comment(self.source[start : self.position - 2], line, self.line))

    def _contents(self, closer: str, what: str) -> str:
        start, line = self.position, self.line
        contents = super()._contents(closer, what)
        if contents:
            # The line the code itself starts on, after any newlines that open the tag.
            offset = self.source.index(contents, start)
            event = self._event(contents, closer, line + self.source.count("\n", start, offset))
            if event is not None:
                self.events.append(event)
        return contents

    @staticmethod
    def _event(contents: str, closer: str, line: int) -> _Code | _Comment | None:
        if closer == "}}":
            return _Code(f"({contents}\n)", line, mode="eval")
        operator, *rest = contents.split(None, 1)
        if not rest:
            return None
        argument = rest[0]
        line += contents.count("\n", 0, contents.index(argument, len(operator)))
        if operator == "comment":
            return _Comment(argument, line, line + argument.count("\n"))
        if operator in _EXPRESSION_DIRECTIVES:
            return _Code(f"({argument}\n)", line, mode="eval")
        if operator == "set":
            return _Code(argument, line)
        if operator == "for":
            return _Code(f"for {argument}:pass", line)
        if operator == "except":
            return _Code(f"try:pass\nexcept {argument}:pass", line, prefix_lines=1)
        return None  # names and paths: extends, include, block, import, autoescape...


def _scan(source: str, name: str) -> tuple[ParsedFile, list[_Code | _Comment]]:
    """Parse ``source`` as the engine does, returning its code and comments in order."""
    file = ParsedFile(name, [line.removesuffix("\r") for line in source.split("\n")], None)
    scanner = _Scanner(source, file)
    file.body, _ = scanner.parse_body(None, in_loop=False)
    return file, scanner.events


def _text(node: ast.expr) -> str | None:
    """A string literal's value (also a constant f-string), or None for anything computed."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr) and all(isinstance(part, ast.Constant) for part in node.values):
        return "".join(str(part.value) for part in node.values if isinstance(part, ast.Constant))
    return None


def _called_name(call: ast.Call) -> str | None:
    """The name a call is made by: ``_`` in ``_("x")`` and in ``locale._("x")``."""
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _calls(code: _Code, file: ParsedFile, keywords: Collection[str]) -> Iterator[tuple[int, str, _Messages]]:
    """The gettext calls in one tag's code: (template line, function name, arguments)."""
    try:
        tree = ast.parse(code.source, file.name, code.mode)
    except SyntaxError as error:
        line = code.line + max((error.lineno or 1) - 1 - code.prefix_lines, 0)
        raise _error(f"invalid Python: {error.msg}", file, line) from None
    calls = [
        (node, name)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (name := _called_name(node)) is not None and name in keywords
    ]
    for call, name in sorted(calls, key=lambda found: (found[0].lineno, found[0].col_offset)):
        # As Babel's Python extractor: arguments in order, keyword ones after the positional.
        arguments = [*call.args, *(keyword.value for keyword in call.keywords)]
        values = tuple(_text(argument) for argument in arguments) or (None,)
        plural = _TORNADO_PLURALS.get(name)
        funcname = name
        if plural is not None and len(values) >= plural[0] and plural[1] in keywords:
            funcname = plural[1]
        first = arguments[0] if arguments else call
        line = code.line + first.lineno - 1 - code.prefix_lines
        yield line, funcname, values if len(values) > 1 else values[0]


def _error(message: str, file: ParsedFile, line: int) -> ParseError:
    error = ParseError(message, file.name, line)
    if 0 < line <= len(file.source_lines):
        error.source_line = file.source_lines[line - 1]
        error.add_note(f"    {file.name}:{line}: {error.source_line.strip()}")
    return error


def _decode(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise ParseError(f"template is not valid {encoding} ({error.reason})", name, line) from None


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str, str | tuple[str | None, ...] | None, list[str]]]:
    """Yield ``(lineno, funcname, messages, comments)`` for each translation call of a template.

    Babel's extractor interface: ``keywords`` are the function names to look for,
    ``comment_tags`` the prefixes of translator comments, and ``options`` may give the file's
    ``encoding`` (default UTF-8). Arguments that are not string literals are None, which Babel
    skips, as it does in Python files.

    A template that does not parse, or whose Python does not, raises
    :class:`~anemo.tmpl.ParseError` naming the file and line: ``pybabel`` stops with it rather
    than write a catalog that lacks the file's messages.
    """
    name = str(getattr(fileobj, "name", "<template>"))
    try:
        file, events = _scan(_decode(fileobj.read(), options.get("encoding", "utf-8"), name), name)
    except ParseError as error:
        # The message names the template line; the parser's frames would only bury it.
        raise error.with_traceback(None) from None
    pending: list[_Comment] = []
    for event in events:
        if isinstance(event, _Comment):
            text = event.text.strip()
            if any(text.startswith(tag) for tag in comment_tags):
                if pending and pending[-1].end_line < event.line - 1:
                    pending.clear()
                pending.append(event)
            continue
        for line, funcname, messages in _calls(event, file, keywords):
            if pending and pending[-1].end_line < line - 1:
                pending.clear()
            comments = [part.strip() for comment in pending for part in comment.text.strip().splitlines()]
            pending.clear()
            yield line, funcname, messages, comments

"""The parser: template source text to a tree of nodes, one :class:`ParsedFile` per template.

The grammar is tornado.template's: literal text, ``{{ expression }}``, ``{% directive %}`` and
``{# comment #}``, with ``{{!``, ``{%!`` and ``{#!`` writing the two opening characters
literally. Two extensions: ``{{-``/``{%-`` and ``-}}``/``-%}`` trim the whitespace before and
after a tag, and ``{{ super() }}`` inside a block writes the block it overrides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._whitespace import WHITESPACE_MODES, filter_whitespace
from .errors import ParseError

__all__ = [
    "Apply",
    "Block",
    "Clause",
    "Compound",
    "Expression",
    "Include",
    "Node",
    "ParsedFile",
    "Statement",
    "Super",
    "Text",
    "parse",
]


@dataclass
class Text:
    """Literal text, already whitespace-filtered and trimmed."""

    text: str
    line: int


@dataclass
class Expression:
    """``{{ code }}`` (escaped) or ``{% raw code %}`` / ``{% module code %}`` (``raw``)."""

    code: str
    line: int
    raw: bool


@dataclass
class Super:
    """``{{ super() }}``: the content of the block the enclosing block overrides."""

    line: int


@dataclass
class Statement:
    """One line of Python: ``set``, ``import``, ``from``, ``break``, ``continue``."""

    code: str
    line: int


@dataclass
class Clause:
    """One header and body of a compound statement: ``if x:``, ``else:``, ``except E:``."""

    header: str
    line: int
    body: list[Node]


@dataclass
class Compound:
    """``if``/``for``/``while``/``try`` with its intermediate clauses."""

    clauses: list[Clause]


@dataclass
class Block:
    """``{% block name %}``: a named region that templates extending this one may replace."""

    name: str
    line: int
    body: list[Node]
    file: ParsedFile


@dataclass
class Include:
    """``{% include name %}``: another template's body, rendered in place."""

    name: str
    line: int


@dataclass
class Apply:
    """``{% apply function %}``: the rendered body, passed through ``function``."""

    function: str
    line: int
    body: list[Node]


Node = Text | Expression | Super | Statement | Compound | Block | Include | Apply


@dataclass
class ParsedFile:
    """A parsed template: its body, its file-wide autoescape and whom it extends."""

    name: str
    source_lines: list[str]
    autoescape: str | None
    body: list[Node] = field(default_factory=list)
    extends: str | None = None
    extends_line: int = 0


_INTERMEDIATE = {
    "else": ("if", "for", "while", "try"),
    "elif": ("if",),
    "except": ("try",),
    "finally": ("try",),
}
_COMPOUND = ("if", "for", "while", "try")
_STATEMENTS = ("set", "import", "from")
_LOOP_CONTROL = ("break", "continue")
_ARGUMENT_NAMES = {
    "extends": "file path",
    "include": "file path",
    "block": "name",
    "apply": "method name",
    "raw": "expression",
    "module": "expression",
    "set": "statement",
    "import": "statement",
    "from": "statement",
}
#: How deeply blocks and statements may nest in one file (Python itself allows 20 blocks).
MAX_NESTING = 100
_TAG_START = re.compile(r"\{[{%#]")
_SUPER_CALL = re.compile(r"super\(\s*\)")


@dataclass
class _Tag:
    """A directive that ends a body: ``{% end %}``, or an intermediate clause and its header."""

    operator: str
    header: str
    line: int


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


class _Reader:
    """Walks the source once, keeping the line number and the whitespace settings."""

    def __init__(self, source: str, file: ParsedFile, whitespace: str) -> None:
        self.source = source
        self.file = file
        self.whitespace = whitespace
        self.position = 0
        self.line = 1
        self.trim_next_text = False
        self.depth = 0

    def error(self, message: str, line: int | None = None) -> ParseError:
        where = self.line if line is None else line
        error = ParseError(message, self.file.name, where)
        if 0 < where <= len(self.file.source_lines):
            error.source_line = self.file.source_lines[where - 1]
            if hasattr(error, "add_note"):
                error.add_note(f"    {self.file.name}:{where}: {error.source_line.strip()}")
        return error

    def advance(self, end: int) -> str:
        """Consume the source up to ``end`` and return it."""
        chunk = self.source[self.position : end]
        self.line += chunk.count("\n")
        self.position = end
        return chunk

    def find_tag(self) -> int:
        """Index of the next tag opening, skipping the outer braces of ``{{{``; -1 if none."""
        search_from = self.position
        while True:
            match = _TAG_START.search(self.source, search_from)
            if match is None:
                return -1
            start = match.start()
            if self.source.startswith("{{", start + 1):
                search_from = start + 1
                continue
            return start

    def text_node(self, text: str, line: int, trim_end: bool) -> Text | None:
        if self.trim_next_text:
            text = text.lstrip()
            self.trim_next_text = False
        if trim_end:
            text = text.rstrip()
        if "<pre>" not in text:
            text = filter_whitespace(self.whitespace, text)
        return Text(text, line) if text else None

    def parse_body(self, opener: str | None, in_loop: bool) -> tuple[list[Node], _Tag | None]:
        """Nodes up to the ``{% end %}`` or intermediate tag closing ``opener``, or the end."""
        body: list[Node] = []
        pending = ""
        pending_line = self.line
        while True:
            start = self.find_tag()
            if start < 0:
                pending += self.advance(len(self.source))
                self._flush(body, pending, pending_line, trim_end=False)
                return body, None
            if self.source.startswith("!", start + 2):
                # The text up to an escaped opener is a text of its own, as in tornado: the
                # "<pre>" rule of whitespace compaction looks at each text apart.
                pending += self.advance(start) + self.source[start : start + 2]
                self.advance(start + 3)
                self._flush(body, pending, pending_line, trim_end=False)
                pending = ""
                pending_line = self.line
                continue
            kind = self.source[start + 1]
            trim_before = kind != "#" and self._trim_marker_opens(start + 2, kind)
            pending += self.advance(start)
            self._flush(body, pending, pending_line, trim_end=trim_before)
            pending = ""
            tag_line = self.line
            self.advance(start + 2 + trim_before)
            if kind == "#":
                self._skip_comment()
            elif kind == "{":
                body.extend(self._expression(tag_line))
            else:
                stop = self._directive(body, tag_line, opener, in_loop)
                if stop is not None:
                    return body, stop
            pending_line = self.line

    def _trim_marker_opens(self, index: int, kind: str) -> bool:
        if not self.source.startswith("-", index):
            return False
        return kind == "%" or self.source[index + 1 : index + 2].isspace()

    def _flush(self, body: list[Node], text: str, line: int, trim_end: bool) -> None:
        node = self.text_node(text, line, trim_end)
        if node is not None:
            body.append(node)

    def _skip_comment(self) -> None:
        end = self.source.find("#}", self.position)
        if end < 0:
            raise self.error("Missing end comment #}")
        self.advance(end + 2)

    def _contents(self, closer: str, what: str) -> str:
        """The text up to ``closer``, consumed, without a trailing trim marker."""
        end = self.source.find(closer, self.position)
        if end < 0:
            raise self.error(f"Missing end {what} {closer}")
        contents = self.advance(end)
        self.advance(end + 2)
        stripped = contents.rstrip()
        if stripped.endswith("-"):
            self.trim_next_text = True
            contents = stripped[:-1]
        return contents.strip()

    def _expression(self, line: int) -> list[Node]:
        code = self._contents("}}", "expression")
        if not code:
            raise self.error("Empty expression", line)
        if _SUPER_CALL.fullmatch(code):
            return [Super(line)]
        return [Expression(code, line, raw=False)]

    def _directive(self, body: list[Node], line: int, opener: str | None, in_loop: bool) -> _Tag | None:
        contents = self._contents("%}", "block")
        if not contents:
            raise self.error("Empty block tag ({% %})", line)
        operator, *rest = contents.split(None, 1)
        argument = rest[0] if rest else ""
        # The statement as Python will see it, whatever whitespace followed the operator.
        statement = f"{operator} {argument}".rstrip()
        if operator in _INTERMEDIATE:
            allowed = _INTERMEDIATE[operator]
            if opener is None:
                raise self.error(f"{operator} outside {' or '.join(allowed)} block", line)
            if opener not in allowed:
                raise self.error(f"{operator} block cannot be attached to {opener} block", line)
            return _Tag(operator, statement, line)
        if operator == "end":
            if opener is None:
                raise self.error("Extra {% end %} block", line)
            return _Tag(operator, "", line)
        node = self._single_directive(operator, argument, statement, line, in_loop)
        if node is not None:
            body.append(node)
        return None

    def _single_directive(
        self, operator: str, argument: str, statement: str, line: int, in_loop: bool
    ) -> Node | None:
        if operator == "comment":
            return None
        missing = _ARGUMENT_NAMES.get(operator)
        if missing is not None and not argument:
            raise self.error(f"{operator} missing {missing}", line)
        if operator == "extends":
            if self.file.extends is not None:
                raise self.error("more than one {% extends %} in a template", line)
            self.file.extends = _unquote(argument)
            self.file.extends_line = line
            return None
        if operator == "include":
            return Include(_unquote(argument), line)
        if operator == "autoescape":
            self.file.autoescape = None if argument in ("", "None") else argument
            return None
        if operator == "whitespace":
            if argument not in WHITESPACE_MODES:
                raise self.error(f"invalid whitespace mode {argument!r}", line)
            self.whitespace = argument
            return None
        if operator in ("raw", "module"):
            code = argument if operator == "raw" else f"_tt_modules.{argument}"
            return Expression(code, line, raw=True)
        if operator in _STATEMENTS:
            return Statement(argument if operator == "set" else statement, line)
        if operator in _LOOP_CONTROL:
            if not in_loop:
                raise self.error(f"{operator} outside for or while loop", line)
            return Statement(operator, line)
        if operator == "block":
            block_body = self._closed_body(operator, line, in_loop)
            return Block(_unquote(argument), line, block_body, self.file)
        if operator == "apply":
            return Apply(argument, line, self._closed_body(operator, line, in_loop=False))
        if operator in _COMPOUND:
            return self._compound(operator, statement, line, in_loop or operator in ("for", "while"))
        raise self.error(f"unknown operator: {operator!r}", line)

    def _nested_body(self, operator: str, line: int, in_loop: bool) -> tuple[list[Node], _Tag | None]:
        """``parse_body`` one level deeper, refusing nesting deeper than Python could run."""
        if self.depth >= MAX_NESTING:
            raise self.error(f"{operator} nested too deeply (more than {MAX_NESTING} levels)", line)
        self.depth += 1
        try:
            return self.parse_body(operator, in_loop)
        finally:
            self.depth -= 1

    def _closed_body(self, operator: str, line: int, in_loop: bool) -> list[Node]:
        body, stop = self._nested_body(operator, line, in_loop)
        if stop is None:
            raise self.error(f"Missing {{% end %}} block for {operator}", line)
        if stop.operator != "end":
            raise self.error(f"{stop.operator} block cannot be attached to {operator} block", stop.line)
        return body

    def _compound(self, operator: str, header: str, line: int, in_loop: bool) -> Compound:
        clauses: list[Clause] = []
        while True:
            body, stop = self._nested_body(operator, line, in_loop)
            clauses.append(Clause(header, line, body))
            if stop is None:
                raise self.error(f"Missing {{% end %}} block for {operator}", clauses[0].line)
            if stop.operator == "end":
                return Compound(clauses)
            header, line = stop.header, stop.line


def parse(source: str, name: str, autoescape: str | None, whitespace: str) -> ParsedFile:
    """Parse a template's source into a :class:`ParsedFile`."""
    # Lines as the reader counts them, at "\n" only (str.splitlines() also breaks at \f, \u2028...).
    file = ParsedFile(name, [line.removesuffix("\r") for line in source.split("\n")], autoescape)
    reader = _Reader(source, file, whitespace)
    file.body, _ = reader.parse_body(None, in_loop=False)
    return file

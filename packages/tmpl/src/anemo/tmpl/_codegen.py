"""The code generator: a parsed template (with its parents and includes) to Python source.

The whole page becomes one function. Includes, parent templates and blocks are inlined, so a
render is a single call with local variables only; each run of text and expressions between
statements is written with one append of an f-string. Every generated line carries a comment
naming the template file and line it came from, which tracebacks then show.

One parse gives four variants of the function: plain, streaming (a generator that yields
chunks), async, and async streaming. Ordinary renders use the plain one and pay for none of
the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ._parser import (
    Apply,
    Block,
    Compound,
    Expression,
    Include,
    Node,
    ParsedFile,
    Statement,
    Super,
    Text,
)
from .errors import ParseError, TemplateNotFound

__all__ = ["FUNCTION_NAME", "GeneratedCode", "LineOrigin", "Variant", "generate_code"]

FUNCTION_NAME = "_tt_execute"
FileLoader = Callable[[str, str], ParsedFile]


@dataclass(frozen=True)
class Variant:
    """Which function to generate: ``stream`` yields chunks, ``awaitable`` is ``async def``."""

    stream: bool = False
    awaitable: bool = False


@dataclass(frozen=True)
class LineOrigin:
    """Where a generated line comes from: template file, line, and the includes on the way."""

    filename: str
    lineno: int
    via: tuple[tuple[str, int], ...]
    source_line: str

    def describe(self) -> str:
        text = f"{self.filename}:{self.lineno}"
        if self.via:
            text += " (via " + ", ".join(f"{name}:{line}" for name, line in self.via) + ")"
        return text


@dataclass
class GeneratedCode:
    """The Python source of one variant and the origin of each of its lines."""

    source: str
    origins: list[LineOrigin | None]
    dependencies: list[str]
    #: The autoescape expressions looked up once, when rendering starts.
    hoisted_escapes: list[str]


@dataclass
class _Context:
    file: ParsedFile
    via: tuple[tuple[str, int], ...]


def _fstring_part(text: str) -> str:
    """``text`` as the inside of a single-quoted f-string literal."""
    literal = repr(text)
    inner = literal[1:-1]
    if literal[0] == '"':
        inner = inner.replace("'", "\\'")
    return inner.replace("{", "{{").replace("}", "}}")


@dataclass
class _Writer:
    load_file: FileLoader | None
    variant: Variant
    blocks: dict[str, list[Block]]
    inline_escapes: frozenset[str]
    lines: list[str] = field(default_factory=list)
    origins: list[LineOrigin | None] = field(default_factory=list)
    escapers: dict[str, str] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    super_targets: list[tuple[list[Block], int]] = field(default_factory=list)
    indent: int = 1
    temporaries: int = 0
    nested_functions: int = 0
    function_depth: int = 0

    def write(self, code: str, context: _Context | None, line: int = 0) -> None:
        origin = None
        comment = ""
        if context is not None:
            lines = context.file.source_lines
            source_line = lines[line - 1] if 0 < line <= len(lines) else ""
            origin = LineOrigin(context.file.name, line, context.via, source_line)
            # Escaped, so that a template name holding a line break cannot end the comment.
            comment = f"  # {repr(origin.describe())[1:-1]}"
        # Python reads a lone CR as a line break too: make it one, so the line count holds.
        code = code.replace("\r\n", "\n").replace("\r", "\n")
        # Code spanning several lines (a multi-line expression) gets its comment on the last.
        self.lines.append("    " * self.indent + code + comment)
        self.origins.extend([origin] * (code.count("\n") + 1))

    def escaper(self, autoescape: str) -> str:
        if autoescape not in self.escapers:
            self.escapers[autoescape] = f"_tt_escape{len(self.escapers)}"
        return self.escapers[autoescape]

    def value_code(self, node: Expression, context: _Context) -> str:
        autoescape = context.file.autoescape
        if node.raw or autoescape is None:
            return f"_tt_text({node.code})"
        if autoescape in self.inline_escapes:
            return f"_tt_escaper_for({autoescape})({node.code})"
        return f"{self.escaper(autoescape)}({node.code})"

    def body(self, nodes: list[Node], context: _Context) -> None:
        run: list[Text | Expression] = []
        for node in nodes:
            if isinstance(node, (Text, Expression)):
                run.append(node)
                continue
            self.run(run, context)
            run = []
            self.node(node, context)
        self.run(run, context)

    def run(self, run: list[Text | Expression], context: _Context) -> None:
        """Write text and expressions with a single append."""
        if not run:
            return
        if len(run) == 1:
            (node,) = run
            if isinstance(node, Text):
                self.emit(repr(node.text), context, node.line)
            else:
                self.emit(self.value_code(node, context), context, node.line)
            return
        parts = []
        for node in run:
            if isinstance(node, Text):
                parts.append(_fstring_part(node.text))
            else:
                self.temporaries += 1
                name = f"_tt_value{self.temporaries}"
                self.write(f"{name} = {self.value_code(node, context)}", context, node.line)
                parts.append("{" + name + "}")
        self.emit("f'" + "".join(parts) + "'", context, run[-1].line)

    def emit(self, value: str, context: _Context, line: int) -> None:
        self.write(f"_tt_emit({value})", context, line)
        if self.variant.stream and self.function_depth == 0:
            self.write("if len(_tt_buffer) >= _tt_chunk_pieces:", context, line)
            self.write("    yield _tt_flush(_tt_buffer)", context, line)

    def node(self, node: Node, context: _Context) -> None:
        if isinstance(node, Statement):
            self.write(node.code, context, node.line)
        elif isinstance(node, Compound):
            for clause in node.clauses:
                self.write(f"{clause.header}:", context, clause.line)
                self.indented(clause.body, context, clause.line)
        elif isinstance(node, Block):
            self.block(node, context)
        elif isinstance(node, Include):
            self.include(node, context)
        elif isinstance(node, Apply):
            self.apply(node, context)
        elif isinstance(node, Super):
            self.super_call(node, context)

    def indented(self, nodes: list[Node], context: _Context, line: int) -> None:
        self.indent += 1
        before = len(self.lines)
        self.body(nodes, context)
        if len(self.lines) == before:
            self.write("pass", context, line)
        self.indent -= 1

    def block(self, node: Block, context: _Context) -> None:
        chain = self.blocks.get(node.name, [node])
        via = context.via if chain[0] is node else ((context.file.name, node.line), *context.via)
        self.check_not_writing(chain, 0, context, node.line)
        self.block_version(chain, 0, _Context(chain[0].file, via))

    def check_not_writing(self, chain: list[Block], index: int, context: _Context, line: int) -> None:
        """Refuse to write a block version inside itself (a parent's body reached by ``super()``
        may hold a block that leads back to the one calling ``super()``)."""
        if any(active is chain and at == index for active, at in self.super_targets):
            message = f"block {chain[index].name!r} would contain itself (through super())"
            raise ParseError(message, context.file.name, line)

    def block_version(self, chain: list[Block], index: int, context: _Context) -> None:
        """Write ``chain[index]``: the most derived version of a block, or one ``super()`` asked for."""
        self.super_targets.append((chain, index))
        self.body(chain[index].body, context)
        self.super_targets.pop()

    def super_call(self, node: Super, context: _Context) -> None:
        if not self.super_targets:
            raise ParseError("super() outside a block", context.file.name, node.line)
        chain, index = self.super_targets[-1]
        if index + 1 >= len(chain):
            message = f"super() in block {chain[index].name!r}, which overrides no block"
            raise ParseError(message, context.file.name, node.line)
        parent = chain[index + 1]
        self.check_not_writing(chain, index + 1, context, node.line)
        self.block_version(
            chain, index + 1, _Context(parent.file, ((context.file.name, node.line), *context.via))
        )

    def include(self, node: Include, context: _Context) -> None:
        # The loader refuses cycles: a template being compiled cannot be loaded again.
        included = _load(self.load_file, node.name, context.file, node.line)
        self.dependencies.append(included.name)
        self.body(included.body, _Context(included, ((context.file.name, node.line), *context.via)))

    def apply(self, node: Apply, context: _Context) -> None:
        self.nested_functions += 1
        function = f"_tt_apply{self.nested_functions}"
        prefix = "async " if self.variant.awaitable else ""
        self.write(f"{prefix}def {function}():", context, node.line)
        self.indent += 1
        self.function_depth += 1
        self.write("_tt_buffer = []", context, node.line)
        self.write("_tt_emit = _tt_buffer.append", context, node.line)
        self.body(node.body, context)
        self.write("return ''.join(_tt_buffer)", context, node.line)
        self.function_depth -= 1
        self.indent -= 1
        call = f"await {function}()" if self.variant.awaitable else f"{function}()"
        self.emit(f"_tt_apply({node.function}, {call})", context, node.line)


def _load(load_file: FileLoader | None, name: str, parent: ParsedFile, line: int) -> ParsedFile:
    """Load ``name`` for ``parent``; a missing template's error says where it was referenced."""
    if load_file is None:
        raise ParseError(f"cannot load {name!r}: the template has no loader", parent.name, line)
    try:
        return load_file(name, parent.name)
    except TemplateNotFound as error:
        if hasattr(error, "add_note"):
            error.add_note(f"  referenced at {parent.name}:{line}")
        raise
    except ParseError as error:
        # The loader refuses a cycle knowing only the including file (load() takes no line):
        # the tag that closed the cycle is this one.
        if error.filename == parent.name and error.lineno == 0:
            error.lineno = line
            if 0 < line <= len(parent.source_lines):
                error.source_line = parent.source_lines[line - 1]
                if hasattr(error, "add_note"):
                    error.add_note(f"    {parent.name}:{line}: {error.source_line.strip()}")
        raise


def _collect_blocks(
    nodes: list[Node], file: ParsedFile, load_file: FileLoader | None, found: dict[str, Block]
) -> None:
    for node in nodes:
        if isinstance(node, Block):
            # As in tornado, the last definition of a name in a file wins, nested ones included:
            # so the winner never contains a block of its own name.
            found[node.name] = node
            _collect_blocks(node.body, file, load_file, found)
        elif isinstance(node, Compound):
            for clause in node.clauses:
                _collect_blocks(clause.body, file, load_file, found)
        elif isinstance(node, Apply):
            _collect_blocks(node.body, file, load_file, found)
        elif isinstance(node, Include):
            # Every include is walked, a repeated one too: its blocks come after what precedes it.
            included = _load(load_file, node.name, file, node.line)
            _collect_blocks(included.body, included, load_file, found)


def _ancestors(file: ParsedFile, load_file: FileLoader | None) -> list[ParsedFile]:
    """``file``, its parent, the parent's parent... up to the template that extends nothing."""
    chain = [file]
    while chain[-1].extends is not None:
        child = chain[-1]
        assert child.extends is not None
        chain.append(_load(load_file, child.extends, child, child.extends_line))
    return chain


def generate_code(
    file: ParsedFile,
    load_file: FileLoader | None,
    variant: Variant,
    inline_escapes: frozenset[str] = frozenset(),
) -> GeneratedCode:
    """The Python source of the render function of ``file`` in the given variant.

    Autoescape functions are looked up once, when rendering starts, except those named in
    ``inline_escapes``, looked up at each ``{{ }}``: for templates that define their escape
    function themselves (``{% from m import e %}{% autoescape e %}``).
    """
    if file.extends is not None and load_file is None:
        raise ParseError("{% extends %} block found, but no template loader", file.name, file.extends_line)
    ancestors = _ancestors(file, load_file)
    blocks: dict[str, list[Block]] = {}
    for ancestor in ancestors:
        found: dict[str, Block] = {}
        _collect_blocks(ancestor.body, ancestor, load_file, found)
        for name, block in found.items():
            blocks.setdefault(name, []).append(block)

    writer = _Writer(load_file, variant, blocks, inline_escapes)
    writer.dependencies.extend(ancestor.name for ancestor in ancestors[1:])
    root = ancestors[-1]
    writer.body(root.body, _Context(root, ()))

    prefix = "async " if variant.awaitable else ""
    head = [
        f"{prefix}def {FUNCTION_NAME}():",
        "    _tt_buffer = []",
        "    _tt_emit = _tt_buffer.append",
        "    _tt_text = _tt_to_text",
        *(f"    {local} = _tt_escaper_for({name})" for name, local in writer.escapers.items()),
    ]
    tail = [f"    {'yield' if variant.stream else 'return'} ''.join(_tt_buffer)"]
    origins: list[LineOrigin | None] = [None] * len(head) + writer.origins + [None]
    source = "\n".join([*head, *writer.lines, *tail]) + "\n"
    return GeneratedCode(source, origins, writer.dependencies, list(writer.escapers))

"""The :class:`Template`: parse once, compile to one Python function, render many times."""

from __future__ import annotations

import builtins
import datetime
import linecache
import re
import types
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._codegen import FUNCTION_NAME, GeneratedCode, LineOrigin, Variant, generate_code
from ._escape import (
    apply_filter,
    escaper_for,
    json_encode,
    squeeze,
    to_text,
    url_escape,
    xhtml_escape,
)
from ._linkify import linkify
from ._parser import ParsedFile, parse
from ._whitespace import default_whitespace_mode, filter_whitespace
from .errors import InvalidOption, InvalidOptionType, ParseError, RenderModeError

if TYPE_CHECKING:
    from ._loader import BaseLoader

__all__ = ["STREAM_CHUNK_PIECES", "Template"]

#: How many output pieces ``generate_iter()`` gathers before it yields a chunk.
STREAM_CHUNK_PIECES = 512


class _Unset:
    """The default of an argument whose absence means "ask the loader"."""


_UNSET: Any = _Unset()


def _decode(source: bytes, name: str) -> str:
    """Template bytes as text: UTF-8, or a ParseError at the line of the first bad byte."""
    try:
        return source.decode("utf-8")
    except UnicodeDecodeError as error:
        line = source.count(b"\n", 0, error.start) + 1
        raise ParseError(f"template is not valid UTF-8 ({error.reason})", name, line) from None


def _flush(buffer: list[str]) -> str:
    chunk = "".join(buffer)
    buffer.clear()
    return chunk


class _SourceLoader:
    """A ``__loader__`` for the generated module, so tracebacks can quote generated lines."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get_source(self, fullname: str) -> str:
        return self.source


_DEFAULT_NAMESPACE: dict[str, Any] = {
    "__builtins__": builtins,
    "escape": xhtml_escape,
    "xhtml_escape": xhtml_escape,
    "url_escape": url_escape,
    "json_encode": json_encode,
    "squeeze": squeeze,
    "linkify": linkify,
    "datetime": datetime,
    "_tt_to_text": to_text,
    "_tt_escaper_for": escaper_for,
    "_tt_apply": apply_filter,
    "_tt_flush": _flush,
    "_tt_chunk_pieces": STREAM_CHUNK_PIECES,
}


_IDENTIFIER = re.compile(r"[^\W\d]\w*")


def _assigned_names(code: types.CodeType) -> set[str]:
    """The local variables of ``code`` and of the functions nested in it."""
    names = {*code.co_varnames, *code.co_cellvars}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _assigned_names(const)
    return names


@dataclass(frozen=True)
class _Compiled:
    code: types.CodeType
    filename: str
    generated: GeneratedCode
    source_loader: _SourceLoader


_PLAIN = Variant()
_STREAM = Variant(stream=True)
_ASYNC = Variant(awaitable=True)
_ASYNC_STREAM = Variant(stream=True, awaitable=True)
_VARIANT_SUFFIX = {
    _PLAIN: "",
    _STREAM: ".stream",
    _ASYNC: ".async",
    _ASYNC_STREAM: ".async_stream",
}


class Template:
    """A compiled template, drop-in compatible with ``tornado.template.Template``.

    ``template_string`` is the source (``str``, or UTF-8 ``bytes``); ``name`` is used in error
    messages and to choose the default whitespace mode (``single`` for ``.html``/``.js``,
    ``all`` otherwise). ``autoescape`` names the function that ``{{ }}`` passes values through
    (default ``"xhtml_escape"``; ``None`` for no escaping). Without them, ``loader`` supplies
    ``autoescape``, ``whitespace`` and a namespace of extra names.
    """

    def __init__(  # noqa: PLR0917 - tornado's positional signature
        self,
        template_string: str | bytes,
        name: str = "<string>",
        loader: BaseLoader | None = None,
        compress_whitespace: bool = _UNSET,
        autoescape: str | None = _UNSET,
        whitespace: str | None = None,
    ) -> None:
        if not isinstance(name, str):
            raise InvalidOptionType(f"template name must be a str, not {type(name).__name__}")
        self.name = name
        if compress_whitespace is not _UNSET:
            if whitespace is not None:
                raise InvalidOption("cannot set both whitespace and compress_whitespace")
            whitespace = "single" if compress_whitespace else "all"
        if whitespace is None:
            whitespace = (loader.whitespace if loader is not None else None) or default_whitespace_mode(name)
        filter_whitespace(whitespace, "")
        if autoescape is not _UNSET:
            self.autoescape: str | None = autoescape
        elif loader is not None:
            self.autoescape = loader.autoescape
        else:
            self.autoescape = "xhtml_escape"
        self.loader = loader
        self.namespace: Mapping[str, Any] = loader.namespace if loader is not None else {}
        if isinstance(template_string, bytes):
            source = _decode(template_string, name)
        elif isinstance(template_string, str):
            source = template_string
        else:
            raise InvalidOptionType(
                f"template source must be str or bytes, not {type(template_string).__name__}"
            )
        self.file: ParsedFile = parse(source, name, self.autoescape, whitespace)
        self._module_name = name.replace(".", "_")
        self._base_namespace: dict[str, Any] = {
            **_DEFAULT_NAMESPACE,
            "__name__": self._module_name,
            **self.namespace,
        }
        self._variants: dict[Variant, _Compiled] = {}
        self.awaits = False
        try:
            self._variant(_PLAIN)
        except ParseError as error:
            if "'await'" not in error.message:
                raise
            self.awaits = True
            self._variant(_ASYNC)
        main = self._variants[_ASYNC if self.awaits else _PLAIN]
        self._plain_code = None if self.awaits else main.code
        generated = main.generated
        #: The generated Python source, as ``tornado.template.Template.code``.
        self.code: str = generated.source
        #: The names of the templates this one extends or includes, for reloading.
        self.dependencies: tuple[str, ...] = tuple(generated.dependencies)

    def _load_file(self, name: str, parent: str) -> ParsedFile:
        assert self.loader is not None
        return self.loader.load(name, parent).file

    def _variant(self, variant: Variant) -> _Compiled:
        """The compiled render function of ``variant``, generated on first use."""
        known = self._variants.get(variant)
        if known is not None:
            return known
        filename = f"{self._module_name}{_VARIANT_SUFFIX[variant]}.generated.py"
        generated = self._generate(variant, frozenset())
        function = self._compile(generated, filename)
        # An escape function the template binds itself cannot be looked up before it runs.
        assigned = _assigned_names(function)
        shadowed = frozenset(
            escape
            for escape in generated.hoisted_escapes
            if assigned.intersection(_IDENTIFIER.findall(escape))
        )
        if shadowed:
            generated = self._generate(variant, shadowed)
            function = self._compile(generated, filename)
        compiled = _Compiled(function, filename, generated, _SourceLoader(generated.source))
        self._variants[variant] = compiled
        # Lines as Python counts them (str.splitlines() would also break at \f, \u2028...).
        lines = [f"{line}\n" for line in generated.source.split("\n")[:-1]]
        linecache.cache[filename] = (len(generated.source), None, lines, filename)
        if variant == (_ASYNC if self.awaits else _PLAIN):
            self._base_namespace["__loader__"] = compiled.source_loader
        return compiled

    def _generate(self, variant: Variant, inline_escapes: frozenset[str]) -> GeneratedCode:
        """The Python source of ``variant``; includes nested past Python's stack are a ParseError."""
        load_file = self._load_file if self.loader is not None else None
        try:
            return generate_code(self.file, load_file, variant, inline_escapes)
        except RecursionError:
            raise ParseError("templates include or extend each other too deeply", self.name, 0) from None

    def _compile(self, generated: GeneratedCode, filename: str) -> types.CodeType:
        """The render function's code: from the loader's disk cache, or compiled (and stored)."""
        cache = self.loader.code_cache if self.loader is not None else None
        module = cache.get(generated.source, filename) if cache is not None else None
        if module is None:
            try:
                module = compile(generated.source, filename, "exec", dont_inherit=True)
            except SyntaxError as error:
                lineno = error.lineno or 0
                origin = generated.origins[lineno - 1] if 0 < lineno <= len(generated.origins) else None
                raise self._parse_error(f"invalid Python: {error.msg}", origin) from error
            if cache is not None:
                cache.put(generated.source, filename, module)
        return next(
            const
            for const in module.co_consts
            if isinstance(const, types.CodeType) and const.co_name == FUNCTION_NAME
        )

    def _parse_error(self, message: str, origin: LineOrigin | None) -> ParseError:
        if origin is None:
            return ParseError(message, self.name, 0)
        error = ParseError(message, origin.filename, origin.lineno)
        error.source_line = origin.source_line
        if hasattr(error, "add_note"):
            error.add_note(f"    {origin.describe()}: {origin.source_line.strip()}")
        return error

    def _function(self, variant: Variant, kwargs: dict[str, Any]) -> types.FunctionType:
        compiled = self._variant(variant)
        namespace = self._base_namespace.copy()
        namespace.update(kwargs)
        if namespace["__loader__"] is not compiled.source_loader:
            namespace["__loader__"] = compiled.source_loader
        return types.FunctionType(compiled.code, namespace)

    def _annotate(self, error: BaseException, variant: Variant) -> None:
        """Add a note naming the template line where ``error`` was raised (Python 3.11+)."""
        if not hasattr(error, "add_note"):
            return
        compiled = self._variants[variant]
        traceback = error.__traceback__
        lineno = None
        while traceback is not None:
            if traceback.tb_frame.f_code.co_filename == compiled.filename:
                lineno = traceback.tb_lineno
            traceback = traceback.tb_next
        generated = compiled.generated
        if lineno is None or not 0 < lineno <= len(generated.origins):
            return
        origin = generated.origins[lineno - 1]
        if origin is not None:
            error.add_note(f"  in template {origin.describe()}: {origin.source_line.strip()}")

    def generate(self, **kwargs: Any) -> bytes:
        """Render with ``kwargs`` as the template's variables and return UTF-8 bytes."""
        code = self._plain_code
        if code is None:
            raise RenderModeError(self.name)
        namespace = self._base_namespace.copy()
        namespace.update(kwargs)
        try:
            text: str = types.FunctionType(code, namespace)()
        except Exception as error:
            self._annotate(error, _PLAIN)
            raise
        return text.encode("utf-8", "surrogateescape")

    def generate_iter(self, **kwargs: Any) -> Iterator[bytes]:
        """Render in chunks, for large pages: an iterator of UTF-8 bytes."""
        if self.awaits:
            raise RenderModeError(self.name)
        variant = _STREAM
        chunks: Iterator[str] = self._function(variant, kwargs)()
        try:
            for chunk in chunks:
                if chunk:
                    yield chunk.encode("utf-8", "surrogateescape")
        except Exception as error:
            self._annotate(error, variant)
            raise

    async def generate_async(self, **kwargs: Any) -> bytes:
        """Render a template that may ``await`` (``{{ await fetch() }}``) and return bytes."""
        variant = _ASYNC
        try:
            text: str = await self._function(variant, kwargs)()
        except Exception as error:
            self._annotate(error, variant)
            raise
        return text.encode("utf-8", "surrogateescape")

    async def generate_async_iter(self, **kwargs: Any) -> AsyncIterator[bytes]:
        """Render a template that may ``await``, in chunks of UTF-8 bytes."""
        variant = _ASYNC_STREAM
        chunks: AsyncIterator[str] = self._function(variant, kwargs)()
        try:
            async for chunk in chunks:
                if chunk:
                    yield chunk.encode("utf-8", "surrogateescape")
        except Exception as error:
            self._annotate(error, variant)
            raise

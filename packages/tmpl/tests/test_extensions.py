"""The features beyond tornado.template: super(), trimming, safe strings, streaming, async."""

import asyncio
import traceback

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.tmpl import (
    STREAM_CHUNK_PIECES,
    DictLoader,
    ParseError,
    RenderModeError,
    SafeStr,
    Template,
)

LAYOUTS = {
    "base.html": "<title>{% block title %}Site{% end %}</title>",
    "middle.html": '{% extends "base.html" %}{% block title %}Docs | {{ super() }}{% end %}',
    "page.html": '{% extends "middle.html" %}{% block title %}{{ page }} | {{ super() }}{% end %}',
    "orphan.html": "{% block title %}{{ super() }}{% end %}",
    "nested.html": '{% extends "base.html" %}{% block title %}{% if wrap %}[{{ super() }}]{% end %}{% end %}',
    "outside.html": "{{ super() }}",
}


def test_super_renders_the_overridden_block() -> None:
    """super() writes the parent's block, and the grandparent's through the parent's super()."""
    loader = DictLoader(LAYOUTS)
    assert loader.load("middle.html").generate() == b"<title>Docs | Site</title>"
    assert loader.load("page.html").generate(page="<Intro>") == b"<title>&lt;Intro&gt; | Docs | Site</title>"
    assert loader.load("nested.html").generate(wrap=True) == b"<title>[Site]</title>"


@pytest.mark.parametrize("name", ["orphan.html", "outside.html"])
def test_super_without_parent_block_is_a_parse_error(name: str) -> None:
    """super() where no block is overridden is a ParseError naming file and line."""
    with pytest.raises(ParseError, match="super") as caught:
        DictLoader(LAYOUTS).load(name)
    assert caught.value.filename == name
    assert caught.value.lineno == 1


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "<ul>\n  {%- for i in items -%}\n  <li>{{ i }}</li>\n  {%- end -%}\n</ul>",
            "<ul><li>1</li><li>2</li></ul>",
        ),
        ("a   {{- x -}}   b", "a<b"),
        ("a {{ -n }} b", "a -3 b"),
        ("a  {{-n }} b", "a  -3 b"),
        ("a\n\n{%- if True %} b {% end -%}\n\nc", "a b c"),
    ],
)
def test_trim_markers(source: str, expected: str) -> None:
    """``{%-``/``{{-`` trim the whitespace before a tag, ``-%}``/``-}}`` the whitespace after."""
    rendered = Template(source, name="t.txt").generate(items=[1, 2], x="<", n=3)
    assert rendered == expected.replace("<b", "&lt;b").encode()


def test_safe_strings_are_not_escaped_again() -> None:
    """SafeStr and objects with __html__ are written as they are; other strings are escaped."""

    class Markup:
        def __html__(self) -> str:
            return "<i>ok</i>"

    template = Template("{{ safe }}|{{ markup }}|{{ plain }}|{{ safe + '<' }}")
    rendered = template.generate(safe=SafeStr("<b>x</b>"), markup=Markup(), plain="<b>")
    assert rendered == b"<b>x</b>|<i>ok</i>|&lt;b&gt;|&lt;b&gt;x&lt;/b&gt;&lt;"


SAFE_CONTEXTS = {
    "include.html": "{% include 'part.html' %}",
    "part.html": "({{ x }})",
    "base.html": "{% block b %}<{{ x }}>{% end %}",
    "child.html": "{% extends 'base.html' %}{% block b %}{{ x }}|{{ super() }}{% end %}",
    "apply.html": "{% apply upper %}{{ x }}{% end %}",
    "raw.html": "{% raw x %}{% autoescape None %}{{ x }}",
    "loop.html": "{% for i in range(2) %}{{ x }}{% end %}",
}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("include.html", "(<b>&amp;</b>)"),
        ("child.html", "<b>&amp;</b>|<<b>&amp;</b>>"),
        ("apply.html", "<B>&AMP;</B>"),
        ("raw.html", "<b>&amp;</b><b>&amp;</b>"),
        ("loop.html", "<b>&amp;</b><b>&amp;</b>"),
    ],
)
def test_safe_strings_are_written_once_in_every_context(name: str, expected: str) -> None:
    """Includes, blocks, super(), apply, raw and loops write a SafeStr unchanged."""
    rendered = DictLoader(SAFE_CONTEXTS).load(name).generate(x=SafeStr("<b>&amp;</b>"), upper=bytes.upper)
    assert rendered == expected.encode()


def test_custom_escape_functions_see_safe_strings_too() -> None:
    """A custom autoescape function (not xhtml_escape) gets every value, safe or not, as bytes."""
    seen: list[bytes] = []

    def record(value: bytes) -> bytes:
        seen.append(value)
        return value

    template = Template("{% autoescape record %}{{ x }}")
    assert template.generate(x=SafeStr("<b>"), record=record) == b"<b>"
    assert seen == [b"<b>"]


@settings(max_examples=50)
@given(
    items=st.lists(
        st.text(max_size=8).filter(lambda t: t == t.encode("utf-8", "ignore").decode()), max_size=3000
    )
)
def test_generate_iter_yields_the_same_bytes_in_chunks(items: list[str]) -> None:
    """generate_iter() yields chunks that join to exactly what generate() returns."""
    template = Template("<ul>{% for item in items %}<li>{{ item }}</li>{% end %}</ul>")
    chunks = list(template.generate_iter(items=items))
    assert b"".join(chunks) == template.generate(items=items)
    assert all(chunks)
    if len(items) > STREAM_CHUNK_PIECES:
        assert len(chunks) > 1


def test_generate_iter_streams_before_the_end() -> None:
    """The first chunk arrives before the rest of the page has been rendered."""
    rendered: list[int] = []

    def mark(index: int) -> int:
        rendered.append(index)
        return index

    template = Template("{% for i in range(count) %}{{ mark(i) }}{% end %}")
    chunks = template.generate_iter(count=STREAM_CHUNK_PIECES * 3, mark=mark)
    next(chunks)
    assert len(rendered) < STREAM_CHUNK_PIECES * 3


def test_async_template_awaits() -> None:
    """A template may await; generate_async renders it and generate() refuses clearly."""

    async def fetch(name: str) -> str:
        await asyncio.sleep(0)
        return f"<{name}>"

    template = Template(
        "{% set a = await fetch('a') %}{{ a }} {{ await fetch('b') }}{% apply upper %}x{% end %}"
    )
    assert template.awaits
    rendered = asyncio.run(template.generate_async(fetch=fetch, upper=bytes.upper))
    assert rendered == b"&lt;a&gt; &lt;b&gt;X"
    with pytest.raises(RenderModeError):
        template.generate(fetch=fetch)


def test_async_stream_and_plain_templates_in_async_mode() -> None:
    """An ordinary template renders the same through every entry point."""
    template = Template("{% for i in range(n) %}{{ i }},{% end %}")
    expected = template.generate(n=2000)
    assert not template.awaits

    async def collect() -> bytes:
        return b"".join([chunk async for chunk in template.generate_async_iter(n=2000)])

    assert asyncio.run(template.generate_async(n=2000)) == expected
    assert asyncio.run(collect()) == expected


def test_runtime_error_names_template_line() -> None:
    """A runtime error's traceback names the template line and quotes its source."""
    loader = DictLoader({"page.html": "one\n{% include 'row.html' %}", "row.html": "a\nb {{ 1 // zero }}"})
    with pytest.raises(ZeroDivisionError) as caught:
        loader.load("page.html").generate(zero=0)
    text = "".join(traceback.format_exception(caught.value))
    assert "# row.html:2 (via page.html:2)" in text
    assert "  in template row.html:2 (via page.html:2): b {{ 1 // zero }}" in caught.value.__notes__


def test_parse_error_quotes_the_source_line() -> None:
    """A ParseError keeps the offending line; invalid Python is a ParseError too."""
    with pytest.raises(ParseError) as caught:
        Template("ok\n{% if x %}\nnever closed", name="a.html")
    assert (caught.value.lineno, caught.value.source_line) == (2, "{% if x %}")
    with pytest.raises(ParseError, match="invalid Python") as caught:
        Template("one\n{{ 1 + }}", name="b.html")
    assert (caught.value.filename, caught.value.lineno) == ("b.html", 2)
    assert caught.value.source_line == "{{ 1 + }}"


@pytest.mark.parametrize(
    ("templates", "message"),
    [
        (
            {"a.html": "{% include 'b.html' %}", "b.html": "{% include 'a.html' %}"},
            "a.html -> b.html -> a.html",
        ),
        (
            {"a.html": "{% extends 'b.html' %}", "b.html": "{% extends 'a.html' %}"},
            "a.html -> b.html -> a.html",
        ),
        ({"a.html": "{% include 'missing.html' %}"}, "missing.html"),
    ],
)
def test_bad_references_are_clear_errors(templates: dict[str, str], message: str) -> None:
    """Include and extends cycles and missing templates fail with a clear error, not a crash."""
    with pytest.raises(Exception, match=message) as caught:
        DictLoader(templates).load("a.html")
    assert not isinstance(caught.value, RecursionError)


@pytest.mark.parametrize(
    ("templates", "closing_line"),
    [
        ({"a.html": "a\n{% include 'b.html' %}", "b.html": "b\n\n{% include 'a.html' %}"}, 3),
        ({"a.html": "{% extends 'b.html' %}", "b.html": "b\n{% extends 'a.html' %}"}, 2),
    ],
    ids=["include", "extends"],
)
def test_cycle_is_reported_at_the_tag_that_closes_it(templates: dict[str, str], closing_line: int) -> None:
    """A cycle's ParseError names the file and line of the include or extends that closes it."""
    with pytest.raises(ParseError) as caught:
        DictLoader(templates).load("a.html")
    assert (caught.value.filename, caught.value.lineno) == ("b.html", closing_line)
    assert caught.value.source_line is not None
    assert "'a.html'" in caught.value.source_line


def test_include_without_loader_is_a_parse_error() -> None:
    """{% include %} in a template without loader is a ParseError, not an assertion."""
    with pytest.raises(ParseError, match="loader"):
        Template("{% include 'x.html' %}")


def test_template_bytes_must_be_utf8() -> None:
    """Template source bytes that are not UTF-8 give a ParseError at the bad line."""
    with pytest.raises(ParseError, match="not valid UTF-8") as caught:
        Template(b"fine\nbad \xff byte", name="latin.html")
    assert (caught.value.filename, caught.value.lineno) == ("latin.html", 2)


def test_namespace_escape_function_is_honoured() -> None:
    """An xhtml_escape passed in the namespace replaces the built-in one, called with bytes."""
    template = Template("{{ x }}")
    assert template.generate(x="<a>") == b"&lt;a&gt;"
    assert template.generate(x="<a>", xhtml_escape=lambda data: data.replace(b"<", b"[")) == b"[a>"


@pytest.mark.parametrize(("compress", "expected"), [(True, b" a\n"), (False, b"  a \n\n")])
def test_compress_whitespace_argument(compress: bool, expected: bytes) -> None:
    """The deprecated compress_whitespace flag still chooses single or all."""
    assert Template("  a \n\n", compress_whitespace=compress).generate() == expected
    with pytest.raises(ValueError, match="compress_whitespace"):
        Template("x", compress_whitespace=compress, whitespace="all")


def test_error_inside_apply_names_template_line() -> None:
    """An error raised inside an {% apply %} body is traced to its template line too."""
    template = Template("a\n{% apply f %}\n{{ 1 // 0 }}{% end %}", name="apply.html")
    with pytest.raises(ZeroDivisionError) as caught:
        template.generate(f=bytes.upper)
    assert "# apply.html:3" in "".join(traceback.format_exception(caught.value))
    assert caught.value.__notes__ == ["  in template apply.html:3: {{ 1 // 0 }}{% end %}"]


def test_ordinary_render_function_is_plain() -> None:
    """Streaming and async variants are compiled apart: generate() runs neither's code."""
    template = Template("{% for i in items %}{{ i }}{% end %}")
    list(template.generate_iter(items=[1]))
    asyncio.run(template.generate_async(items=[1]))
    for keyword in ("yield", "async", "await", "_tt_chunk_pieces"):
        assert keyword not in template.code
    assert template.generate(items=[1, 2]) == b"12"


@pytest.mark.parametrize(
    "name",
    ["x\nraise SystemExit('injected')\n#", "x\n    _tt_emit('injected')\n#", "x\r    _tt_emit('injected')"],
)
def test_template_names_cannot_inject_code(name: str) -> None:
    """A template name with line breaks stays inside the comment it appears in."""
    assert Template("{{ x }}", name=name).generate(x=1) == b"1"


@pytest.mark.parametrize("separator", ["\r", "\x0c", "\x0b", "\u2028", "\x85"])
def test_error_lines_count_only_newlines(separator: str) -> None:
    """Characters that str.splitlines() breaks at do not shift the line an error quotes."""
    source = f"a{separator}b\n{{{{ 1 // zero }}}}\n{{{{ 1 + }}}}"
    with pytest.raises(ParseError) as parse_error:
        Template(source, name="t.txt")
    assert (parse_error.value.lineno, parse_error.value.source_line) == (3, "{{ 1 + }}")
    template = Template(source.rsplit("\n", 1)[0], name="t.txt")
    with pytest.raises(ZeroDivisionError) as caught:
        template.generate(zero=0)
    quoted = "_tt_escape0(1 // zero)  # t.txt:2"
    assert quoted in "".join(traceback.format_exception(caught.value))
    assert caught.value.__notes__ == ["  in template t.txt:2: {{ 1 // zero }}"]


def test_carriage_return_inside_code_keeps_lines_in_step() -> None:
    """A lone CR inside a tag's code (a line break to Python) does not shift later lines."""
    template = Template("{{ (1,\r2)[0] }}\n{{ 1 // zero }}", name="t.txt")
    with pytest.raises(ZeroDivisionError) as caught:
        template.generate(zero=0)
    assert "# t.txt:2" in "".join(traceback.format_exception(caught.value))
    assert caught.value.__notes__ == ["  in template t.txt:2: {{ 1 // zero }}"]


def _super_block(pair: tuple[str, str]) -> str:
    name, body = pair
    return f"{{% block {name} %}}{body}{{% end %}}"


def _bodies_with_super(leaves: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Bodies of text, super() calls, includes and nested blocks named a or b."""
    return st.recursive(
        st.sampled_from(leaves),
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map("".join),
            st.tuples(st.sampled_from("ab"), inner).map(_super_block),
        ),
        max_leaves=8,
    )


SUPER_LEAVES = ("x", "{{ super() }}", "{% include 'part.html' %}")


@settings(max_examples=300)
@given(
    base=_bodies_with_super(SUPER_LEAVES),
    middle=_bodies_with_super(SUPER_LEAVES),
    part=_bodies_with_super(SUPER_LEAVES[:2]),
)
def test_super_never_recurses_forever(base: str, middle: str, part: str) -> None:
    """Blocks reached through super() that lead back to themselves are a ParseError, not a crash."""
    loader = DictLoader(
        {"part.html": part, "base.html": base, "middle.html": '{% extends "base.html" %}' + middle}
    )
    for name in ("base.html", "middle.html"):
        error: ParseError | None = None
        try:
            loader.load(name).generate()
        except ParseError as raised:
            error = raised
        if error is not None:
            assert "super()" in error.message
            assert error.filename in ("base.html", "middle.html", "part.html")


def test_super_leading_back_to_its_block_is_a_parse_error() -> None:
    """super() into a parent block holding a block that leads back to the caller cannot loop."""
    loader = DictLoader(
        {
            "base.html": "{% block b %}{% block a %}A{% end %}{% end %}",
            "page.html": '{% extends "base.html" %}{% block a %}{% block b %}{{ super() }}{% end %}{% end %}',
        }
    )
    with pytest.raises(ParseError, match=r"block 'b' would contain itself \(through super\(\)\)") as caught:
        loader.load("page.html")
    assert caught.value.filename == "page.html"

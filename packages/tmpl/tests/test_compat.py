"""anemo.tmpl renders what tornado.template renders: differential tests against tornado."""

import enum

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import anemo.tmpl

tornado_template = pytest.importorskip("tornado.template")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Literal text without tag openers, but with the characters escaping and whitespace care about.
plain_text = st.text(alphabet=st.sampled_from("ab <>&\"'\n\t\u00e9{}#%-"), max_size=30).filter(
    lambda text: not any(opener in text for opener in ("{{", "{%", "{#"))
)
values = st.one_of(
    st.text(max_size=20).filter(_encodable),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.binary(max_size=10).filter(_is_utf8),
    st.lists(st.integers(), max_size=3),
)


@settings(max_examples=150)
@given(
    before=plain_text,
    after=plain_text,
    value=values,
    autoescape=st.sampled_from(["xhtml_escape", None]),
    name=st.sampled_from(["page.html", "page.txt", "page.js"]),
)
def test_expression_output_matches_tornado(
    before: str, after: str, value: object, autoescape: str | None, name: str
) -> None:
    """An expression between text renders byte-for-byte as tornado renders it."""
    source = f"{before}{{{{ value }}}}{after}"
    ours = anemo.tmpl.Template(source, name=name, autoescape=autoescape)
    theirs = tornado_template.Template(source, name=name, autoescape=autoescape)
    assert ours.generate(value=value) == theirs.generate(value=value)


@settings(max_examples=100)
@given(items=st.lists(st.integers(-5, 5), max_size=6), text=plain_text)
def test_control_flow_matches_tornado(items: list[int], text: str) -> None:
    """Loops, conditions, set, try and apply render as in tornado."""
    source = (
        "{% for i in items %}{% if i > 2 %}big{% elif i < -2 %}{% continue %}{% else %}"
        f"{text}{{{{ i }}}}{{% end %}}{{% set last = i %}}"
        "{% if i == 4 %}{% break %}{% end %}{% end %}"
        "{% try %}{{ 10 // items[0] }}{% except (IndexError, ZeroDivisionError) %}none{% end %}"
        "{% apply upper %}<{{ len(items) }}>{% end %}{% while items %}{{ items.pop() }}{% end %}"
    )
    ours = anemo.tmpl.Template(source).generate(items=list(items), upper=bytes.upper)
    theirs = tornado_template.Template(source).generate(items=list(items), upper=bytes.upper)
    assert ours == theirs


@settings(max_examples=200)
@given(
    mode=st.sampled_from(["all", "single", "oneline"]), text=st.text(alphabet=" \t\n\r\x0bab", max_size=25)
)
def test_filter_whitespace_matches_tornado(mode: str, text: str) -> None:
    """filter_whitespace compacts text exactly as tornado's does."""
    assert anemo.tmpl.filter_whitespace(mode, text) == tornado_template.filter_whitespace(mode, text)


def test_filter_whitespace_rejects_unknown_mode() -> None:
    """An unknown whitespace mode is a ValueError naming it."""
    with pytest.raises(ValueError, match="'tabs'"):
        anemo.tmpl.filter_whitespace("tabs", "x")


@pytest.mark.parametrize(
    "source",
    [
        "{{{x}}}",
        "{{{{x}}}}",
        "a{{!b}}c{%!d%}{#!e#}",
        "{% for i in range(3) %}{% set y = i %}{% end %}{{ y }}",
        "{% from os import sep %}{{ sep }}",
        "{% import json %}{{ json.dumps([1]) }}",
        "{% comment anything %}x",
        "{% autoescape None %}{{ x }}{% raw x %}",
        "{{ x }}{% autoescape None %}{{ x }}",
        "{% if True %}{% else %}{% end %}",
        "{% while False %}{% else %}e{% end %}",
        "{{ escape(x) }}{{ url_escape(x) }}{{ json_encode(x) }}{{ squeeze('  a  b ') }}",
    ],
)
def test_edge_cases_match_tornado(source: str) -> None:
    """Corner cases of the grammar render as in tornado."""
    ours = anemo.tmpl.Template(source).generate(x="<a b='c'>&</a>")
    theirs = tornado_template.Template(source).generate(x="<a b='c'>&</a>")
    assert ours == theirs


def test_custom_escape_receives_bytes() -> None:
    """A custom autoescape function gets UTF-8 bytes, as in tornado."""
    seen: list[object] = []

    def shout(value: bytes) -> bytes:
        seen.append(value)
        return value.upper()

    template = anemo.tmpl.Template("{% autoescape shout %}{{ x }}")
    assert template.generate(x="h\u00e9", shout=shout) == "H\u00e9".encode()
    assert seen == ["h\u00e9".encode()]


def test_raw_bytes_round_trip() -> None:
    """Unescaped bytes that are not UTF-8 are written exactly, as tornado writes them."""
    template = anemo.tmpl.Template("<{{ x }}>", autoescape=None)
    assert template.generate(x=b"\xff\xfe") == b"<\xff\xfe>"


class Colour(str, enum.Enum):  # noqa: UP042 - the (str, Enum) mix is what is under test
    """A ``(str, Enum)`` whose ``str()`` differs from its value."""

    RED = "<red & 'rouge'>"


class Shouting(str):
    """A ``str`` subclass whose ``__str__`` is not its text."""

    def __str__(self) -> str:
        return "not the text"


class Level(enum.IntEnum):
    """An ``int`` subclass."""

    HIGH = 3


CONTEXT_TEMPLATES = {
    "plain.html": "[{{ x }}]",
    "attribute.html": "<a title='{{ x }}' href=\"{{ x }}\">",
    "unescaped.html": (
        "{% autoescape None %}[{{ x }}]{% include 'plain.html' %}{% block b %}<{{ x }}>{% end %}"
    ),
    "child.html": "{% extends 'unescaped.html' %}{% block b %}child {{ x }}{% end %}",
    "unescaped_child.html": "{% autoescape None %}{% extends 'blocks.html' %}{% block b %}{{ x }}{% end %}",
    "blocks.html": "{% block b %}<{{ x }}>{% end %}{% block c %}{{ x }}{% end %}",
    "apply.html": "{% apply upper %}{{ x }}|{% raw x %}{% end %}",
    "raw.html": "{% raw x %}|{{ x }}",
    "module.html": "{% module Echo(x) %}",
    "set.html": "{% set y = x %}{{ y }}",
    "loop.html": "{% for i in [x, x] %}{{ i }}{% include 'plain.html' %}{% end %}",
    "comment.html": "{# {{ x }} #}{% comment {{ x }} %}{{ x }}",
    "custom.html": "{% autoescape upper %}{{ x }}",
    "two.html": "a{{ x }}b{{ x }}c",
}


class EchoModules:
    """A ``_tt_modules`` with one UI module that returns markup around its argument."""

    @staticmethod
    def Echo(value: object) -> str:
        return f"<m>{value}</m>"


@pytest.mark.parametrize("name", sorted(CONTEXT_TEMPLATES))
@pytest.mark.parametrize(
    "value",
    ["<&'\">", b"<b>&", 5, -1.5, True, None, [1, "<"], Colour.RED, Shouting("<s>"), Level.HIGH],
    ids=repr,
)
def test_escaping_in_every_context_matches_tornado(name: str, value: object) -> None:
    """Includes, blocks, extends, apply, raw, module and custom escapes escape as tornado does."""
    namespace = {"x": value, "upper": bytes.upper, "_tt_modules": EchoModules()}
    ours = anemo.tmpl.DictLoader(CONTEXT_TEMPLATES).load(name).generate(**namespace)
    theirs = tornado_template.DictLoader(CONTEXT_TEMPLATES).load(name).generate(**namespace)
    assert ours == theirs


def _block_bodies(
    leaves: tuple[str, ...] = ("x", "y", "{{ v }}", "{% include 'part.html' %}"),
) -> st.SearchStrategy[str]:
    """Template bodies of text, includes and possibly nested, repeated blocks named a, b or c."""
    text = st.sampled_from(leaves)
    return st.recursive(
        text,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map("".join),
            st.tuples(st.sampled_from("abc"), inner).map(
                lambda pair: f"{{% block {pair[0]} %}}{pair[1]}{{% end %}}"
            ),
        ),
        max_leaves=8,
    )


@settings(max_examples=200)
@given(base=_block_bodies(), middle=_block_bodies(), child=_block_bodies(), part=_block_bodies(("z",)))
def test_block_overrides_match_tornado(base: str, middle: str, child: str, part: str) -> None:
    """Nested, repeated, self-named and included blocks over three levels of extends resolve as in tornado."""
    templates = {
        "part.html": part,
        "base.html": base,
        "middle.html": '{% extends "base.html" %}' + middle,
        "child.html": '{% extends "middle.html" %}' + child,
    }
    for name in templates:
        ours = anemo.tmpl.DictLoader(templates).load(name).generate(v="<v>")
        theirs = tornado_template.DictLoader(templates).load(name).generate(v="<v>")
        assert ours == theirs


# Pieces of Tornado's grammar (no trim markers or super(), which Tornado reads differently).
GRAMMAR_FRAGMENTS = [
    "{{ x }}", "{{ y }}", " ", "\n", "  \n  ", "\t", "a", "<pre>", "</pre>", "{% if x %}", "{% elif y %}",
    "{% else %}", "{% end %}", "{% for i in range(2) %}", "{{ i }}", "{% set y = 2 %}", "{# c #}",
    "{% comment c %}", "{{! x }}", "{%! x %}", "{#! x #}", "{% raw x %}", "{% autoescape None %}",
    "{% whitespace oneline %}", "{% whitespace all %}", "{% whitespace single %}", "{% apply f %}",
    "{% try %}", "{% except %}", "{% finally %}", "{% while False %}", "{{{ x }}}", "}}", "%}", "#}", "{",
    "}", "-", "<", "&", "'", '"', "{% break %}", "{% continue %}", "{% include 'inc.html' %}",
    "{% block b %}", "{% extends 'base.html' %}", "{{ -x }}", "{{ x-1 }}",
]  # fmt: skip


@settings(max_examples=400)
@example(source="<pre>{#! x #}\ta  b", name="t.html")  # each side of an escape is a text apart
@example(source="-\t#}{{! x }}<pre>{#! x #}", name="t.js")
@given(
    source=st.lists(st.sampled_from(GRAMMAR_FRAGMENTS), max_size=12)
    .map("".join)
    .filter(lambda source: source.count("{% extends") < 2),
    name=st.sampled_from(["t.html", "t.txt", "t.js"]),
)
def test_any_template_tornado_renders_renders_the_same(source: str, name: str) -> None:
    """Whatever tornado renders from a mix of the grammar's pieces, ours renders identically."""
    templates = {name: source, "inc.html": "<{{ x }}>\n  i", "base.html": "B{% block b %}bb{% end %}B"}
    namespace = {"x": 3, "y": "<", "f": bytes.upper}
    try:
        theirs = tornado_template.DictLoader(templates).load(name).generate(**namespace)
    except Exception:  # only what tornado renders is compared
        return
    assert anemo.tmpl.DictLoader(templates).load(name).generate(**namespace) == theirs


@pytest.mark.parametrize(
    "source",
    [
        "{% from base64 import b16encode as hexadecimal %}{% autoescape hexadecimal %}{{ x }}",
        "{% set up = lambda data: data.upper() %}{% autoescape up %}{{ x }}",
        "{% apply f %}{% set up = lambda data: data.upper() %}{% autoescape up %}{{ x }}{% end %}",
        "{% for up in [bytes.upper, bytes.lower] %}{% autoescape up %}{{ x }}{% end %}",
        "{% import base64 %}{% autoescape base64.b16encode %}{{ x }}",
    ],
)
def test_escape_functions_the_template_defines_match_tornado(source: str) -> None:
    """An autoescape function bound by the template itself is used once bound, as in tornado."""
    theirs = tornado_template.Template(source).generate(x="<a>", f=bytes.strip)
    assert anemo.tmpl.Template(source).generate(x="<a>", f=bytes.strip) == theirs

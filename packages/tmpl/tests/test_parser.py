"""The parser on arbitrary input: a ParseError naming file and line, never a crash."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.tmpl import DictLoader, ParseError, Template, TemplateNotFound
from anemo.tmpl._parser import MAX_NESTING

FRAGMENTS = [
    "{{", "}}", "{%", "%}", "{#", "#}", "{{!", "{%-", "-%}", "{{- ", " -}}", "x", " ", "\n", "1/0",
    "if x", "for i in y", "while 0", "try", "except", "finally", "else", "elif x", "end", "block b",
    "extends 'p.html'", "include 'p.html'", "set z = 1", "apply f", "raw x", "module M()", "break",
    "continue", "autoescape None", "whitespace oneline", "comment c", "import os", "super()", "'",
]  # fmt: skip


def _load_error(loader: DictLoader, name: str) -> Exception | None:
    try:
        loader.load(name)
    except (ParseError, TemplateNotFound) as error:
        return error
    return None


@settings(max_examples=400)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_any_source_compiles_or_raises_parse_error(fragments: list[str]) -> None:
    """Whatever the source, compiling gives a template, a located ParseError or TemplateNotFound."""
    source = "".join(fragments)
    error = _load_error(DictLoader({"t.html": source, "p.html": "{% block b %}p{% end %}"}), "t.html")
    if isinstance(error, ParseError):
        assert error.filename in ("t.html", "p.html")
        assert 0 <= error.lineno <= source.count("\n") + 1
    elif isinstance(error, TemplateNotFound):
        assert error.name != "p.html"


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ("a\n\n{{", "Missing end expression }}", 3),
        ("{%", "Missing end block %}", 1),
        ("{#", "Missing end comment #}", 1),
        ("x\n{{ }}", "Empty expression", 2),
        ("{% %}", "Empty block tag ({% %})", 1),
        ("{% foo %}", "unknown operator: 'foo'", 1),
        ("{% end %}", "Extra {% end %} block", 1),
        ("\n{% if x %}", "Missing {% end %} block for if", 2),
        ("{% else %}", "else outside if or for or while or try block", 1),
        ("{% if 1 %}{% except %}{% end %}", "except block cannot be attached to if block", 1),
        ("{% break %}", "break outside for or while loop", 1),
        ("{% for i in x %}{% apply f %}{% continue %}{% end %}{% end %}", "continue outside", 1),
        ("{% block %}{% end %}", "block missing name", 1),
        ("{% raw %}", "raw missing expression", 1),
        ("{% set %}", "set missing statement", 1),
        ("{% whitespace tabs %}", "invalid whitespace mode 'tabs'", 1),
        ("{% block a %}{% else %}{% end %}", "else block cannot be attached to block block", 1),
        ("{% extends 'a' %}", "{% extends %} block found, but no template loader", 1),
        ("{% if x %}{% else %}{% else %}{% end %}", "invalid Python", 1),
    ],
)
def test_parse_error_messages(source: str, message: str, line: int) -> None:
    """Each kind of bad template has its own message and the line of the offending tag."""
    with pytest.raises(ParseError) as caught:
        Template(source, name="bad.html")
    assert caught.value.message.startswith(message)
    assert (caught.value.filename, caught.value.lineno) == ("bad.html", line)
    assert str(caught.value) == f"{caught.value.message} at bad.html:{line}"


def test_directives_may_span_lines() -> None:
    """Any whitespace separates a directive from its argument, newlines included."""
    template = Template("{%\tif\n x %}{%  set y =\t2 %}{{ y }}{% end %}")
    assert template.generate(x=True) == b"2"


@pytest.mark.parametrize("source", [None, 5, ["{{ x }}"]])
def test_template_source_must_be_text(source: object) -> None:
    """A source that is neither str nor bytes is a TypeError saying so."""
    with pytest.raises(TypeError, match="template source must be str or bytes"):
        Template(source)  # type: ignore[arg-type]


def test_template_name_must_be_text() -> None:
    """A name that is not a str is a TypeError saying so, not an AttributeError from inside."""
    with pytest.raises(TypeError, match="template name must be a str"):
        Template("x", name=None)  # type: ignore[arg-type]


@pytest.mark.parametrize("opener", ["if 1", "for i in x", "block b", "apply f", "try"])
def test_nesting_too_deep_is_a_parse_error(opener: str) -> None:
    """Hundreds of nested tags are a ParseError at the tag, not a RecursionError."""
    deeper = MAX_NESTING * 4
    with pytest.raises(ParseError, match=r"nested too deeply \(more than 100 levels\)") as caught:
        Template(f"{{% {opener} %}}\n" * deeper + "x" + "{% end %}" * deeper, name="deep.html")
    assert (caught.value.filename, caught.value.lineno) == ("deep.html", MAX_NESTING + 1)


@pytest.mark.parametrize("directive", ["include", "extends"])
def test_chains_of_templates_too_long_are_a_parse_error(directive: str) -> None:
    """A chain of hundreds of includes or extends is a ParseError, not a RecursionError."""
    templates = {f"{index}.html": f'{{% {directive} "{index + 1}.html" %}}' for index in range(1000)}
    templates["1000.html"] = "end"
    with pytest.raises(ParseError, match="include or extend each other too deeply"):
        DictLoader(templates).load("0.html")
    short = {name: source for name, source in templates.items() if int(name.split(".")[0]) >= 960}
    assert DictLoader(short).load("960.html").generate() == b"end"

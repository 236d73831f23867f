"""The Babel extractor: messages, plurals, translator comments and lines, alone and through pybabel."""

from __future__ import annotations

import io
import subprocess
import sys
import traceback
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_python
from babel.messages.extract import extract as babel_extract
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po
from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.tmpl import ParseError
from anemo.tmpl.babel import extract

TAGS = ["Translators:"]


def _extract(source: str | bytes, keywords: object = DEFAULT_KEYWORDS, **options: str) -> list[tuple]:
    """Our extractor's raw output, called as Babel calls it (with the keywords' names)."""
    data = source.encode("utf-8") if isinstance(source, str) else source
    return list(extract(io.BytesIO(data), keywords.keys(), TAGS, options))  # type: ignore[attr-defined]


def _babel(source: str, keywords: object = DEFAULT_KEYWORDS) -> list[tuple]:
    """What Babel makes of our output: (lineno, message or (singular, plural), comments, context)."""
    return list(babel_extract(extract, io.BytesIO(source.encode("utf-8")), keywords, TAGS))  # type: ignore[arg-type]


def test_singular() -> None:
    assert _extract('<p>{{ _("Hello") }}</p>') == [(1, "_", "Hello", [])]
    assert _babel('<p>{{ _("Hello") }}</p>') == [(1, "Hello", [], None)]


def test_three_argument_underscore_is_a_plural_for_babel() -> None:
    """Tornado's ``_(singular, plural, count)`` becomes msgid and msgid_plural."""
    source = '{{ _("%(n)d apple", "%(n)d apples", n) % {"n": n} }}'
    assert _extract(source) == [(1, "ngettext", ("%(n)d apple", "%(n)d apples", None), [])]
    assert _babel(source) == [(1, ("%(n)d apple", "%(n)d apples"), [], None)]
    # Keyword arguments count as Babel's Python extractor counts them: after the positional ones.
    assert _babel('{{ _("one", plural_message="many", count=n) }}') == [(1, ("one", "many"), [], None)]


def test_plural_without_ngettext_keyword_stays_underscore() -> None:
    """With ``--no-default-keywords -k _`` there is no ngettext to report: Babel keeps the singular."""
    keywords = parse_keywords(["_"])
    assert _extract('{{ _("a", "b", n) }}', keywords) == [(1, "_", ("a", "b", None), [])]
    assert _babel('{{ _("a", "b", n) }}', keywords) == [(1, "a", [], None)]


def test_pgettext_with_context_and_plural() -> None:
    source = '{{ pgettext("menu", "Open") }}{{ pgettext("files", "%d file", "%d files", n) }}'
    assert _babel(source) == [(1, "Open", [], "menu"), (1, ("%d file", "%d files"), [], "files")]


@pytest.mark.parametrize(
    "call",
    [
        '_("a")',
        "_(name)",
        '_("a" "b")',
        '_("a", name)',
        '_("a", "b", n)',
        '_("s", plural_message="p", count=n)',
        "_()",
        '_(f"constant")',
        'gettext("x")',
        'ngettext("a", "b", n)',
        'pgettext("c", "m")',
        "_(*args)",
    ],
)
def test_messages_as_babels_python_extractor_reports_them(call: str) -> None:
    """Literals, None for anything computed, the same tuple: only a plural ``_`` is renamed."""
    ours = _extract("{{ " + call + " }}")
    theirs = list(extract_python(io.BytesIO(call.encode()), DEFAULT_KEYWORDS.keys(), [], {}))
    assert len(ours) == len(theirs) == 1
    (_, funcname, messages, _), (_, their_funcname, their_messages, _) = ours[0], theirs[0]
    assert messages == their_messages
    plural_underscore = their_funcname == "_" and isinstance(messages, tuple) and len(messages) >= 3
    assert funcname == ("ngettext" if plural_underscore else their_funcname)


def test_bytes_are_not_a_message() -> None:
    assert _extract('{{ N_(b"bytes") }}{{ _("a", b"b", n) }}') == [
        (1, "N_", None, []),
        (1, "ngettext", ("a", None, None), []),
    ]
    assert _babel('{{ N_(b"bytes") }}{{ _("a", b"b", n) }}') == []


def test_every_kind_of_tag() -> None:
    """Expressions, conditions, loops, assignments, modules, raw output, apply and except clauses."""
    source = "\n".join(
        [
            '{% if _("if") %}',
            '{% elif _("elif") %}',
            '{% end %}{% for label in [_("for")] %}{% set x = _("set") %}{% end %}',
            '{% while _("while") %}{% break %}{% end %}',
            '{% module Entry(title=_("module")) %}{% raw _("raw") %}',
            '{% apply translate(_("apply")) %}text{% end %}',
            '{% try %}{% except lookup(_("except")) %}{% end %}',
            '{% block b %}{{ _("block") }}{% end %}{% include "x.html" %}{% import os %}',
        ]
    )
    found = [(line, messages) for line, _, messages, _ in _extract(source)]
    assert found == [
        (1, "if"),
        (2, "elif"),
        (3, "for"),
        (3, "set"),
        (4, "while"),
        (5, "module"),
        (5, "raw"),
        (6, "apply"),
        (7, "except"),
        (8, "block"),
    ]


def test_line_numbers() -> None:
    """The line of the message itself, also inside multi-line tags and after multi-line text."""
    source = (
        "<p>\ntext\n</p>\n"
        '{{\n  _("after a newline")\n}}\n'
        '{{ _("first") + _(\n  "second") }}\n'
        '{% if x and\n  _("condition") %}{% end %}\n'
        '{% set y = (\n  _("set")) %}\r\n'
        '{{ _("crlf") }}\n'
        '{% for i in (\n    _("loop"),\n) %}{% end %}\n'
        '{# a comment\nover lines #}{{! not a tag }}{{ _("last") }}'
    )
    assert [(line, messages) for line, _, messages, _ in _extract(source)] == [
        (5, "after a newline"),
        (7, "first"),
        (8, "second"),
        (10, "condition"),
        (12, "set"),
        (13, "crlf"),
        (15, "loop"),
        (18, "last"),
    ]


def test_translator_comments() -> None:
    """A tagged comment ending on the message's line or the line before it; each used once."""
    source = "\n".join(
        [
            "{# Translators: the greeting #}",  # 1
            '<h1>{{ _("Hello") }}</h1>',  # 2: the comment of line 1
            '{# Translators: same line #}{{ _("Same") }}{{ _("Second on the line") }}',  # 3
            "{# Translators: too far #}",  # 4
            "",  # 5
            '{{ _("Far") }}',  # 6
            "{# not for translators #}",  # 7
            '{{ _("Untagged") }}',  # 8
            "{#   Translators: one",  # 9
            "     and two #}",  # 10
            '{{ _("Multi") }}{# Translators: after #}',  # 11: for the next message, as in Python
            '{% comment Translators: a comment directive %}{{ _("Directive") }}',  # 12
        ]
    )
    comments = {messages: comments for _, _, messages, comments in _extract(source)}
    assert comments == {
        "Hello": ["Translators: the greeting"],
        "Same": ["Translators: same line"],
        "Second on the line": [],
        "Far": [],
        "Untagged": [],
        "Multi": ["Translators: one", "and two"],
        "Directive": ["Translators: after", "Translators: a comment directive"],
    }
    assert list(extract(io.BytesIO(b'{# Translators: x #}{{ _("a") }}'), ["_"], [], {})) == [
        (1, "_", "a", [])
    ]


def test_custom_keyword_and_method_call() -> None:
    """``-k translate`` finds ``locale.translate(...)``; default keywords do not."""
    source = '{{ locale.translate("Via the locale") }}'
    assert _babel(source, parse_keywords(["translate"])) == [(1, "Via the locale", [], None)]
    assert _babel(source) == []


@pytest.mark.parametrize(
    ("source", "message", "line"),
    [
        ('a\n{% if x %}{{ _("a") }}', "Missing {% end %} block for if", 2),
        ('\n\n{{ _("a" }}', "invalid Python: '(' was never closed", 3),
        ('{% set x = _("a") +\n  %}', "invalid Python: invalid syntax", 1),
        ("{% for x in %}{% end %}", "invalid Python: invalid syntax", 1),
        ("x\n{% frobnicate %}", "unknown operator: 'frobnicate'", 2),
    ],
)
def test_unparsable_template_names_file_and_line(source: str, message: str, line: int) -> None:
    data = io.BytesIO(source.encode())
    data.name = "templates/broken.html"
    with pytest.raises(ParseError) as caught:
        list(extract(data, ["_"], TAGS, {}))
    assert (caught.value.message, caught.value.filename, caught.value.lineno) == (
        message,
        "templates/broken.html",
        line,
    )
    assert str(caught.value).endswith(f"at templates/broken.html:{line}")
    # The traceback stops in the extractor, not in the parser's internals.
    files = {frame.filename for frame in traceback.extract_tb(caught.value.__traceback__)}
    assert not any(name.endswith("_parser.py") for name in files)


def test_encoding() -> None:
    """UTF-8 by default, ``encoding`` from the mapping's options, and a located error for bad bytes."""
    assert _extract('{{ _("Café") }}') == [(1, "_", "Café", [])]
    latin = '{{ _("Café") }}'.encode("latin-1")
    assert _extract(latin, encoding="latin-1") == [(1, "_", "Café", [])]
    with pytest.raises(ParseError, match=r"template is not valid utf-8 .* at <template>:2$"):
        _extract(b"ok\n" + latin)


printable = st.text(st.characters(codec="utf-8")).filter(lambda text: text.isprintable() and "}}" not in text)


@settings(max_examples=300)
@given(text=printable)
def test_any_printable_message_extracted_exactly(text: str) -> None:
    """Quoted as a Python literal, any printable text comes back as it was (``}}`` ends a tag)."""
    literal = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    assert _extract("<p>\n{{ _(" + literal + ") }}</p>") == [(2, "_", text, [])]


def _pybabel(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_pybabel_extract(tmp_path: Path) -> None:
    """The real CLI finds the extractor by its entry point and writes msgids, plurals, comments, lines."""
    (tmp_path / "babel.cfg").write_text("[anemo_tmpl: **.html]\n", encoding="utf-8")
    templates = tmp_path / "templates"
    (templates / "parts").mkdir(parents=True)
    (templates / "page.html").write_text(
        "{% extends 'base.html' %}\n"
        "{% block body %}\n"
        "{# Translators: the title of the inbox #}\n"
        '<h1>{{ _("Inbox") }}</h1>\n'
        '{% for m in messages %}{{ _("From %(name)s") % {"name": m.sender} }}{% end %}\n'
        '{{ _("%(n)d unread message", "%(n)d unread messages", n) % {"n": n} }}\n'
        "{% end %}\n",
        encoding="utf-8",
    )
    (templates / "parts" / "nav.html").write_text('<nav>{{ _("Inbox") }}</nav>\n', encoding="utf-8")
    result = _pybabel(
        "extract", "-F", "babel.cfg", "-c", "Translators:", "-o", "out.pot", "templates", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    pot = (tmp_path / "out.pot").read_text(encoding="utf-8")
    comment_and_places = (
        "#. Translators: the title of the inbox\n#: templates/page.html:4 templates/parts/nav.html:1\n"
    )
    assert comment_and_places in pot
    assert 'msgid "%(n)d unread message"\nmsgid_plural "%(n)d unread messages"\n' in pot
    with (tmp_path / "out.pot").open("rb") as file:
        catalog = read_po(file)
    found = {message.id: message for message in catalog if message.id}
    assert set(found) == {"Inbox", "From %(name)s", ("%(n)d unread message", "%(n)d unread messages")}
    assert found["Inbox"].locations == [("templates/page.html", 4), ("templates/parts/nav.html", 1)]
    assert found["Inbox"].auto_comments == ["Translators: the title of the inbox"]
    assert found["From %(name)s"].locations == [("templates/page.html", 5)]
    assert found[("%(n)d unread message", "%(n)d unread messages")].locations == [("templates/page.html", 6)]


def test_pybabel_stops_on_a_broken_template(tmp_path: Path) -> None:
    """A template that does not parse fails the run, naming its file and line."""
    (tmp_path / "babel.cfg").write_text("[anemo_tmpl: **.html]\n", encoding="utf-8")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "broken.html").write_text('ok\n{% if x %}{{ _("a") }}\n', encoding="utf-8")
    result = _pybabel("extract", "-F", "babel.cfg", "-o", "out.pot", "templates", cwd=tmp_path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()
    assert any(
        line.startswith("anemo.tmpl.errors.ParseError: Missing {% end %} block for if at ")
        and line.endswith("templates/broken.html:2")
        for line in last
    ), result.stderr
    assert "_parser.py" not in result.stderr

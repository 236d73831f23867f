"""The compiled field loop of each Form class against the reference loop it is generated from."""

from __future__ import annotations

import datetime
import enum
import zoneinfo
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.formvalidate import (
    BooleanField,
    CheckBoxField,
    ChoiceField,
    DateField,
    DateTimeField,
    EmailField,
    EnumField,
    FloatField,
    Form,
    FormField,
    IntegerField,
    IPField,
    Limits,
    ListField,
    StringField,
    TimeField,
    ValidationError,
)
from anemo.formvalidate._tree import tree_from_arguments


class Inner(Form):
    code = StringField(pattern=r"[0-9]{3}", required=False, default="000")


class Tone(enum.Enum):
    DARK = "dark"
    LIGHT = 7


class Mixed(Form):
    name = StringField(min_length=1, max_length=8)
    raw = StringField(strip=False, required=False)
    code = StringField(min_length=2, pattern=r"[a-z]+[0-9]?", multiline=True, required=False)
    age = IntegerField(min_value=0, max_value=150, required=False, default=-1)
    low = IntegerField(min_value=-3, required=False)
    email = EmailField(required=False)
    ip = IPField()
    ip4 = IPField(version=4, required=False)
    ip6 = IPField(version=6, required=False)
    colour = ChoiceField(["a", "b", 7], required=False, default="b")
    agree = BooleanField()
    tags = CheckBoxField(["a", "b"], required=False)
    picks = CheckBoxField(["a", "b", "c", 7], min_choices=2, max_choices=2, default=["c"], required=False)
    plain = CheckBoxField(["a", " b"], strip=False, required=False)
    inner = FormField(Inner, required=False)
    items = ListField(IntegerField())
    score = IntegerField(min_value=lambda: -3, max_value=lambda: 150, required=False)
    cap = IntegerField(max_value=lambda: None, required=False)
    ratio = FloatField(max_value=lambda: 1.5, required=False)
    day = DateField(min_value=lambda: datetime.date(2026, 1, 1), required=False)
    at = TimeField(min_value=lambda: datetime.time(9), seconds=True, required=False)
    when = DateTimeField(timezone=zoneinfo.ZoneInfo("America/New_York"), required=False)
    tone = EnumField(Tone, required=False, default=Tone.DARK)
    tone_name = EnumField(Tone, by="name", required=False)

    def validate_name(self, value: str) -> str:
        if value == "root":
            raise ValidationError("reserved")
        return value.upper()


EDGES: list[Any] = [
    *(b"", b" ", b"  7 ", b"1.2.3.4", b"a@b.cd", b"root", b"on", b"a", "\u00e9", b"\xff", None),
    *(b"a@EXAMPLE.com", b"A@b.c0", b"x" * 65 + b"@b.cd", b"x" * 64 + b"@b.cd", b"a" * 70, b"a" * 101),
    *(b"01.2.3.4", b"1.2.3", b"255.255.255.255", b"::1", b"::ffff:1.2.3.4", b"1.2.3.4 x", b"\xef\xbc\x91"),
    *(b"b", b" b", b"c", b"7", b"ab1", b"ab\n", b"a\tb", b"\x00", "\u0661", b"abcdefgh", b"abcdefghi"),
    *(b"-4", b"-3", b"0", b"-0", b"+151", b"150", b"151", b"1" * 31, b"1" * 32, 150, 3.5, True),
    *(b"fe80::1%1", b"1.2.3.4:80", b"\xc3\xa9", "张三".encode(), "\u0661".encode(), "\u00a0b ".encode()),
    *("a\u2028b".encode(), "\uff21\uff22@example.com".encode(), "a@例え.jp".encode()),
    *(b"\xe5\xbc", b"a\xc0\x80"),
    *(b"12:30", b"08:59", b"23:59:59", b"24:00", b"2025-12-31", b"2026-01-01", b"1.5", b"1.6", b"-3"),
    *(b"2026-03-08T02:30", b"2026-11-01T01:30", b"2026-01-01T00:00Z", b"2026-01-01T00:00+08:00"),
    *(b"dark", b"DARK", b"LIGHT", b"Tone.DARK"),
]
"""Values at the edges of Mixed's fields (bounds, lengths, encodings, shapes)."""
TOKENS = st.sampled_from(EDGES)
VALUES = st.one_of(
    st.binary(max_size=12),
    st.text(max_size=12),
    TOKENS,
    TOKENS,
    st.integers(-5, 200).map(lambda number: str(number).encode()),
    st.integers(-5, 200),
)
NAMES = st.sampled_from([*Mixed.fields, "inner.code", "items[0]", "x"])


def run(
    node: Any, files: Any, prefix: str, *, compiled: bool, limit: int = 10
) -> tuple[bool, dict[str, Any], dict[str, str]]:
    """Valid flag, cleaned data and errors of one pass of either loop over a tree.

    A fresh form is the context of each pass, as it is of a real validation run.
    """
    form = Mixed(limits=Limits(max_value_length=limit))
    form._recorded = {}
    form._codes = {}
    cleaned: dict[str, Any] = {}
    if compiled:
        valid = form._compiled_fields(cleaned, node, files, prefix, form)
    else:
        valid = form._clean_fields(cleaned, node, files, prefix, form)
    # Each error with its code, so both loops must agree on the rule that failed too.
    return (
        valid,
        cleaned,
        {path: f"{form._codes[path][0]}: {message}" for path, message in form._recorded.items()},
    )


@settings(max_examples=1000)
@given(
    st.dictionaries(NAMES, st.one_of(st.lists(VALUES, max_size=4), VALUES), max_size=12),
    st.sampled_from(["", "outer", "list[3]"]),
    st.sampled_from([10, 100]),
)
def test_compiled_loop_equals_the_reference(arguments: dict[str, Any], prefix: str, limit: int) -> None:
    """Same valid flag, data and error paths and messages, for any values, prefix and length limit."""
    node, _ = tree_from_arguments(arguments, Limits())
    compiled = run(node, {}, prefix, compiled=True, limit=limit)
    assert compiled == run(node, {}, prefix, compiled=False, limit=limit)


def test_every_field_agrees_on_every_edge() -> None:
    """Each field alone, with each edge value alone, a pair of them and a triple of picks."""
    submissions = [[value] for value in EDGES] + [[value, b"a"] for value in EDGES]
    submissions += [[b"a", b"b", b"c"], [b"a", b"7", b"a"], [b"c", b"c"], []]
    for name in Mixed.fields:
        for values in submissions:
            for limit in (10, 100):
                node = {name: values}
                compiled = run(node, {}, "", compiled=True, limit=limit)
                assert compiled == run(node, {}, "", compiled=False, limit=limit), (name, values)


def test_a_valid_post_takes_the_inline_read() -> None:
    """The common case (ASCII bytes) and its str twin give the same data."""
    post = {"name": [b" ann "], "ip": [b"10.0.0.1"], "age": [b"7"], "items": [b"1", b"2"]}
    as_text = {name: [value.decode() for value in values] for name, values in post.items()}
    form, twin = Mixed(post), Mixed(as_text)
    assert form.is_valid(), form.errors
    assert form.data == twin.data
    assert form.data["name"] == "ANN"
    assert form.data["age"] == 7


def test_bound_functions_are_called_by_the_compiled_loop() -> None:
    """A bound given as a function is called at each validation on the compiled path too."""
    limit = [10]

    class Order(Form):
        quantity = IntegerField(max_value=lambda: limit[0])

    assert Order({"quantity": [b"10"]}).is_valid()
    limit[0] = 9
    assert Order({"quantity": [b"10"]}).errors == {"quantity": "Enter a value of at most 9."}


def test_generated_code_shows_in_tracebacks() -> None:
    """A bug inside a field's convert is traced through the generated loop, whose lines are readable."""
    import traceback

    from anemo.formvalidate import Form, StringField

    class Exploding(StringField):
        def convert(self, text: str) -> str:
            raise ZeroDivisionError("a bug in a custom field")

    class Broken(Form):
        name = Exploding()

    try:
        Broken({"name": ["x"]}).is_valid()
    except ZeroDivisionError as exc:
        frames = traceback.extract_tb(exc.__traceback__)
    else:
        raise AssertionError("the bug was swallowed")
    generated = [frame for frame in frames if frame.filename.startswith("<anemo.formvalidate: fields of")]
    assert generated, [frame.filename for frame in frames]
    assert all(frame.line for frame in generated)  # linecache has the source: the line is shown

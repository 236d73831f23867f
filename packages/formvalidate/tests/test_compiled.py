"""The compiled field loop of each Form class against the reference loop it is generated from."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.formvalidate import (
    BooleanField,
    CheckBoxField,
    EmailField,
    Form,
    FormField,
    IntegerField,
    IPField,
    Limits,
    ListField,
    StringField,
    ValidationError,
)
from anemo.formvalidate._context import Context
from anemo.formvalidate._tree import tree_from_arguments


class Inner(Form):
    code = StringField(pattern=r"[0-9]{3}", required=False, default="000")


class Mixed(Form):
    name = StringField(min_length=1, max_length=8)
    raw = StringField(strip=False, required=False)
    age = IntegerField(min_value=0, max_value=150, required=False, default=-1)
    email = EmailField(required=False)
    ip = IPField()
    agree = BooleanField()
    tags = CheckBoxField(["a", "b"], required=False)
    inner = FormField(Inner, required=False)
    items = ListField(IntegerField())

    def validate_name(self, value: str) -> str:
        if value == "root":
            raise ValidationError("reserved")
        return value.upper()


VALUES = st.one_of(
    st.binary(max_size=12),
    st.text(max_size=12),
    st.sampled_from(
        [b"", b" ", b"  7 ", b"1.2.3.4", b"a@b.cd", b"root", b"on", b"a", "\u00e9", b"\xff", None]
    ),
    st.integers(-5, 200),
)
NAMES = st.sampled_from(
    ["name", "raw", "age", "email", "ip", "agree", "tags", "inner.code", "inner", "items[0]", "items", "x"]
)


def run(
    form: Mixed, node: Any, files: Any, prefix: str, compiled: bool
) -> tuple[bool, dict[str, Any], dict[str, str]]:
    """Valid flag, cleaned data and errors of one pass of either loop over a tree."""
    context = Context(Limits(max_value_length=10), None)
    cleaned: dict[str, Any] = {}
    if compiled:
        valid = form._compiled_fields(cleaned, node, files, prefix, context)
    else:
        valid = form._clean_fields(cleaned, node, files, prefix, context)
    return valid, cleaned, context.errors


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(NAMES, st.one_of(st.lists(VALUES, max_size=3), VALUES), max_size=10),
    st.sampled_from(["", "outer", "list[3]"]),
)
def test_compiled_loop_equals_the_reference(arguments: dict[str, Any], prefix: str) -> None:
    """Same valid flag, data and error paths and messages, for any values and any prefix."""
    node, _ = tree_from_arguments(arguments, Limits())
    form = Mixed()
    assert run(form, node, {}, prefix, compiled=True) == run(form, node, {}, prefix, compiled=False)


def test_a_valid_post_takes_the_inline_read() -> None:
    """The common case (ASCII bytes) and its str twin give the same data."""
    post = {"name": [b" ann "], "ip": [b"10.0.0.1"], "age": [b"7"], "items": [b"1", b"2"]}
    as_text = {name: [value.decode() for value in values] for name, values in post.items()}
    form, twin = Mixed(post), Mixed(as_text)
    assert form.is_valid(), form.errors
    assert form.data == twin.data
    assert form.data["name"] == "ANN"
    assert form.data["age"] == 7

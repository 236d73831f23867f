"""Property tests: open-ended names, values, bytes and structures never escape is_valid()."""

from __future__ import annotations

import ipaddress
import re
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from anemo.formvalidate import (
    CheckBoxField,
    DateField,
    EmailField,
    FileField,
    FloatField,
    Form,
    FormField,
    IntegerField,
    IPField,
    Limits,
    ListField,
    ListForm,
    StringField,
    UploadedFile,
    URLField,
    safe_filename,
)
from anemo.formvalidate._tree import join_path, parse_name


class Address(Form):
    street = StringField(max_length=40)
    zip = StringField(pattern=r"[0-9]{6}", required=False)


class Person(Form):
    name = StringField(min_length=1, max_length=50)
    age = IntegerField(min_value=0, max_value=150)
    email = EmailField(required=False)
    ip = IPField(required=False)
    score = FloatField(required=False)
    born = DateField(required=False)
    site = URLField(required=False)
    tags = CheckBoxField(["a", "b", "c", "d"], required=False)
    home = FormField(Address, required=False)
    past = ListField(Address, max_entries=5)
    numbers = ListField(IntegerField())
    photo = FileField(required=False, max_files=2)


class People(ListForm):
    entry = Person


NAMES = st.one_of(
    st.sampled_from(
        ["name", "age", "email", "ip", "score", "born", "site", "tags", "home", "past", "numbers"]
    ),
    st.text(alphabet="abcehmnoprstz.[]0123456789_-", max_size=30),
    st.text(max_size=20),
    st.builds(
        "{}[{}].{}".format,
        st.sampled_from(["past", "numbers", "home", ""]),
        st.integers(-2, 10**10),
        st.sampled_from(["street", "zip", "x", ""]),
    ),
)
RAW = st.one_of(st.binary(max_size=80), st.text(max_size=80))
ARGUMENTS = st.dictionaries(NAMES, st.lists(RAW, max_size=4), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=25,
)


def assert_well_formed(form: Person | People) -> None:
    """Validation returns: errors map string paths to non-empty messages."""
    valid = form.is_valid()
    assert valid == (form.errors == {})
    for path, message in form.errors.items():
        assert isinstance(path, str)
        assert isinstance(message, str)
        assert message
    assert isinstance(form.data, dict | list)


@settings(max_examples=300)
@given(ARGUMENTS)
def test_random_posts_never_raise(arguments: dict[str, list[Any]]) -> None:
    """Any names and any str/bytes values give errors or data, never an exception."""
    assert_well_formed(Person(arguments, limits=Limits(max_depth=4, max_entries=8)))
    assert_well_formed(People(arguments))


@settings(max_examples=200)
@given(st.dictionaries(NAMES, JSON, max_size=8) | JSON)
def test_random_json_never_raises(document: Any) -> None:
    """Any decoded JSON document gives errors or data, never an exception."""
    assert_well_formed(Person.from_json(document, limits=Limits(max_depth=4)))
    assert_well_formed(People.from_json(document))


@settings(max_examples=100)
@given(
    st.dictionaries(NAMES, st.lists(st.builds(UploadedFile, st.text(), st.binary(max_size=40), st.text())))
)
def test_random_files_never_raise(files: dict[str, list[Any]]) -> None:
    """Any names with any upload objects give errors or data, never an exception."""
    assert_well_formed(Person({"name": ["x"], "age": ["1"]}, files))


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=150))
def test_integers_round_trip(number: int) -> None:
    """Every integer in bounds, as bytes, comes back as itself."""
    form = Person({"name": [b"n"], "age": [str(number).encode()]})
    assert form.is_valid(), form.errors
    assert form.data["age"] == number


@settings(max_examples=200)
@given(
    st.lists(
        st.one_of(st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,8}", fullmatch=True), st.integers(0, 999_999_999)),
        min_size=1,
        max_size=6,
    )
)
def test_names_parse_back_to_their_paths(path: list[str | int]) -> None:
    """join_path and parse_name are inverse on the grammar of submitted names."""
    name = ""
    for key in path:
        name = join_path(name, key)
    assert parse_name(name) == path


@settings(max_examples=300)
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(lambda quoted: f"utf-8''{quoted}", st.text(max_size=80).map(quote)),
        st.builds(lambda quoted: f"UTF-8''utf-8''{quoted}", st.text(max_size=80).map(quote).map(quote)),
        st.builds(  # an encoded value behind a path, spaces or invisible characters
            lambda junk, quoted: f"{junk}utf-8''{quoted}",
            st.text(st.sampled_from(" /\\:.a\x00\u200b\u3000"), max_size=6),
            st.text(max_size=40).map(quote),
        ),
    )
)
def test_safe_filename_is_one_harmless_component(name: str) -> None:
    """Whatever the client's name, the result is a single, bounded, visible path component."""
    safe = safe_filename(name)
    assert "/" not in safe
    assert "\\" not in safe
    assert "\x00" not in safe
    assert not safe.startswith(".")
    assert safe not in {".", ".."}
    assert len(safe.encode("utf-8")) <= 200
    assert safe == safe.strip(" .")
    assert safe_filename(safe) == safe  # save() sanitizes a validated name again


@settings(max_examples=40)
@given(st.text(max_size=60))
def test_saved_files_stay_in_their_directory(tmp_path_factory: Any, name: str) -> None:
    """save() under any client name writes exactly one new file inside the directory."""
    directory: Path = tmp_path_factory.mktemp("uploads")
    saved = UploadedFile(name, b"body", "text/plain").save(directory)
    assert saved.parent == directory
    assert [p.name for p in directory.iterdir()] == [saved.name]
    assert saved.read_bytes() == b"body"


@settings(max_examples=300)
@given(
    st.one_of(
        st.lists(st.integers(0, 300).map(str), min_size=4, max_size=4).map(".".join),
        st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,4}){2,4}", fullmatch=True),
        st.ip_addresses().map(str),
        st.text(alphabet="0123456789abcdef:.", min_size=1, max_size=45),
    )
)
def test_ip_field_agrees_with_ipaddress(text: str) -> None:
    """IPField's fast IPv4 reading accepts exactly what ipaddress accepts."""
    try:
        expected: object = ipaddress.ip_address(text)
    except ValueError:
        expected = None
    form = Person({"name": ["n"], "age": ["1"], "ip": [text]})
    assert form.data.get("ip") == expected
    assert ("ip" in form.errors) == (expected is None)


def test_huge_value_against_a_catastrophic_pattern_is_fast() -> None:
    """A 100 KB value meets the length bound before a ReDoS-prone regex."""

    class Evil(Form):
        word = StringField(pattern=r"(a+)+b", max_length=64)

    for size, message in (
        (100_000, "Enter at most 65536 characters."),
        (60_000, "Enter at most 64 characters."),
    ):
        arguments = {"word": [b"a" * size]}
        start = time.perf_counter()
        for _ in range(100):
            errors = Evil(arguments).errors
        elapsed = (time.perf_counter() - start) / 100
        assert errors == {"word": message}
        assert elapsed < 0.001, f"{elapsed * 1e6:.0f} us per rejection of {size} bytes"


_FIRST_EMAIL_GRAMMAR = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?",
    re.ASCII,
)
"""The address grammar as first written; EmailField's faster pattern must accept the same set."""


@settings(max_examples=400)
@given(
    st.one_of(
        st.from_regex(r"[a-z.+-]{1,6}@([a-z0-9-]{1,3}\.){1,3}[a-z0-9-]{1,4}", fullmatch=True),
        st.from_regex(r"a@(x{60,66}\.)x{1,2}", fullmatch=True),
        st.from_regex(r"a@x\.[a-z]x{58,66}-?", fullmatch=True),
        st.text(alphabet="a1-.@_", max_size=20),
    )
)
def test_email_field_accepts_the_first_grammar(text: str) -> None:
    """EmailField accepts exactly what the original address grammar accepts (length caps aside)."""
    expected = _FIRST_EMAIL_GRAMMAR.fullmatch(text) is not None and text.index("@") <= 64
    form = Person({"name": ["n"], "age": ["1"], "email": [text]})
    assert ("email" not in form.errors) == (expected or not text.strip())

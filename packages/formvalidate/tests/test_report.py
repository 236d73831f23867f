"""Machine-readable errors and redisplay: codes, the JSON document, and what was submitted."""

from __future__ import annotations

import datetime
import decimal
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from anemo.formvalidate import (
    FORM_ERROR_KEY,
    CheckBoxField,
    DateField,
    DecimalField,
    FieldError,
    FileField,
    Form,
    FormField,
    IntegerField,
    IPField,
    Limits,
    ListField,
    ListForm,
    PasswordField,
    StringField,
    ValidationError,
)


class Address(Form):
    ip = IPField(version=4)
    port = IntegerField(min_value=1, max_value=65535)


class Host(Form):
    name = StringField(max_length=20)
    password = PasswordField(min_length=8)
    colours = CheckBoxField(["red", "green"], required=False)
    when = DateField(min_value=datetime.date(2026, 1, 1), required=False)
    price = DecimalField(max_value=decimal.Decimal("9.99"), required=False)
    main = FormField(Address)
    extra = ListField(Address)
    avatar = FileField(required=False)

    def clean(self) -> None:
        raise ValidationError("Not today.", code="closed")


def test_each_error_has_its_code_and_params() -> None:
    form = Host(
        {
            "name": [b"x" * 21],
            "password": [b"short"],
            "when": [b"2025-12-31"],
            "price": [b"10"],
            "main.ip": [b"1.2.3.4"],
            "main.port": [b"70000"],
            "extra[3].ip": [b"nope"],
            "extra[3].port": [b"1"],
        }
    )
    assert not form.is_valid()
    details = {error.path: error for error in form.error_details}
    assert details["name"] == FieldError("name", "too_long", "Enter at most 20 characters.", {"max": 20})
    assert details["password"].code == "too_short"
    assert details["when"].params == {"min": datetime.date(2026, 1, 1)}
    assert details["main.port"].code == "too_large"
    assert details["extra[3].ip"].code == "ipv4"
    assert list(details) == list(form.errors)  # same paths, same order


def test_a_clean_error_keeps_its_code() -> None:
    good = {"name": [b"a"], "password": [b"long enough"], "main.ip": [b"1.2.3.4"], "main.port": [b"80"]}
    form = Host(good)
    assert form.errors == {FORM_ERROR_KEY: "Not today."}
    assert form.error_details == [FieldError(FORM_ERROR_KEY, "closed", "Not today.", {})]


def test_the_json_document_echoes_only_what_may_be_shown() -> None:
    form = Host(
        {
            "name": ["<b>" * 30],
            "password": ["hunter2"],
            "price": ["10"],
            "main.ip": ["1.2.3.4"],
            "main.port": ["0"],
            "colours": ["red", "blue"],
        },
        {"avatar": [{"filename": "a.txt", "body": b"", "content_type": "text/plain"}]},
    )
    document = json.loads(json.dumps(form.errors_as_json()))  # plain JSON types only
    assert document["errors"] == form.errors
    by_path = {item["path"]: item for item in document["details"]}
    assert by_path["password"] == {
        "path": "password",
        "code": "too_short",
        "message": "Enter at least 8 characters.",
        "params": {"min": 8},
    }  # no "value": a password is never echoed
    assert "value" not in by_path["avatar"]
    assert by_path["main.port"]["value"] == "0"
    assert by_path["colours"]["value"] == ["red", "blue"]
    assert by_path["price"]["params"] == {"max": "9.99"}  # a Decimal is written as text
    assert by_path["name"]["value"] == "<b>" * 30  # JSON-escaped by the encoder, shown as text


def test_a_long_value_is_not_echoed() -> None:
    form = Host({"name": ["y" * 201]})
    details = {item["path"]: item for item in form.errors_as_json()["details"]}
    assert "value" not in details["name"]
    assert form.submitted["name"] == "y" * 201  # still there to fill the form in again


def test_submitted_gives_the_text_by_path_for_redisplay() -> None:
    form = Host(
        {
            "name": [b"first", b" last "],
            "password": [b"secret secret"],
            "colours": [b"red", b"mauve"],
            "main.ip": [b"10.0.0.1"],
            "main.port": [b"\xff"],  # not UTF-8: left out
            "extra[7].port": [b"8080"],
            "unknown": [b"x"],
        }
    )
    assert form.submitted == {
        "name": " last ",  # the last value, as typed
        "colours": ["red", "mauve"],
        "main.ip": "10.0.0.1",
        "extra[7].port": "8080",
    }


def test_submitted_from_json_writes_scalars_as_text() -> None:
    form = Host.from_json(
        {"name": 12, "colours": ["red"], "main": {"ip": "1.1.1.1", "port": 1.5}, "when": True}
    )
    assert form.submitted == {
        "name": "12",
        "colours": ["red"],
        "main.ip": "1.1.1.1",
        "main.port": "1.5",
        "when": "true",
    }


def test_submitted_of_a_list_form() -> None:
    class Hosts(ListForm):
        entry = Address

    form = Hosts({"[0].ip": [b"1.2.3.4"], "[2].port": [b"x"]})
    assert form.submitted == {"[0].ip": "1.2.3.4", "[2].port": "x"}


POSTED = st.one_of(st.text(max_size=30), st.binary(max_size=30))
"""What a form post carries: str or bytes values."""
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
NAMES = st.sampled_from(
    [
        "name",
        "password",
        "colours",
        "when",
        "price",
        "main",
        "ip",
        "port",
        "main.ip",
        "extra[0].port",
        "extra",
    ]
)


@given(st.dictionaries(NAMES, st.lists(POSTED, max_size=3), max_size=8))
def test_any_post_gives_a_json_document_and_redisplay_without_raising(
    arguments: dict[str, list[Any]],
) -> None:
    form = Host(arguments, limits=Limits(max_value_length=25))
    document = form.errors_as_json()
    json.dumps(document, allow_nan=False)
    assert {item["path"] for item in document["details"]} == set(form.errors)
    for path, value in form.submitted.items():
        assert path.split(".")[0].split("[")[0] in Host.fields
        assert path != "password"
        texts = value if isinstance(value, list) else [value]
        assert all(isinstance(text, str) and len(text) <= 25 for text in texts)


@given(
    st.recursive(
        JSON_SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=3),
        max_leaves=12,
    )
)
def test_any_json_document_gives_a_json_error_document(document: Any) -> None:
    form = Host.from_json(document)
    json.dumps(form.errors_as_json(), allow_nan=False)
    json.dumps(form.submitted, allow_nan=False)

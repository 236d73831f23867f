"""Async validators: hooks and clean() awaited by form.validate(), and a forgotten await refused."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from anemo.formvalidate import (
    AwaitRequired,
    Form,
    FormField,
    IntegerField,
    ListForm,
    StringField,
    Validation,
    ValidationError,
)

TAKEN = {"alice", "bob"}


class Signup(Form):
    """A sign-up form whose username is checked against a (simulated) database."""

    username = StringField(max_length=32)
    age = IntegerField(min_value=0, max_value=150)
    log: list[str]

    async def validate_username(self, value: str) -> str:
        self.log.append(f"hook {value}")
        await asyncio.sleep(0)  # a real database round trip would be here
        if value.lower() in TAKEN:
            raise ValidationError("That name is taken.", code="taken")
        return value.lower()

    def clean(self) -> None:
        self.log.append("clean")
        if self.data["age"] < 13 and self.data["username"].startswith("admin"):
            raise ValidationError("No.", field="username")


def signup(**values: str) -> Signup:
    form = Signup({name: [value.encode()] for name, value in values.items()})
    form.log = []
    return form


def validated(form: Any) -> bool:
    async def main() -> bool:
        return await form.validate()  # type: ignore[no-any-return]

    return asyncio.run(main())


def test_an_async_hook_refuses_a_taken_name_with_its_code() -> None:
    form = signup(username="Alice", age="30")
    assert validated(form) is False
    assert form.errors == {"username": "That name is taken."}
    assert [(error.path, error.code) for error in form.error_details] == [("username", "taken")]
    assert form.data == {"age": 30}  # the refused value is not left in data
    assert form.log == ["hook Alice"]  # clean() waits for the hooks, and is skipped after a failure


def test_an_async_hook_returns_the_value_kept() -> None:
    form = signup(username="Carol", age="30")
    assert validated(form) is True
    assert form.data == {"username": "carol", "age": 30}
    assert form.log == ["hook Carol", "clean"]  # a sync clean() of an async form runs after its hooks
    assert form.is_valid()  # read freely once awaited
    assert validated(form) is True  # and validated once only
    assert form.log == ["hook Carol", "clean"]


def test_a_field_error_skips_the_hook_and_clean() -> None:
    form = signup(username="Carol", age="200")
    assert validated(form) is False
    assert form.errors == {"age": "Enter a value of at most 150."}
    assert form.log == ["hook Carol"]  # the hook ran for its valid field; clean() did not


def test_reading_an_async_form_without_await_is_refused() -> None:
    form = signup(username="Carol", age="30")
    for read in (form.is_valid, lambda: form.errors, lambda: form.data, lambda: form.error_details):
        with pytest.raises(AwaitRequired, match=r"await form\.validate"):
            read()
    assert form.log == []  # nothing ran


def test_a_validate_tested_without_await_raises_instead_of_being_true() -> None:
    form = signup(username="alice", age="30")  # a taken name
    pending = form.validate()
    assert isinstance(pending, Validation)
    with pytest.raises(AwaitRequired, match="must be awaited"):
        bool(pending)  # what `if form.validate():` does
    assert form.log == []
    assert validated(form) is False  # the real check still runs, and refuses


class Profile(Form):
    name = StringField(max_length=32)

    async def clean(self) -> None:
        await asyncio.sleep(0)
        if self.data["name"] == "root":
            raise ValidationError("Reserved.", code="reserved", field="name")


class Account(Form):
    """A sync form holding an async one: it becomes async itself."""

    profile = FormField(Profile)
    email = StringField()
    cleaned = False

    def clean(self) -> None:
        type(self).cleaned = True


def test_an_async_clean_and_a_nested_async_form() -> None:
    assert Account._is_async
    good = Account({"profile.name": [b"ann"], "email": [b"a@b.c"]})
    with pytest.raises(AwaitRequired):
        good.is_valid()
    assert validated(good)
    assert good.data == {"profile": {"name": "ann"}, "email": "a@b.c"}
    Account.cleaned = False
    bad = Account({"profile.name": [b"root"], "email": [b"a@b.c"]})
    assert not validated(bad)
    assert bad.errors == {"profile.name": "Reserved."}
    assert bad.error_details[0].code == "reserved"
    assert Account.cleaned is False  # the outer clean() does not run over a failed nested form


class Names(ListForm):
    entry = Signup


def test_a_list_of_async_forms_reports_each_entry() -> None:
    form = Names(
        {"[0].username": [b"dave"], "[0].age": [b"20"], "[1].username": [b"bob"], "[1].age": [b"20"]}
    )
    form_log: list[str] = []
    Signup.log = form_log  # the entries are made by the list, so they share the class's log
    try:
        assert not validated(form)
    finally:
        del Signup.log
    assert form.errors == {"[1].username": "That name is taken."}
    assert form_log == ["hook dave", "clean", "hook bob"]  # each entry in turn; entry 1 never cleaned


def test_a_sync_form_can_be_awaited_too() -> None:
    class Plain(Form):
        n = IntegerField()

    assert not Plain._is_async
    assert validated(Plain({"n": [b"1"]})) is True
    assert validated(Plain({"n": [b"x"]})) is False


def test_a_failing_hook_propagates_and_nothing_half_done_is_kept() -> None:
    class Flaky(Form):
        name = StringField()
        calls = 0

        async def validate_name(self, value: str) -> str:
            type(self).calls += 1
            if type(self).calls == 1:
                raise ConnectionError("database down")
            return value

    form = Flaky({"name": [b"x"]})
    with pytest.raises(ConnectionError):
        validated(form)
    with pytest.raises(AwaitRequired):
        form.is_valid()  # no half-validated state to read
    assert validated(form) is True  # validated again from the start


def test_the_compiled_loop_defers_like_the_reference_loop() -> None:
    class Reference(Signup):
        pass

    Reference._compiled_fields = Form._clean_fields  # type: ignore[assignment]
    for values in ({"username": "alice", "age": "1"}, {"username": "Eve", "age": "2"}, {"age": "x"}):
        compiled, reference = signup(**values), Reference({k: [v.encode()] for k, v in values.items()})
        reference.log = []
        assert validated(compiled) == validated(reference)
        assert compiled.errors == reference.errors
        assert compiled.data == reference.data
        assert compiled.log == reference.log

"""Forms: declaration, hooks, clean(), nesting, lists, JSON input and limits."""

from __future__ import annotations

import copy
import ipaddress
import pickle
from typing import Any

import pytest

from anemo.formvalidate import (
    FORM_ERROR_KEY,
    BooleanField,
    CheckBoxField,
    ChoiceField,
    EmailField,
    Form,
    FormDefinitionError,
    FormField,
    IntegerField,
    IPField,
    Limits,
    ListField,
    ListForm,
    StringField,
    ValidationError,
)


class HostForm(Form):
    ip = IPField()
    port = IntegerField(min_value=1, max_value=65535, required=False, default=80)


class ServerForm(Form):
    name = StringField(max_length=20)
    first = FormField(HostForm)
    second = FormField(HostForm, required=False)
    hosts = ListField(HostForm, max_entries=5)
    tags = ListField(StringField(max_length=3))


class HostList(ListForm):
    entry = HostForm
    min_entries = 1


def test_flat_form_with_bytes_and_str() -> None:
    """Tornado-style arguments of bytes or str give typed data."""
    form = HostForm({"ip": [b"10.0.0.1"], "port": ["8080"]})
    assert form.is_valid()
    assert form.data == {"ip": ipaddress.IPv4Address("10.0.0.1"), "port": 8080}


def test_unknown_names_are_ignored() -> None:
    """Names the form does not declare (like _xsrf) neither fail nor appear in data."""
    form = HostForm({"ip": ["::1"], "_xsrf": ["t"], "a b[": ["x"]})
    assert form.is_valid()
    assert set(form.data) == {"ip", "port"}


def test_nested_paths_in_errors() -> None:
    """Errors of nested forms and list entries are keyed by the submitted name."""
    form = ServerForm(
        {
            "name": ["web"],
            "first.ip": ["1.2.3.4"],
            "second.ip": ["bad"],
            "hosts[0].ip": ["::1"],
            "hosts[7].ip": ["1.1.1.1"],
            "hosts[7].port": ["0"],
            "tags[2]": ["toolong"],
        }
    )
    assert not form.is_valid()
    assert form.errors == {
        "second.ip": "Enter a valid IP address.",
        "hosts[7].port": "Enter a value of at least 1.",
        "tags[2]": "Enter at most 3 characters.",
    }


def test_nested_data_shape() -> None:
    """A valid nested submission gives nested dicts and lists in index order."""
    form = ServerForm(
        {
            "name": ["web"],
            "first.ip": ["1.2.3.4"],
            "hosts[9].ip": ["::2"],
            "hosts[3].ip": ["::1"],
            "tags": ["a", "b"],
        }
    )
    assert form.is_valid(), form.errors
    assert form.data["first"] == {"ip": ipaddress.IPv4Address("1.2.3.4"), "port": 80}
    assert form.data["second"] is None
    assert [host["ip"] for host in form.data["hosts"]] == [
        ipaddress.IPv6Address("::1"),
        ipaddress.IPv6Address("::2"),
    ]
    assert form.data["tags"] == ["a", "b"]


def test_an_untouched_optional_fieldset_is_not_submitted() -> None:
    """Browsers post the empty inputs of an optional sub-form: that still counts as absent."""
    base = {"name": ["web"], "first.ip": ["1.2.3.4"]}
    blank = {**base, "second.ip": [""], "second.port": [b""]}
    assert ServerForm(blank).is_valid(), ServerForm(blank).errors
    assert ServerForm(blank).data["second"] is None
    assert ServerForm.from_json({"name": "web", "first": {"ip": "1.2.3.4"}, "second": {"ip": ""}}).is_valid()
    # One filled input and the sub-form is validated as a whole.
    assert ServerForm({**blank, "second.port": ["8080"]}).errors == {"second.ip": "This field is required."}
    for typed in (" ", b" ", "\u00a0".encode()):  # whitespace was typed: the fieldset was touched
        assert ServerForm({**blank, "second.port": [typed]}).errors == {
            "second.ip": "This field is required."
        }
    assert ServerForm({**base, "second.ip": ["::1"]}).data["second"]["port"] == 80
    assert ServerForm({**blank, "second.extra.deep": [""]}).is_valid()  # blank all the way down
    assert "second.ip" in ServerForm({**blank, "second.extra.deep": ["1"]}).errors
    # A required sub-form left blank still says what is missing.
    assert ServerForm({"name": ["web"], "first.ip": [""]}).errors == {"first.ip": "This field is required."}


def test_required_nested_form_reports_its_fields() -> None:
    """A required sub-form that is missing reports each required field by full path."""
    form = ServerForm({"name": ["x"]})
    assert form.errors == {"first.ip": "This field is required."}


def test_list_entry_bounds() -> None:
    """Too many entries is an error at the list's own path."""
    arguments = {f"hosts[{i}].ip": ["::1"] for i in range(6)}
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], **arguments})
    assert form.errors == {"hosts": "The maximum number of entries is 5."}


def test_sparse_indexes_are_not_allocated() -> None:
    """A huge index costs one entry."""
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], "hosts[999999999].ip": ["::1"]})
    assert form.is_valid()
    assert len(form.data["hosts"]) == 1


def test_index_syntax_is_strict() -> None:
    """Leading zeros, signs and ten-digit indexes are not list indexes (so they are ignored)."""
    names = ["hosts[01].ip", "hosts[-1].ip", "hosts[1234567890].ip", "hosts[].ip", "hosts[1]x"]
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], **{name: ["bad"] for name in names}})
    assert form.is_valid(), form.errors
    assert form.data["hosts"] == []


def test_top_level_list_form() -> None:
    """The tutorial's ListForm reads [0].ip, [1].ip and reports per index."""
    form = HostList({"[0].ip": ["1.1.1.1"], "[1].ip": ["01.1.1.1"], "[1].port": ["22"]})
    assert form.errors == {"[1].ip": "Enter a valid IP address."}
    assert form.data == []
    assert HostList({}).errors == {FORM_ERROR_KEY: "The minimum number of entries is 1."}
    good = HostList({"[4].ip": ["::1"]})
    assert good.is_valid()
    assert good.data == [{"ip": ipaddress.IPv6Address("::1"), "port": 80}]


def test_list_form_of_a_field() -> None:
    """A ListForm entry may be a plain field, read from [N]."""

    class Ports(ListForm):
        entry = IntegerField(max_value=10)

    form = Ports({"[0]": ["1"], "[2]": ["11"]})
    assert form.errors == {"[2]": "Enter a value of at most 10."}
    with pytest.raises(FormDefinitionError):
        type("NoEntry", (ListForm,), {})


def test_names_of_the_forms_own_state_stay_free_for_fields() -> None:
    """A form is its validation context, yet ``record`` or ``limits`` can still be fields."""

    class DnsForm(Form):
        record = StringField()
        recorded = IntegerField()
        limits = StringField()
        locale = StringField(required=False)

    form = DnsForm({"record": ["AAAA"], "recorded": ["3"], "limits": ["x"]}, locale="zh_CN")
    assert form.is_valid(), form.errors
    assert form.data == {"record": "AAAA", "recorded": 3, "limits": "x", "locale": None}
    bad = DnsForm({"recorded": ["x"]}, locale="zh_CN", limits=Limits(max_value_length=50))
    assert set(bad.errors) == {"record", "recorded", "limits"}
    assert bad.errors["record"] == "此项为必填项。"  # the locale still reaches the messages


def test_shape_conflicts_are_field_errors() -> None:
    """A name used both as a value and as a group is an error, never a crash."""
    form = ServerForm({"name": ["x"], "first": ["1"], "first.ip": ["::1"]})
    assert not form.is_valid()
    assert "first" in form.errors
    form = ServerForm({"name.x": ["1"], "first.ip": ["::1"]})
    assert form.errors == {"name": "This field was submitted in an unexpected shape."}


class SignupForm(Form):
    username = StringField(max_length=20)
    password = StringField(min_length=8)
    password2 = StringField()
    roles = CheckBoxField(["admin", "user"], required=False)

    def validate_username(self, value: str) -> str:
        if value.lower() == "root":
            raise ValidationError("That name is reserved.")
        return value.lower()

    def clean(self) -> None:
        if self.data["password"] != self.data["password2"]:
            raise ValidationError("Passwords differ.", field="password2")
        if "admin" in self.data["roles"]:
            raise ValidationError("Admins are not signed up here.")


def signup(**values: Any) -> SignupForm:
    """A SignupForm over keyword arguments (lists left alone)."""
    return SignupForm({k: v if isinstance(v, list) else [v] for k, v in values.items()})


def test_validate_hook_transforms_and_rejects() -> None:
    """validate_<name> returns the stored value or raises an error on that field."""
    assert signup(username="Ann", password="12345678", password2="12345678").data["username"] == "ann"
    assert signup(username="ROOT", password="12345678", password2="12345678").errors == {
        "username": "That name is reserved."
    }


def test_clean_cross_field_rules() -> None:
    """clean() errors go to the named field or to the form."""
    form = signup(username="a", password="12345678", password2="x")
    assert form.errors == {"password2": "Passwords differ."}
    form = signup(username="a", password="12345678", password2="12345678", roles=["admin"])
    assert form.errors == {FORM_ERROR_KEY: "Admins are not signed up here."}


def test_clean_runs_only_when_fields_passed() -> None:
    """clean() sees complete data: it is skipped while a field is invalid."""
    form = signup(username="a", password="short", password2="other")
    assert form.errors == {"password": "Enter at least 8 characters."}


def test_hooks_and_clean_see_the_run_so_far() -> None:
    """is_valid(), errors and data asked from a hook or clean() describe the run in progress.

    They neither start another run (which recursed without end) nor see an empty form.
    """
    seen: list[tuple[str, bool, dict[str, str], dict[str, Any]]] = []

    class Part(Form):
        code = StringField()

        def validate_code(self, value: str) -> str:
            seen.append(("hook", self.is_valid(), dict(self.errors), dict(self.data)))
            return value

    class Order(Form):
        count = IntegerField()
        note = StringField(required=False)
        part = FormField(Part)

        def clean(self) -> None:
            seen.append(("clean", self.is_valid(), dict(self.errors), dict(self.data)))

    assert Order({"count": ["2"], "note": ["n"], "part.code": ["a"]}).is_valid()
    assert seen == [
        ("hook", True, {}, {}),
        ("clean", True, {}, {"count": 2, "note": "n", "part": {"code": "a"}}),
    ]
    seen.clear()
    form = Order({"count": ["x"], "part.code": ["a"]})
    assert form.errors == {"count": "Enter a whole number."}
    assert seen == [("hook", False, {"count": "Enter a whole number."}, {})]

    class Flat(Form):
        count = IntegerField()

        def clean(self) -> None:
            seen.append(("flat", self.is_valid(), dict(self.errors), dict(self.data)))

    seen.clear()
    assert Flat({"count": [b"3"]}).data == {"count": 3}
    assert seen == [("flat", True, {}, {"count": 3})]


def test_a_failing_hook_leaves_no_half_validated_form() -> None:
    """An exception other than ValidationError escapes, and the next call validates afresh."""
    calls: list[str] = []

    class Signup(Form):
        user = StringField()
        email = EmailField()

        def validate_user(self, value: str) -> str:
            calls.append(value)
            if len(calls) == 1:
                raise ConnectionError("database down")
            return value

    class Nested(Form):
        inner = FormField(Signup)

    for form, path in (
        (Signup({"user": [b"ann"], "email": [b"bad"]}), ""),
        (Nested({"inner.user": ["ann"]}), "inner."),
    ):
        calls.clear()
        with pytest.raises(ConnectionError):
            form.is_valid()
        assert not form.is_valid()
        assert f"{path}email" in form.errors
        assert calls == ["ann", "ann"]


def test_nested_clean_errors_use_nested_paths() -> None:
    """A sub-form's clean() reports under the sub-form's path."""

    class Range(Form):
        low = IntegerField()
        high = IntegerField()

        def clean(self) -> None:
            if self.data["low"] > self.data["high"]:
                raise ValidationError(code="too_small", params={"min": self.data["low"]}, field="high")

    class Query(Form):
        ranges = ListField(Range)
        whole = FormField(Range)

    form = Query({"ranges[3].low": ["5"], "ranges[3].high": ["1"], "whole.low": ["1"], "whole.high": ["1"]})
    assert form.errors == {"ranges[3].high": "Enter a value of at least 5."}


def test_inheritance_and_field_removal() -> None:
    """Subclasses inherit fields and may remove one by assigning None."""

    class Base(Form):
        a = StringField()
        b = StringField()

    class Child(Base):
        b = None  # type: ignore[assignment]
        c = IntegerField()

    assert list(Child.fields) == ["a", "c"]
    assert Child({"a": ["x"], "c": ["1"]}).data == {"a": "x", "c": 1}


def test_json_input_same_paths() -> None:
    """A decoded JSON object validates with the same paths as a form post."""
    document = {
        "name": "web",
        "first": {"ip": "1.2.3.4", "port": 8080},
        "hosts": [{"ip": "::1"}, {"ip": "bad"}],
        "tags": ["a", "bcde"],
    }
    form = ServerForm.from_json(document)
    assert form.errors == {
        "hosts[1].ip": "Enter a valid IP address.",
        "tags[1]": "Enter at most 3 characters.",
    }
    assert form.data["first"] == {"ip": ipaddress.IPv4Address("1.2.3.4"), "port": 8080}


def test_json_scalars_and_wrong_shapes() -> None:
    """JSON numbers and booleans convert through text; objects where values belong fail."""
    assert HostForm.from_json({"ip": "::1", "port": 443}).data["port"] == 443
    assert HostForm.from_json({"ip": "::1", "port": 4.5}).errors == {"port": "Enter a whole number."}
    assert HostForm.from_json({"ip": "::1", "port": True}).errors == {"port": "Enter a whole number."}
    shape = {"ip": "This field was submitted in an unexpected shape."}
    assert HostForm.from_json({"ip": {"x": 1}}).errors == shape
    assert HostForm.from_json({"ip": [["::1"]]}).errors == shape
    assert HostForm.from_json({"ip": ["::1"]}).errors == shape  # an array is never one value
    assert HostForm.from_json({"ip": []}).errors == shape
    assert ServerForm.from_json({"name": "x", "first": {"ip": "::1"}, "tags": [["a", "b"]]}).errors == {
        "tags[0]": "This field was submitted in an unexpected shape."
    }
    agree = type("Agree", (Form,), {"ok": BooleanField()})
    assert agree.from_json({"ok": [True]}).errors == {
        "ok": "This field was submitted in an unexpected shape."
    }
    assert agree.from_json({"ok": True}).data == {"ok": True}
    assert HostForm.from_json({"ip": None}).errors == {"ip": "This field is required."}
    for document in ([1], "x", None, 3):
        errors = HostForm.from_json(document).errors
        assert errors == {FORM_ERROR_KEY: "The request body is not a JSON object."}


def test_too_many_fields() -> None:
    """Over max_fields names, nothing is parsed and the form says why."""
    form = HostForm({f"x{i}": ["1"] for i in range(11)}, limits=Limits(max_fields=10))
    assert form.errors == {FORM_ERROR_KEY: "Too many fields were submitted (at most 10)."}
    assert form.data == {}


def test_too_deep() -> None:
    """Names with more segments than max_depth are refused, in posts and JSON."""
    limits = Limits(max_depth=3)
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], "hosts[0].a.b": ["1"]}, limits=limits)
    assert form.errors == {"hosts[0].a.b": "The field names are nested too deeply (at most 3 levels)."}
    deep: dict[str, Any] = {}
    cursor = deep
    for _ in range(50):
        cursor["a"] = {}
        cursor = cursor["a"]
    assert "a.a.a" in HostForm.from_json(deep, limits=limits).errors


def test_too_many_entries_in_a_group() -> None:
    """Limits.max_entries bounds one group's children while the tree is built."""
    limits = Limits(max_entries=3)
    arguments = {f"hosts[{i}].ip": ["::1"] for i in range(10)}
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], **arguments}, limits=limits)
    assert form.errors == {"hosts": "The maximum number of entries is 3."}
    errors = ServerForm.from_json({"tags": ["a"] * 4}, limits=limits).errors
    assert errors["tags"] == "The maximum number of entries is 3."
    errors = ServerForm.from_json({"first": {f"k{i}": 1 for i in range(4)}}, limits=limits).errors
    assert errors["first"] == "The maximum number of entries is 3."


def test_value_length_bounded_before_work() -> None:
    """An oversized value is refused by length, whatever the field."""
    form = HostForm({"ip": [b"1" * 100_000]})
    assert form.errors == {"ip": "Enter at most 65536 characters."}


def test_field_names_must_be_plain_ascii() -> None:
    """A field whose name cannot be submitted is a declaration error."""
    with pytest.raises(FormDefinitionError, match="not ASCII"):
        type("Bad", (Form,), {"名字": StringField()})


def test_bare_values_and_odd_names() -> None:
    """A bare value counts as one value; non-str and over-long names are ignored."""
    form = HostForm({"ip": "::1", b"port": [b"1"], "x" * 300: ["1"]})  # type: ignore[dict-item]
    assert form.is_valid(), form.errors
    assert form.data == {"ip": ipaddress.IPv6Address("::1"), "port": 80}
    assert HostForm({"ip": ("::1",), "port": ("22",)}).data["port"] == 22


def test_optional_nested_form_still_validates_what_was_sent() -> None:
    """An optional sub-form is skipped only when nothing of it was submitted."""
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], "second.port": ["5"]})
    assert form.errors == {"second.ip": "This field is required."}


def test_list_of_values_by_repetition_and_by_index() -> None:
    """ListField of a field reads tags=a&tags=b and tags[0]=a&tags[1]=b alike."""
    base = {"name": ["x"], "first.ip": ["::1"]}
    assert ServerForm({**base, "tags": ["a", "b"]}).data["tags"] == ["a", "b"]
    assert ServerForm({**base, "tags[1]": ["b"], "tags[0]": ["a"]}).data["tags"] == ["a", "b"]


def test_required_list_field() -> None:
    """A required ListField needs at least one entry."""

    class Order(Form):
        lines = ListField(IntegerField(), required=True)

    assert Order({}).errors == {"lines": "The minimum number of entries is 1."}
    assert Order({"lines[0]": ["3"]}).data == {"lines": [3]}


def test_validation_error_describes_itself() -> None:
    """str() gives the message or the code; repr() shows all three."""
    assert str(ValidationError(code="too_long")) == "too_long"
    assert str(ValidationError("Bad.", field="a")) == "Bad."
    assert repr(ValidationError("Bad.", field="a")) == "ValidationError('Bad.', code='invalid', field='a')"


class TaggedError(ValidationError):
    """A subclass with an attribute of its own, which pickling must keep too."""


class QuantityError(ValidationError):
    """A subclass with its own constructor arguments and slot."""

    __slots__ = ("unit",)

    def __init__(self, most: int, unit: str) -> None:
        super().__init__(code="too_large", params={"max": most})
        self.unit = unit


def test_validation_error_survives_pickle_and_copy() -> None:
    """Message, code, field and params (and a subclass's own attributes) all come back."""
    error = TaggedError("Bad.", code="too_long", field="a", params={"max": 3})
    error.tag = "mine"  # type: ignore[attr-defined]
    for twin in (pickle.loads(pickle.dumps(error)), copy.copy(error), copy.deepcopy(error)):
        assert type(twin) is TaggedError
        assert (twin.message, twin.code, twin.field) == ("Bad.", "too_long", "a")
        assert twin.params == {"max": 3}
        assert twin.tag == "mine"  # type: ignore[attr-defined]
    assert pickle.loads(pickle.dumps(ValidationError(code="required"))).code == "required"
    for twin in (pickle.loads(pickle.dumps(QuantityError(3, "kg"))), copy.copy(QuantityError(3, "kg"))):
        assert (twin.code, twin.params, twin.unit) == ("too_large", {"max": 3}, "kg")


def test_any_mapping_of_arguments() -> None:
    """A read-only mapping works like a dict, for flat and nested forms."""
    from types import MappingProxyType

    assert HostForm(MappingProxyType({"ip": ["::1"]})).is_valid()
    nested = ServerForm(MappingProxyType({"name": ["x"], "first.ip": ["::1"]}))
    assert nested.is_valid(), nested.errors


def test_flat_forms_ignore_structured_names() -> None:
    """A form without nested fields neither parses nor trips over dotted or indexed names."""
    form = HostForm({"ip": ["::1"], "ip.x": ["1"], "port[0]": ["2"], "[0].ip": ["x"]})
    assert form.is_valid(), form.errors


def test_tree_conflicts_in_either_order_and_list_bounds() -> None:
    """A leaf and a group under one name conflict whichever comes first; leaf lists are bounded."""
    for arguments in ({"first.ip": ["::1"], "first.ip.x": ["1"]}, {"first.ip.x": ["1"], "first.ip": ["::1"]}):
        form = ServerForm({"name": ["x"], **arguments})
        assert form.errors["first.ip"] == "This field was submitted in an unexpected shape."
    tags = {f"tags[{i}]": ["a"] for i in range(5)}
    form = ServerForm({"name": ["x"], "first.ip": ["::1"], **tags}, limits=Limits(max_entries=3))
    assert form.errors == {"tags": "The maximum number of entries is 3."}


def test_json_limits_on_fields_and_names() -> None:
    """JSON objects obey max_fields; over-long keys are ignored like unknown names."""
    limits = Limits(max_fields=3, max_name_length=10)
    assert HostForm.from_json({f"k{i}": 1 for i in range(4)}, limits=limits).errors == {
        FORM_ERROR_KEY: "Too many fields were submitted (at most 3)."
    }
    assert HostForm.from_json({"ip": "::1", "x" * 11: 1}, limits=limits).is_valid()


def test_huge_json_numbers_are_too_long_not_a_crash() -> None:
    """A JSON integer with more digits than the value limit is a field error, whatever its size."""
    limits = Limits(max_value_length=10)
    assert HostForm.from_json({"ip": "::1", "port": 10**9}, limits=limits).errors == {
        "port": "Enter a value of at most 65535."
    }
    for number in (10**10, -(10**10), 10**5000, 1 << 100_000):
        errors = HostForm.from_json({"ip": "::1", "port": number}, limits=limits).errors
        assert errors == {"port": "Enter at most 10 characters."}

    class Ports(Form):
        ports = ListField(IntegerField())

    assert Ports.from_json({"ports": [1, 10**5000]}).errors == {"ports[1]": "Enter at most 65536 characters."}


@pytest.mark.parametrize("name", ["data", "errors", "clean", "is_valid", "fields", "from_json"])
def test_field_names_cannot_replace_the_form_api(name: str) -> None:
    """A field named like a Form attribute is refused when the class is declared."""
    with pytest.raises(FormDefinitionError, match=f"'{name}' is taken"):
        type("Clash", (Form,), {name: StringField()})


def test_list_form_from_a_json_array() -> None:
    """A ListForm reads a top-level JSON array with the same [N] paths as a form post."""
    form = HostList.from_json([{"ip": "::1"}, {"ip": "bad", "port": 0}])
    assert form.errors == {"[1].ip": "Enter a valid IP address.", "[1].port": "Enter a value of at least 1."}
    form = HostList.from_json([{"ip": "::1", "port": 8}])
    assert form.data == [{"ip": ipaddress.IPv6Address("::1"), "port": 8}]
    assert HostList.from_json([]).errors == {FORM_ERROR_KEY: "The minimum number of entries is 1."}
    assert HostList.from_json([{}] * 3, limits=Limits(max_entries=2)).errors == {
        FORM_ERROR_KEY: "The maximum number of entries is 2."
    }
    assert HostList.from_json([["::1"]]).errors == {"[0]": "This field was submitted in an unexpected shape."}
    not_an_object = {FORM_ERROR_KEY: "The request body is not a JSON object."}
    assert HostForm.from_json([{"ip": "::1"}]).errors == not_an_object
    for document in ({"ip": "::1"}, {"0": {"ip": "::1"}}, "x", None):
        form = HostList.from_json(document)
        assert form.errors == {FORM_ERROR_KEY: "The request body is not a JSON array."}, document
        assert form.data == []
    assert HostList.from_json({}, locale="zh_CN").errors == {FORM_ERROR_KEY: "请求内容不是 JSON 数组。"}


def test_json_null_is_not_submitted() -> None:
    """``null`` is an absent member: optional sub-forms and lists stay empty, required fields say so."""

    class Order(Form):
        note = StringField(required=False, default="none")
        shipping = FormField(HostForm, required=False)
        lines = ListField(IntegerField())
        tags = ListField(StringField(), min_entries=1)

    form = Order.from_json({"note": None, "shipping": None, "lines": None, "tags": None})
    assert form.errors == {"tags": "The minimum number of entries is 1."}
    assert form.data == {"note": "none", "shipping": None, "lines": []}
    # Inside an array, null is an entry that was left empty.
    assert Order.from_json({"tags": ["a", None]}).errors == {"tags[1]": "This field is required."}

    class Book(Form):
        stops = ListField(FormField(HostForm, required=False))
        hosts = ListField(HostForm)

    form = Book.from_json({"stops": [None, {"ip": "::1"}], "hosts": [None]})
    assert form.errors == {"hosts[0].ip": "This field is required."}


def test_boolean_choices_match_json_booleans() -> None:
    """``ChoiceField([True, False])`` takes JSON true/false as well as posted "True"/"False"."""

    class Flags(Form):
        public = ChoiceField([True, False])
        modes = CheckBoxField([True, False], required=False)

    assert Flags.from_json({"public": False, "modes": [True, False]}).data == {
        "public": False,
        "modes": [True, False],
    }
    assert Flags({"public": [b"True"], "modes": [b"true"]}).data == {"public": True, "modes": [True]}
    assert Flags({"public": ["false"]}).data["public"] is False
    assert Flags.from_json({"public": "yes"}).errors == {"public": "Select a valid choice."}
    assert Flags.from_json({"public": 1}).errors == {"public": "Select a valid choice."}

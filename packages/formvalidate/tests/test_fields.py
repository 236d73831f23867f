"""Each field turns submitted text into a typed value or a specific error."""

# Full-width digits are deliberate: they are the input that must be refused.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime
import decimal
import ipaddress
from typing import Any

import pytest

from anemo.formvalidate import (
    BooleanField,
    CheckBoxField,
    ChoiceField,
    DateField,
    DecimalField,
    EmailField,
    Field,
    FloatField,
    Form,
    FormDefinitionError,
    FormField,
    IntegerField,
    IPField,
    PhoneField,
    StringField,
    URLField,
    ValidationError,
)


def check(field: Field[Any], *values: str | bytes) -> tuple[Any, dict[str, str]]:
    """Validate ``values`` submitted under the name ``f`` of a one-field form."""
    form_class = type("OneField", (Form,), {"f": field})
    form = form_class({"f": list(values)} if values else {})
    return form.data.get("f"), form.errors


def value_of(field: Field[Any], *values: str | bytes) -> Any:
    """The cleaned value, asserting there was no error."""
    value, errors = check(field, *values)
    assert errors == {}, errors
    return value


def error_of(field: Field[Any], *values: str | bytes) -> str:
    """The error message, asserting there was one."""
    _, errors = check(field, *values)
    assert set(errors) == {"f"}, errors
    return errors["f"]


def test_string_bounds_and_strip() -> None:
    """Lengths are counted after stripping; too short and too long get their own messages."""
    field = StringField(min_length=2, max_length=4)
    assert value_of(field, "  abc  ") == "abc"
    assert error_of(field, "a") == "Enter at least 2 characters."
    assert error_of(field, "abcde") == "Enter at most 4 characters."
    assert value_of(StringField(strip=False), " a ") == " a "


def test_string_pattern_is_fullmatch_and_ascii() -> None:
    """A pattern must match all of the value, and \\d means ASCII digits only."""
    field = StringField(pattern=r"\d+")
    assert value_of(field, "123") == "123"
    assert error_of(field, "123abc") == "The value does not have the expected format."
    assert "f" in check(field, "１２３")[1]


def test_string_refuses_control_characters_unless_multiline() -> None:
    """NUL is always refused; newlines only in single-line fields."""
    assert error_of(StringField(), "a\x00b") == "The value contains control characters."
    assert error_of(StringField(), "a\nb") == "The value contains control characters."
    assert value_of(StringField(multiline=True), "a\r\nb") == "a\r\nb"
    assert "f" in check(StringField(multiline=True), "a\x00b")[1]


def test_required_optional_and_default() -> None:
    """Missing or blank input is an error when required, the default otherwise."""
    assert error_of(StringField(), "   ") == "This field is required."
    assert error_of(StringField()) == "This field is required."
    assert value_of(StringField(required=False, default="x")) == "x"
    assert value_of(IntegerField(required=False)) is None


def test_a_mutable_default_is_fresh_for_every_form() -> None:
    """Changing one form's default list or dict must not change what the next form gets."""

    class Inner(Form):
        code = StringField(required=False)

    class Prefs(Form):
        tags = CheckBoxField(["a", "b"], required=False, default=["a"])
        extra = FormField(Inner, required=False, default={"code": "x", "seen": []})

    for arguments in ({}, {"tags": [b""]}):  # the compiled read and the general one
        first = Prefs(arguments).data
        first["tags"].append("b")
        first["extra"]["seen"].append(1)
        assert Prefs(arguments).data == {"tags": ["a"], "extra": {"code": "x", "seen": []}}


def test_last_value_wins_like_tornado() -> None:
    """A single-valued field given several values takes the last one."""
    assert value_of(IntegerField(), "1", "2") == 2


def test_integer() -> None:
    """Integers are ASCII digits within bounds; floats, full-width and underscores fail."""
    field = IntegerField(min_value=0, max_value=150)
    assert value_of(field, b"42") == 42
    assert value_of(field, "+7") == 7
    assert error_of(field, "151") == "Enter a value of at most 150."
    assert error_of(field, "-1") == "Enter a value of at least 0."
    for bad in ("1.5", "１２", "1_000", "0x10", "", "9" * 40):
        assert "f" in check(field, bad)[1], bad


def test_float_refuses_nan_and_infinity() -> None:
    """Floats must be finite decimal numbers."""
    field = FloatField(min_value=-1.0, max_value=1e10)
    assert value_of(field, "2.5e3") == 2500.0
    assert value_of(field, ".5") == 0.5
    for bad in ("nan", "inf", "1e999", "1,5", "٣"):
        assert "f" in check(field, bad)[1], bad


def test_decimal_digits_and_places() -> None:
    """Decimals are exact and bounded by digits and places."""
    field = DecimalField(max_digits=5, decimal_places=2, min_value=decimal.Decimal(0))
    assert value_of(field, "123.45") == decimal.Decimal("123.45")
    assert error_of(field, "1.234") == "Enter at most 2 decimal places."
    assert error_of(field, "123456") == "Enter at most 5 digits."
    assert error_of(field, "-1") == "Enter a value of at least 0."
    assert "f" in check(field, "1e3")[1]


def test_boolean() -> None:
    """An absent checkbox is False; required means it must be checked."""
    assert value_of(BooleanField()) is False
    assert value_of(BooleanField(), "on") is True
    assert value_of(BooleanField(), "No") is False
    assert error_of(BooleanField(), "maybe") == "Enter yes or no."
    assert error_of(BooleanField(required=True)) == "This field is required."
    assert error_of(BooleanField(required=True), "0") == "This field is required."
    assert value_of(BooleanField(required=True), "1") is True
    assert value_of(BooleanField(default=False)) is False


def test_boolean_refuses_a_default_it_could_not_honour() -> None:
    """A default of True would make an HTML checkbox impossible to uncheck: refused up front."""
    with pytest.raises(FormDefinitionError, match="takes no default"):
        BooleanField(default=True)


def test_email() -> None:
    """Addresses need a dotted domain; the domain is lowercased."""
    field = EmailField()
    assert value_of(field, "Joe.Bloggs+x@Example.COM") == "Joe.Bloggs+x@example.com"
    for bad in ("joe", "joe@localhost", "a@b..com", "a b@c.com", "a@-b.com", "x" * 65 + "@a.com"):
        assert error_of(field, bad) == "Enter a valid email address.", bad
    assert error_of(EmailField(strip=False), "a@b.com\n") == "Enter a valid email address."


def test_ip_versions() -> None:
    """IP fields parse with ipaddress and enforce the version asked for."""
    assert value_of(IPField(), "::1") == ipaddress.IPv6Address("::1")
    assert value_of(IPField(version=4), "10.0.0.1") == ipaddress.IPv4Address("10.0.0.1")
    assert error_of(IPField(version=4), "::1") == "Enter a valid IPv4 address."
    assert error_of(IPField(version=6), "10.0.0.1") == "Enter a valid IPv6 address."
    for bad in ("010.0.0.1", "１.２.３.４", "fe80::1%eth0", "1.2.3", "256.1.1.1"):
        assert error_of(IPField(), bad) == "Enter a valid IP address.", bad
    with pytest.raises(FormDefinitionError):
        IPField(version=5)


def test_url() -> None:
    """URLs need an allowed scheme and a valid host."""
    field = URLField()
    assert value_of(field, "https://例子.中国/路径?q=1") == "https://例子.中国/路径?q=1"
    assert value_of(field, "http://[::1]:8080/") == "http://[::1]:8080/"
    bad_urls = ("javascript:alert(1)", "ftp://x.com", "http://", "http://a b.com", "http://x:99999", "//x")
    for bad in bad_urls:
        assert error_of(field, bad) == "Enter a valid URL.", bad
    assert value_of(URLField(schemes=["ftp"]), "ftp://x.com/f") == "ftp://x.com/f"


def test_phone_china_mobile() -> None:
    """The documented mainland-China mobile pattern, after removing spaces and hyphens."""
    field = PhoneField(pattern=PhoneField.CN_MOBILE)
    assert value_of(field, "138 0013-8000") == "13800138000"
    assert value_of(field, "+8613800138000") == "+8613800138000"
    for bad in ("12800138000", "1380013800", "138001380001", "１３８００１３８０００"):
        assert error_of(field, bad) == "Enter a valid phone number.", bad
    assert value_of(PhoneField(), "+44 20 7946 0958") == "+442079460958"


def test_choice_and_pairs() -> None:
    """Choices match on the text of their value and return the value itself."""
    field: ChoiceField[int] = ChoiceField([(1, "one"), (2, "two")])
    assert value_of(field, "2") == 2
    assert error_of(field, "3") == "Select a valid choice."
    with pytest.raises(FormDefinitionError):
        ChoiceField([])


def test_checkbox_group() -> None:
    """Every checked value must be a choice; duplicates collapse; bounds on the count."""
    field: CheckBoxField[str] = CheckBoxField(["a", "b", "c", "d"], max_choices=3)
    assert value_of(field, "b", "a", "b") == ["b", "a"]
    assert error_of(field, "a", "z") == "Select a valid choice."
    assert error_of(field, "a", "b", "c", "d") == "Select at most 3."
    assert error_of(field) == "This field is required."
    assert value_of(CheckBoxField(["a"], required=False)) == []
    assert error_of(CheckBoxField(["a", "b"], min_choices=2), "a") == "Select at least 2."


def test_date() -> None:
    """Dates are strictly YYYY-MM-DD and real."""
    field = DateField(min_value=datetime.date(2000, 1, 1))
    assert value_of(field, "2024-02-29") == datetime.date(2024, 2, 29)
    assert error_of(field, "1999-12-31") == "Enter a value of at least 2000-01-01."
    for bad in ("2023-02-29", "20240101", "2024-1-1", "２０２４-０１-０１"):
        assert error_of(field, bad) == "Enter a valid date (YYYY-MM-DD).", bad


def test_bounds_must_be_ordered() -> None:
    """A field declared with min above max is a programming error at once."""
    with pytest.raises(FormDefinitionError, match="above"):
        IntegerField(min_value=5, max_value=1)
    with pytest.raises(FormDefinitionError):
        StringField(min_length=5, max_length=1)


def test_bad_utf8_is_a_field_error() -> None:
    """Invalid UTF-8 bytes become an error on that field, not an exception."""
    assert error_of(StringField(), b"\xff\xfe") == "The value is not valid UTF-8."


def test_messages_override_by_code() -> None:
    """Per-field messages replace the catalog; "invalid" covers the field's other codes."""
    field = IPField(messages={"required": "Give an IP", "invalid": "Bad IP"})
    assert error_of(field) == "Give an IP"
    assert error_of(field, "nope") == "Bad IP"
    assert error_of(IntegerField(max_value=3, messages={"too_large": "<= {max}"}), "9") == "<= 3"


class HexColour(Field[int]):
    """A custom field: #rrggbb to an int, by overriding convert() only."""

    def convert(self, text: str) -> int:
        if len(text) != 7 or not text.startswith("#"):
            raise ValidationError("Use #rrggbb")
        try:
            return int(text[1:], 16)
        except ValueError:
            raise ValidationError(code="invalid") from None


def test_custom_field_by_overriding_convert() -> None:
    """A subclass that overrides convert() gets required, strip and messages for free."""
    assert value_of(HexColour(), " #ff0000 ") == 0xFF0000
    assert error_of(HexColour(), "red") == "Use #rrggbb"
    assert error_of(HexColour(), "#gggggg") == "Enter a valid value."
    assert error_of(HexColour()) == "This field is required."


def test_lone_surrogates_and_foreign_objects() -> None:
    """A str that cannot be UTF-8 and a value of no known kind are field errors."""
    assert error_of(StringField(), "a\ud800") == "The value is not valid UTF-8."
    assert error_of(StringField(), object()) == "This field was submitted in an unexpected shape."  # type: ignore[arg-type]


def test_subclasses_of_str_and_bytes_are_read_as_such() -> None:
    """Values of str or bytes subclasses (like markupsafe.Markup) are plain text."""

    class Text(str):
        pass

    class Raw(bytes):
        pass

    assert value_of(StringField(), Text(" hi ")) == "hi"
    assert value_of(IntegerField(), Raw(b"12")) == 12


def test_checkbox_value_count_is_bounded() -> None:
    """More values than Limits.max_entries are refused before any is examined."""
    form_class = type("Boxes", (Form,), {"f": CheckBoxField(["a"])})
    form = form_class({"f": ["a"] * 1001})
    assert form.errors == {"f": "Select at most 1000."}


def test_field_repr() -> None:
    """A field shows its class and the name it is bound to."""
    assert repr(StringField()) == "<StringField (unbound)>"
    form_class = type("Named", (Form,), {"title": StringField()})
    assert repr(form_class.fields["title"]) == "<StringField title>"

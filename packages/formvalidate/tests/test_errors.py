"""A declaration mistake is a FormDefinitionError and a ValueError (or, for an option of the wrong
type, a FormDefinitionTypeError and a TypeError), raised when the field is made."""

from __future__ import annotations

import decimal
from collections.abc import Callable

import pytest

from anemo.formvalidate import (
    ChoiceField,
    DecimalField,
    FileField,
    FloatField,
    Form,
    FormDefinitionError,
    FormDefinitionTypeError,
    FormField,
    FormValidateError,
    IntegerField,
    Limits,
    ListField,
    MultipleChoiceField,
    StringField,
)
from anemo_testing import raises_mistake

VALUE_MISTAKES: dict[str, Callable[[], object]] = {
    "min_length above max_length": lambda: StringField(min_length=5, max_length=2),
    "a negative length": lambda: StringField(max_length=-1),
    "a pattern that is no regular expression": lambda: StringField(pattern="(unclosed"),
    "a NaN float bound": lambda: FloatField(min_value=float("nan")),
    "a NaN decimal bound": lambda: DecimalField(max_value=decimal.Decimal("NaN")),
    "max_digits of zero": lambda: DecimalField(max_digits=0),
    "empty choices": lambda: ChoiceField([]),
    "min_choices above max_choices": lambda: MultipleChoiceField(["a", "b"], min_choices=2, max_choices=1),
    "max_files of zero": lambda: FileField(max_files=0),
    "min_entries above max_entries": lambda: ListField(IntegerField(), min_entries=3, max_entries=1),
    "a limit below one": lambda: Limits(max_fields=0),
}

TYPE_MISTAKES: dict[str, Callable[[], object]] = {
    "a length as text": lambda: StringField(max_length="5"),  # type: ignore[arg-type]
    "a bool as a length": lambda: StringField(max_length=True),
    "an integer bound as text": lambda: IntegerField(min_value="a"),  # type: ignore[arg-type]
    "a pattern that is not text": lambda: StringField(pattern=5),  # type: ignore[arg-type]
    "choices that are not a list": lambda: ChoiceField(5),  # type: ignore[arg-type]
    "choices as one string": lambda: ChoiceField("abc"),
    "a form field of no Form class": lambda: FormField(dict),  # type: ignore[arg-type]
    "a list of something that is no field or form": lambda: ListField(5),  # type: ignore[arg-type]
    "a limit as text": lambda: Limits(max_fields="x"),  # type: ignore[arg-type]
    "max_size as a float": lambda: FileField(max_size=1.5),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("mistake", VALUE_MISTAKES.values(), ids=VALUE_MISTAKES.keys())
def test_a_bad_declaration_is_a_form_definition_error(mistake: Callable[[], object]) -> None:
    error = raises_mistake(mistake, FormDefinitionError, FormValidateError, ValueError)
    assert not isinstance(error, TypeError)


@pytest.mark.parametrize("mistake", TYPE_MISTAKES.values(), ids=TYPE_MISTAKES.keys())
def test_an_option_of_the_wrong_type_is_a_form_definition_type_error(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, FormDefinitionTypeError, FormDefinitionError, TypeError)


def test_the_error_names_the_field_class_and_the_option() -> None:
    error = raises_mistake(
        lambda: IntegerField(max_value="9"),  # type: ignore[arg-type]
        FormDefinitionTypeError,
    )
    assert isinstance(error, FormDefinitionError)
    assert error.owner == "IntegerField"
    assert "max_value" in str(error)


def test_a_bad_regex_keeps_the_re_error_as_its_cause() -> None:
    error = raises_mistake(lambda: StringField(pattern="[z-a]"), FormDefinitionError)
    assert "regular expression" in str(error)
    assert type(error.__cause__).__name__ in {"error", "PatternError"}


def test_the_mistake_fails_the_class_statement_not_a_later_submission() -> None:
    with pytest.raises(FormDefinitionTypeError):

        class Signup(Form):
            name = StringField(max_length="32")  # type: ignore[arg-type]


def test_sound_declarations_still_pass() -> None:
    class Order(Form):
        note = StringField(min_length=0, max_length=0, required=False)
        qty = IntegerField(min_value=1, max_value=1)
        price = DecimalField(min_value=decimal.Decimal(0), max_digits=6, decimal_places=2)
        ratio = FloatField(min_value=0, max_value=1.5)
        size = ChoiceField[str]([("s", "Small"), ("l", "Large")])

    form = Order({"qty": "1", "price": "9.99", "ratio": "1", "size": "s"})
    assert form.is_valid(), form.errors
    assert form.data["price"] == decimal.Decimal("9.99")

"""TimeField, DateTimeField, EnumField and bounds given as functions."""

# Full-width digits are deliberate: they are the input that must be refused.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime
import decimal
import enum
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.formvalidate import (
    DateField,
    DateTimeField,
    DecimalField,
    EnumField,
    Field,
    FloatField,
    Form,
    FormDefinitionError,
    FormDefinitionTypeError,
    IntegerField,
    TimeField,
)

UTC = datetime.UTC
TAIPEI = zoneinfo.ZoneInfo("Asia/Taipei")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def check(field: Field[Any], *values: str | bytes, locale: str | None = None) -> tuple[Any, dict[str, str]]:
    """Validate ``values`` submitted under the name ``f`` of a one-field form."""
    form = type("OneField", (Form,), {"f": field})({"f": list(values)} if values else {}, locale=locale)
    return form.data.get("f"), form.errors


def value_of(field: Field[Any], *values: str | bytes) -> Any:
    value, errors = check(field, *values)
    assert errors == {}, errors
    return value


def error_of(field: Field[Any], *values: str | bytes, locale: str | None = None) -> str:
    _, errors = check(field, *values, locale=locale)
    assert set(errors) == {"f"}, errors
    return errors["f"]


# TimeField


def test_time_minutes_by_default() -> None:
    """HH:MM from 00:00 to 23:59; seconds only when allowed."""
    field = TimeField()
    assert value_of(field, "09:05") == datetime.time(9, 5)
    assert value_of(field, " 23:59 ") == datetime.time(23, 59)
    assert value_of(field, "00:00") == datetime.time(0, 0)
    for bad in (
        "24:00",
        "9:05",
        "09:5",
        "09:60",
        "0905",
        "09:05:00",
        "０９:０５",
        "09 :05",
        "09:05\x00",
        "T09:05",
    ):
        assert error_of(field, bad.encode()) == "Enter a valid time (HH:MM).", bad


def test_time_with_seconds() -> None:
    """seconds=True takes HH:MM:SS as <input type=time step=1> sends, and HH:MM; no leap second."""
    field = TimeField(seconds=True)
    assert value_of(field, "23:59:59") == datetime.time(23, 59, 59)
    assert value_of(field, "12:30") == datetime.time(12, 30)
    for bad in ("23:59:60", "12:30:5", "12:30:00.5", "12:30:00Z", "12:30:00+08:00", "1" * 1000):
        assert error_of(field, bad) == "Enter a valid time (HH:MM[:SS]).", bad
    assert error_of(field, "x", locale="zh_TW") == "請輸入有效的時間（HH:MM[:SS]）。"


def test_time_bounds() -> None:
    """Values outside min_value..max_value get the range messages."""
    field = TimeField(min_value=datetime.time(9), max_value=datetime.time(17, 30))
    assert value_of(field, "17:30") == datetime.time(17, 30)
    assert error_of(field, "08:59") == "Enter a value of at least 09:00:00."
    assert error_of(field, "17:31") == "Enter a value of at most 17:30:00."


@given(st.times())
def test_time_round_trip(moment: datetime.time) -> None:
    """Any time written as HH:MM:SS reads back as itself, to the second."""
    written = moment.strftime("%H:%M:%S")
    assert value_of(TimeField(seconds=True), written) == moment.replace(microsecond=0)
    assert value_of(TimeField(), written[:5]) == moment.replace(second=0, microsecond=0)


# DateTimeField


def test_datetime_with_an_offset_keeps_it() -> None:
    """Z and ±HH:MM give aware values; with no timezone configured the submitted offset is kept."""
    field = DateTimeField()
    assert value_of(field, "2026-01-31T09:30Z") == datetime.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)
    value = value_of(field, "2026-01-31T09:30:15.25+08:00")
    assert value == datetime.datetime(2026, 1, 31, 1, 30, 15, 250000, tzinfo=UTC)
    assert value.utcoffset() == datetime.timedelta(hours=8)
    assert value_of(field, "2026-01-31 09:30-05:30").utcoffset() == datetime.timedelta(hours=-5, minutes=-30)
    assert value_of(field, "2026-01-31t09:30:00z").tzinfo is UTC


def test_datetime_without_an_offset_needs_a_timezone() -> None:
    """datetime-local input is read in ``timezone``; without one it has its own code."""
    assert error_of(DateTimeField(), "2026-01-31T09:30") == (
        "Enter the time with its time zone offset (Z or +HH:MM)."
    )
    assert (
        error_of(DateTimeField(), "2026-01-31T09:30", locale="zh_HK") == "請在時間後註明時區（Z 或 +HH:MM）。"
    )
    value = value_of(DateTimeField(timezone=TAIPEI), "2026-01-31T09:30")
    assert value == datetime.datetime(2026, 1, 31, 9, 30, tzinfo=TAIPEI)
    assert value.tzinfo is TAIPEI


def test_datetime_is_converted_to_the_timezone() -> None:
    """With a timezone, every value is in it, whatever offset was submitted."""
    value = value_of(DateTimeField(timezone=TAIPEI), "2026-01-31T00:00Z")
    assert (value.tzinfo, value.hour) == (TAIPEI, 8)


def test_datetime_refuses_impossible_values() -> None:
    """No such day, hour, second or offset; ASCII only; bounded length."""
    field = DateTimeField(timezone=UTC)
    for bad in (
        "2026-02-29T10:00",
        "2026-13-01T10:00",
        "2026-01-01T24:00",
        "2026-01-01T10:60",
        "2026-01-01T10:00:60",
        "2026-01-01T10:00+24:00",
        "2026-01-01T10:00+08:60",
        "2026-01-01T10:00+0800",
        "2026-01-01T10:00.5",
        "2026-01-01T10:00:00.1234567",
        "2026-01-01",
        "２０２６-01-01T10:00",
        "0000-01-01T10:00",
        "0001-01-01T00:00+01:00",  # before year 1 in UTC
        "9999-12-31T23:59-01:00",  # after year 9999 in UTC
        "2026-01-01T10:00" + "0" * 100,
    ):
        assert error_of(field, bad) == "Enter a valid date and time (YYYY-MM-DDTHH:MM).", bad


def test_a_skipped_local_time_is_refused() -> None:
    """Clocks in New York jump from 02:00 to 03:00 on 2026-03-08: 02:30 does not exist there."""
    field = DateTimeField(timezone=NEW_YORK)
    assert error_of(field, "2026-03-08T02:30") == (
        "That time does not exist in America/New_York: the clocks skip it."
    )
    assert error_of(field, "2026-03-08T02:30", locale="zh_TW") == (
        "此時間在 America/New_York 時區並不存在（時鐘在此時撥快）。"
    )
    assert value_of(field, "2026-03-08T03:00").utcoffset() == datetime.timedelta(hours=-4)
    assert value_of(field, "2026-03-08T02:30-05:00").hour == 3  # an explicit offset is an instant


def test_a_repeated_local_time_is_its_first_instant() -> None:
    """Clocks go back from 02:00 to 01:00 on 2026-11-01: 01:30 is read as its first, daylight-time instant."""
    value = value_of(DateTimeField(timezone=NEW_YORK), "2026-11-01T01:30")
    assert value.astimezone(UTC) == datetime.datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    later = value_of(DateTimeField(timezone=NEW_YORK), "2026-11-01T01:30-05:00")
    assert later.astimezone(UTC) - value.astimezone(UTC) == datetime.timedelta(hours=1)


def test_datetime_bounds_are_instants() -> None:
    """Bounds are aware; comparison is by instant, whatever the offsets."""
    noon = datetime.datetime(2026, 1, 31, 12, tzinfo=UTC)
    field = DateTimeField(min_value=noon, timezone=TAIPEI)
    assert value_of(field, "2026-01-31T20:00") == noon
    assert error_of(field, "2026-01-31T11:59Z") == "Enter a value of at least 2026-01-31 12:00:00+00:00."


def test_datetime_declaration_checks() -> None:
    """Naive bounds and a timezone that is no tzinfo fail when declared."""
    with pytest.raises(FormDefinitionTypeError, match="aware"):
        DateTimeField(min_value=datetime.datetime(2026, 1, 1))
    with pytest.raises(FormDefinitionTypeError, match="timezone"):
        DateTimeField(timezone="Asia/Taipei")  # type: ignore[arg-type]
    with pytest.raises(FormDefinitionTypeError):
        DateTimeField(max_value=datetime.date(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(FormDefinitionError, match="above"):
        DateTimeField(
            min_value=datetime.datetime(2026, 1, 2, tzinfo=UTC),
            max_value=datetime.datetime(2026, 1, 1, tzinfo=UTC),
        )
    with pytest.raises(FormDefinitionTypeError, match="without tzinfo"):
        TimeField(max_value=datetime.time(9, tzinfo=UTC))
    with pytest.raises(FormDefinitionTypeError, match="seconds"):
        TimeField(seconds=1)  # type: ignore[arg-type]
    with pytest.raises(FormDefinitionTypeError, match="not a datetime"):
        DateField(min_value=datetime.datetime(2026, 1, 1))


ZONES = st.sampled_from([None, UTC, TAIPEI, NEW_YORK, zoneinfo.ZoneInfo("Europe/London")])


@given(st.text(max_size=40), ZONES)
def test_any_text_is_a_value_or_a_recorded_error(text: str, zone: datetime.tzinfo | None) -> None:
    """Open-ended input never escapes is_valid(): it is a value or one message."""
    for field in (TimeField(), TimeField(seconds=True), DateTimeField(timezone=zone)):
        value, errors = check(field, text)
        assert (value is None) == bool(errors) or not text.strip()


@given(
    st.from_regex(
        r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
        r"(:[0-9]{2}(\.[0-9]{1,7})?)?(Z|[-+][0-9]{2}:[0-9]{2})?",
        fullmatch=True,
    ),
    ZONES,
)
def test_near_valid_datetimes_never_raise(text: str, zone: datetime.tzinfo | None) -> None:
    """Text of the right shape with out-of-range parts is a value or an error, never an exception."""
    value, errors = check(DateTimeField(timezone=zone), text)
    assert (value is None) == bool(errors)
    if value is not None:
        assert value.utcoffset() is not None


@given(
    st.datetimes(min_value=datetime.datetime(1970, 1, 1), timezones=st.sampled_from([UTC, TAIPEI, NEW_YORK]))
)
def test_datetime_round_trip(moment: datetime.datetime) -> None:
    """An aware datetime written in ISO 8601 with its offset reads back as the same instant.

    Since 1970 each of these zones' offsets is whole minutes, as ``+HH:MM`` writes them.
    """
    instant = moment.astimezone(UTC)
    assert value_of(DateTimeField(), moment.isoformat()).astimezone(UTC) == instant
    in_taipei = value_of(DateTimeField(timezone=TAIPEI), moment.isoformat())
    assert in_taipei.tzinfo is TAIPEI
    assert in_taipei.astimezone(UTC) == instant


@given(st.datetimes(min_value=datetime.datetime(1900, 1, 1), max_value=datetime.datetime(2100, 1, 1)))
def test_local_round_trip(local: datetime.datetime) -> None:
    """A local time in a zone either reads back as itself or is one the clocks skip."""
    text = local.isoformat()
    value, errors = check(DateTimeField(timezone=NEW_YORK), text)
    if errors:
        assert errors["f"].startswith("That time does not exist"), errors
        assert (
            local.replace(tzinfo=NEW_YORK).astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None) != local
        )
    else:
        assert value.replace(tzinfo=None) == local


# EnumField


class Colour(enum.Enum):
    RED = "red"
    DARK_BLUE = "dark-blue"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Size(enum.Enum):
    SMALL = "s"
    LARGE = "l"

    @property
    def label(self) -> str:
        return {"s": "Small (S)", "l": "Large (L)"}[self.value]


def test_enum_by_value_and_by_name() -> None:
    """Members are chosen by str(value), or by name; anything else is the choice error."""
    assert value_of(EnumField(Colour), "dark-blue") is Colour.DARK_BLUE
    assert value_of(EnumField(Priority), "2") is Priority.HIGH
    assert value_of(EnumField(Priority, by="name"), "LOW") is Priority.LOW
    assert error_of(EnumField(Priority, by="name"), "1") == "Select a valid choice."
    assert error_of(EnumField(Colour), "RED") == "Select a valid choice."
    assert error_of(EnumField(Colour), "Colour.RED", locale="zh_HK") == "請選擇有效的選項。"
    assert value_of(EnumField(Colour, required=False, default=Colour.RED)) is Colour.RED


def test_enum_choices_for_templates() -> None:
    """choices are (submitted text, label): labels given, a member's label, or its name made readable."""
    assert EnumField(Colour).choices == [("red", "Red"), ("dark-blue", "Dark blue")]
    assert EnumField(Colour, labels={Colour.RED: "Rouge"}).choices[0] == ("red", "Rouge")
    assert EnumField(Size).choices == [("s", "Small (S)"), ("l", "Large (L)")]
    assert EnumField(Priority, by="name").choices == [("LOW", "Low"), ("HIGH", "High")]


def test_enum_declaration_checks() -> None:
    """No enum, an unknown `by`, no members, labels of non-members or clashing texts fail at once."""

    class Empty(enum.Enum):
        pass

    class Clash(enum.Enum):
        ONE = 1
        TEXT = "1"

    with pytest.raises(FormDefinitionTypeError):
        EnumField(["a"])  # type: ignore[type-var]
    with pytest.raises(FormDefinitionError, match="by must be"):
        EnumField(Colour, by="label")  # type: ignore[arg-type]
    with pytest.raises(FormDefinitionError, match="no members"):
        EnumField(Empty)
    with pytest.raises(FormDefinitionError, match="labels of non-members"):
        EnumField(Colour, labels={Priority.LOW: "x"})  # type: ignore[dict-item]
    with pytest.raises(FormDefinitionError, match="both submitted as '1'"):
        EnumField(Clash)


# Bounds given as functions


def test_date_bound_called_at_validation() -> None:
    """DateField(min_value=date.today) compares with the day of each validation."""
    days = [datetime.date(2026, 1, 10)]
    field = DateField(min_value=lambda: days[-1])
    assert value_of(field, "2026-01-10") == datetime.date(2026, 1, 10)
    days.append(datetime.date(2026, 1, 11))
    assert error_of(field, "2026-01-10") == "Enter a value of at least 2026-01-11."
    assert value_of(DateField(max_value=datetime.date.today), "2000-01-01") == datetime.date(2000, 1, 1)


@pytest.mark.parametrize(
    ("make", "good", "low", "high"),
    [
        (lambda low, high: IntegerField(min_value=low, max_value=high), "5", "4", "6"),
        (lambda low, high: FloatField(min_value=low, max_value=high), "5", "4.5", "5.5"),
        (lambda low, high: DecimalField(min_value=low, max_value=high), "5", "4.99", "5.01"),
    ],
)
def test_number_bounds_called_at_validation(
    make: Callable[..., Field[Any]], good: str, low: str, high: str
) -> None:
    """Each numeric field calls its bound functions; None from one means no bound."""
    field = make(lambda: 5, lambda: 5)
    assert value_of(field, good) == 5
    assert error_of(field, low) == "Enter a value of at least 5."
    assert error_of(field, high) == "Enter a value of at most 5."
    assert value_of(make(lambda: None, None), "-1") == -1


def test_time_and_datetime_bounds_called_at_validation() -> None:
    """TimeField and DateTimeField take functions too (opening hours, "not in the past")."""
    field = TimeField(min_value=lambda: datetime.time(9))
    assert error_of(field, "08:00") == "Enter a value of at least 09:00:00."
    now = datetime.datetime(2026, 1, 31, 12, tzinfo=UTC)
    future = DateTimeField(min_value=lambda: now)
    assert value_of(future, "2026-01-31T12:00Z") == now
    assert error_of(future, "2026-01-31T11:00Z") == "Enter a value of at least 2026-01-31 12:00:00+00:00."


@pytest.mark.parametrize(
    ("field", "text", "says"),
    [
        (
            IntegerField(min_value=lambda: "5"),
            "7",
            "IntegerField: min_value is a function, which must return an int",
        ),
        (IntegerField(max_value=lambda: True), "7", "IntegerField: max_value"),
        (FloatField(max_value=lambda: float("nan")), "1", "FloatField: max_value"),
        (DecimalField(min_value=lambda: decimal.Decimal("sNaN")), "1", "DecimalField: min_value"),
        (
            DateField(min_value=datetime.datetime.now),
            "2026-01-01",
            "DateField: min_value must be a date, not a datetime",
        ),
        (TimeField(min_value=lambda: datetime.time(9, tzinfo=UTC)), "10:00", "TimeField: min_value"),
        (
            DateTimeField(max_value=lambda: datetime.datetime(2026, 1, 1)),
            "2026-01-01T00:00Z",
            "DateTimeField: max_value",
        ),
    ],
)
def test_a_bound_function_returning_the_wrong_type_is_loud(field: Field[Any], text: str, says: str) -> None:
    """A programming error: raised out of is_valid(), naming the field's class and option."""
    with pytest.raises(FormDefinitionTypeError) as caught:
        check(field, text)
    assert str(caught.value).startswith(says), caught.value


def test_functions_are_accepted_when_declared_and_not_compared() -> None:
    """A function bound passes the declaration; a value of the wrong type still does not."""
    IntegerField(min_value=lambda: 9, max_value=1)
    with pytest.raises(FormDefinitionTypeError, match="a function returning one"):
        IntegerField(min_value="9")  # type: ignore[arg-type]
    with pytest.raises(FormDefinitionError, match="NaN"):
        DecimalField(max_value=decimal.Decimal("sNaN"))

"""Default messages in English and Simplified Chinese, chosen by locale."""

from __future__ import annotations

import string

import pytest

from anemo.formvalidate import MESSAGES, Form, IntegerField, IPField, StringField, locale_code, messages_for


class Small(Form):
    name = StringField(max_length=3)
    age = IntegerField(max_value=9)
    ip = IPField(messages={"required": "IP please"})


def test_catalogs_have_the_same_codes_and_placeholders() -> None:
    """Every code exists in both languages with the same {placeholders}."""
    english, chinese = MESSAGES["en_US"], MESSAGES["zh_CN"]
    assert set(english) == set(chinese)
    for code in english:
        fields = {name for _, name, _, _ in string.Formatter().parse(english[code]) if name}
        assert fields == {name for _, name, _, _ in string.Formatter().parse(chinese[code]) if name}, code


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        ("zh_CN", "zh_CN"),
        ("zh-TW", "zh_TW"),
        ("zh_HK", "zh_HK"),
        ("ZH", "zh_CN"),
        ("en_US", "en_US"),
        ("fr_FR", "en_US"),
        (None, "en_US"),
    ],
)
def test_locale_code(locale: object, code: str) -> None:
    """Chinese locales pick their script's and region's catalog; unknown languages English."""
    assert locale_code(locale) == code


def test_tornado_locale_objects() -> None:
    """Tornado's Locale objects are read through their .code."""
    from tornado.locale import CSVLocale

    assert messages_for(CSVLocale("zh_CN", {})) is MESSAGES["zh_CN"]
    assert messages_for(CSVLocale("en_US", {})) is MESSAGES["en_US"]


def test_chinese_errors_with_parameters() -> None:
    """Errors are worded in the form's locale, parameters filled in; overrides still win."""
    form = Small({"name": ["abcd"], "age": ["10"]}, locale="zh_CN")
    assert form.errors == {"name": "最多输入 3 个字符。", "age": "请输入不大于 9 的值。", "ip": "IP please"}
    english = Small({"name": ["abcd"], "age": ["10"]})
    assert english.errors == {
        "name": "Enter at most 3 characters.",
        "age": "Enter a value of at most 9.",
        "ip": "IP please",
    }


def test_broken_override_template_is_shown_as_written() -> None:
    """A custom message with a stray brace is shown as is rather than crashing."""

    class Odd(Form):
        age = IntegerField(max_value=1, messages={"too_large": "max is {nope} {"})

    assert Odd({"age": ["5"]}).errors == {"age": "max is {nope} {"}

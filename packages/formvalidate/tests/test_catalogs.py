"""Traditional Chinese catalogs, locale resolution and catalogs added by the application."""

# Full-width punctuation is correct in Chinese text.
# ruff: noqa: RUF001

from __future__ import annotations

import string
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anemo.formvalidate import (
    MESSAGES,
    EmailField,
    FileField,
    Form,
    FormDefinitionError,
    FormDefinitionTypeError,
    IntegerField,
    IPField,
    StringField,
    add_catalog,
    locale_code,
    messages_for,
)
from anemo.formvalidate._messages import _BUILT_IN, resolve_locale

BUILT_IN = ("en_US", "zh_CN", "zh_TW", "zh_HK")


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Contact(Form):
    name = StringField(max_length=3)
    email = EmailField()
    ip = IPField()
    age = IntegerField(max_value=9)


def test_every_built_in_catalog_has_the_same_codes_and_placeholders() -> None:
    """en_US, zh_CN, zh_TW and zh_HK word every code, each with English's {placeholders}."""
    english = _BUILT_IN["en_US"]
    assert tuple(_BUILT_IN) == BUILT_IN
    for code in BUILT_IN:
        catalog = _BUILT_IN[code]
        assert set(catalog) == set(english), code
        for key, template in catalog.items():
            assert placeholders(template) == placeholders(english[key]), (code, key)
    assert {"time", "datetime", "timezone", "nonexistent_time"} <= set(english)


def test_chinese_catalogs_are_written_natively() -> None:
    """Traditional characters and each region's words; full-width punctuation throughout."""
    taiwan, hong_kong, mainland = (_BUILT_IN[code] for code in ("zh_TW", "zh_HK", "zh_CN"))
    words = {
        "email": ("電子郵件", "電郵", "电子邮件"),
        "ip": ("位址", "地址", "地址"),
        "too_many_files": ("上傳", "上載", "上传"),
        "file_empty": ("檔案", "檔案", "文件"),
        "required": ("欄位", "欄", "此项"),
    }
    for code, (in_taiwan, in_hong_kong, in_mainland) in words.items():
        assert in_taiwan in taiwan[code], code
        assert in_hong_kong in hong_kong[code], code
        assert in_mainland in mainland[code], code
    for catalog in (taiwan, hong_kong):
        for template in catalog.values():
            assert template.endswith("。"), template
            assert ":" not in template.replace("HH:MM", "").replace(":SS", ""), template
            assert not set(template) & set("们这个为选请输项与时"), template  # simplified forms


def test_forms_in_traditional_chinese() -> None:
    """A form worded for Taiwan and for Hong Kong, parameters filled in."""
    post = {"name": ["abcd"], "email": ["x"], "ip": ["1.2.3"], "age": ["10"]}
    assert Contact(post, locale="zh-TW").errors == {
        "name": "最多只能輸入 3 個字元。",
        "email": "請輸入有效的電子郵件地址。",
        "ip": "請輸入有效的 IP 位址。",
        "age": "請輸入不大於 9 的值。",
    }
    assert Contact(post, locale="zh-Hant-HK").errors == {
        "name": "請輸入最多 3 個字元。",
        "email": "請輸入有效的電郵地址。",
        "ip": "請輸入有效的 IP 地址。",
        "age": "請輸入不多於 9 的數值。",
    }


def test_tornado_locale_objects_pick_traditional_catalogs() -> None:
    """Tornado's Locale objects are read through their .code."""
    from tornado.locale import CSVLocale

    assert messages_for(CSVLocale("zh_TW", {})) is MESSAGES["zh_TW"]
    assert messages_for(CSVLocale("zh_HK", {}))["email"] == "請輸入有效的電郵地址。"


@pytest.mark.parametrize(
    ("locale", "code"),
    [
        ("zh_TW", "zh_TW"),
        ("zh-TW", "zh_TW"),
        ("zh_tw", "zh_TW"),
        ("zh-Hant", "zh_TW"),
        ("zh_Hant_TW", "zh_TW"),
        ("zh-hant-tw", "zh_TW"),
        ("zh-Hant-US", "zh_TW"),
        ("zh_HK", "zh_HK"),
        ("zh-MO", "zh_HK"),
        ("zh_Hant_HK", "zh_HK"),
        ("zh-Hant-MO", "zh_HK"),
        ("zh-Hans", "zh_CN"),
        ("zh-Hans-TW", "zh_CN"),
        ("zh-Hans-HK", "zh_CN"),
        ("zh_SG", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh_US", "zh_CN"),
        ("zh_TW.UTF-8", "zh_TW"),
        ("zh-Hant-TW-u-ca-chinese", "zh_TW"),
        ("en_GB", "en_US"),
        ("fr_FR", "en_US"),
        ("zhx", "en_US"),
        ("", "en_US"),
        ("zh_TWx", "en_US"),
        (None, "en_US"),
        (b"zh_TW", "en_US"),
    ],
)
def test_locale_resolution(locale: object, code: str) -> None:
    """Exact codes first, then Chinese script and region rules, then the language, then English."""
    assert locale_code(locale) == code


def test_resolution_is_a_pure_function_of_what_is_registered() -> None:
    """A language matches any catalog of that language; a bare language catalog comes first."""
    assert resolve_locale("fr_CA", ("en_US", "fr_FR")) == "fr_FR"
    assert resolve_locale("fr_CA", ("en_US", "fr_FR", "fr")) == "fr"
    assert resolve_locale("fr_CA", ("en_US", "fr_FR", "fr_CA")) == "fr_CA"
    assert resolve_locale("zh_HK", ("en_US", "zh_CN")) == "zh_CN"  # no Hong Kong catalog: a Chinese one
    assert resolve_locale("de", ("en_US",), fallback="en_US") == "en_US"


class Weird:
    """An object whose .code fails, as a broken locale object might."""

    @property
    def code(self) -> str:
        raise RuntimeError("no code")


class Named:
    def __init__(self, code: object) -> None:
        self.code = code


LOCALES = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="zhHantsTWKMOCNSGfrenUS-_.@0123456789", max_size=20),
    st.from_regex(r"[a-zA-Z]{2,3}([-_][a-zA-Z]{4})?([-_][a-zA-Z0-9]{2,3})?", fullmatch=True),
    st.none(),
    st.integers(),
    st.binary(max_size=10),
    st.builds(Named, st.one_of(st.text(max_size=20), st.integers(), st.none())),
    st.just(Weird()),
    st.builds(object),
)


@given(LOCALES)
def test_any_locale_resolves_to_a_registered_catalog(locale: object) -> None:
    """Nothing raises, and the answer is always a catalog that exists."""
    assert locale_code(locale) in MESSAGES
    assert messages_for(locale)["required"]


def test_add_a_catalog_for_another_language() -> None:
    """A new catalog words a form; the codes it lacks are in English; fr_CA finds fr_FR."""
    add_catalog("fr_FR", {"required": "Ce champ est obligatoire.", "too_long": "Au plus {max} caractères."})
    assert set(MESSAGES["fr_FR"]) == set(MESSAGES["en_US"])
    assert locale_code("fr-CA") == "fr_FR"
    form = Contact({"name": ["abcd"], "ip": ["1.2.3"], "age": ["1"]}, locale="fr_CA")
    assert form.errors == {
        "name": "Au plus 3 caractères.",
        "email": "Ce champ est obligatoire.",
        "ip": "Enter a valid IP address.",
    }


def test_override_one_english_message() -> None:
    """An override replaces one wording; other catalogs that fall back to English see it too."""
    add_catalog("fr", {})
    add_catalog("en_US", {"required": "Please fill this in."})
    assert Contact({}).errors["email"] == "Please fill this in."
    assert MESSAGES["fr"]["required"] == "Please fill this in."
    assert MESSAGES["en_US"]["ip"] == "Enter a valid IP address."
    assert Contact({}, locale="zh_TW").errors["email"] == "此欄位為必填。"


def test_replace_false_keeps_what_is_there() -> None:
    """A library registers its defaults without clobbering the application's wording."""
    add_catalog("zh_TW", {"captcha": "驗證碼不正確。"})  # the application, first
    for locale, text in {
        "en_US": "The code is wrong.",
        "zh_TW": "驗證碼錯誤。",
        "zh_HK": "驗證碼錯誤。",
    }.items():
        add_catalog(locale, {"captcha": text}, replace=False)
    add_catalog("en_US", {"required": "Ignored."}, replace=False)
    assert MESSAGES["zh_TW"]["captcha"] == "驗證碼不正確。"
    assert MESSAGES["zh_HK"]["captcha"] == "驗證碼錯誤。"
    assert MESSAGES["zh_CN"]["captcha"] == "The code is wrong."  # not given: English
    assert MESSAGES["en_US"]["required"] == "This field is required."


def test_catalogs_are_read_only_views() -> None:
    """MESSAGES and each catalog refuse writes; a lookup never sees a catalog change under it."""
    before = MESSAGES["en_US"]
    with pytest.raises(TypeError):
        MESSAGES["en_US"]["required"] = "x"  # type: ignore[index]
    with pytest.raises(TypeError):
        MESSAGES["xx"] = {}  # type: ignore[index]
    add_catalog("en_US", {"required": "New."})
    assert before["required"] == "This field is required."  # the old snapshot is untouched
    assert MESSAGES["en_US"]["required"] == "New."
    assert "zh_HK" in repr(MESSAGES)


def test_concurrent_additions_are_all_kept() -> None:
    """Writers on many threads lose nothing; readers meanwhile always find complete catalogs."""
    seen: list[str] = []

    def write(number: int) -> None:
        for step in range(20):
            add_catalog(("aa", "bb_BB", "cc_CC", "en_US")[step % 4], {f"c{number}_{step}": "x"})

    def read() -> None:
        for _ in range(200):
            for code in list(MESSAGES):
                seen.append(MESSAGES[code]["invalid"])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    threads += [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = {code for catalog in MESSAGES.values() for code in catalog}
    assert {f"c{n}_{s}" for n in range(8) for s in range(20)} <= codes
    assert len(seen) >= 2 * 200 * 4
    assert all(seen)


@pytest.mark.parametrize(
    ("locale", "messages", "error", "says"),
    [
        ("french", {}, FormDefinitionError, "language code"),
        ("fr_FRA", {}, FormDefinitionError, "language code"),
        ("f", {}, FormDefinitionError, "language code"),
        ("fr_Latn_FR", {}, FormDefinitionError, "language code"),
        (5, {}, FormDefinitionTypeError, "locale must be a str"),
        ("fr", [("required", "x")], FormDefinitionTypeError, "mapping"),
        ("fr", {"required": 5}, FormDefinitionTypeError, "to text"),
        ("fr", {5: "x"}, FormDefinitionTypeError, "error codes"),
        ("fr", {"too_long": "au plus {max"}, FormDefinitionError, "not a str.format template"),
        ("fr", {"too_long": "au plus {}"}, FormDefinitionError, "not a str.format template"),
        ("fr", {"too_long": "au plus {0}"}, FormDefinitionError, "not a str.format template"),
        ("fr", {"too_long": "au plus {max!x}"}, FormDefinitionError, "not a str.format template"),
        ("fr", {"too_long": "au plus {maxi}"}, FormDefinitionError, "does not give (it gives max)"),
        ("fr", {"required": "{min}"}, FormDefinitionError, "it gives nothing"),
    ],
)
def test_bad_catalogs_are_refused_clearly(locale: object, messages: object, error: type, says: str) -> None:
    """A bad code, a non-text message or a template the error cannot fill fails at once."""
    with pytest.raises(error, match=says.replace("(", r"\(").replace(")", r"\)")) as caught:
        add_catalog(locale, messages)  # type: ignore[arg-type]
    assert caught.value.owner == "add_catalog"  # type: ignore[attr-defined]
    assert "fr" not in MESSAGES


def test_accepted_shapes_of_a_catalog_code() -> None:
    """``ll``, ``ll_RR``, ``ll-rr`` and three-letter languages are normalized; new codes' fields are free."""
    add_catalog("FR-ca", {"captcha": "{anything} {x:>4}"})
    add_catalog("fil", {})
    add_catalog("es-419", {})
    assert {"fr_CA", "fil", "es_419"} <= set(MESSAGES)
    assert MESSAGES["fr_CA"]["captcha"] == "{anything} {x:>4}"


def test_upload_messages_in_hong_kong_usage(png_bytes: bytes) -> None:
    """Upload errors say 檔案 and 上載 in Hong Kong wording."""
    from tornado.httputil import HTTPFile

    class Upload(Form):
        photo = FileField(extensions=["png"], max_files=1)

    upload = HTTPFile(filename="a.gif", body=png_bytes, content_type="image/png")
    form = Upload({}, {"photo": [upload]}, locale="zh_HK")
    assert form.errors == {"photo": "接受的檔案類型：png。"}

"""Message catalogs by locale: the built-in ones, the application's own, and locale resolution.

Catalogs live in one immutable snapshot that :func:`add_catalog` replaces whole under a lock
(copy-on-write), so a form worded on another thread never reads a dict being changed.
"""

# Full-width punctuation is correct in Chinese text.
# ruff: noqa: RUF001

from __future__ import annotations

import functools
import re
import string
import threading
from collections.abc import Collection, Iterator, Mapping
from types import MappingProxyType

from .errors import FormDefinitionError, FormDefinitionTypeError

__all__ = ["MESSAGES", "add_catalog", "locale_code", "messages_for"]

_ENGLISH: dict[str, str] = {
    "required": "This field is required.",
    "invalid": "Enter a valid value.",
    "encoding": "The value is not valid UTF-8.",
    "control_characters": "The value contains control characters.",
    "too_short": "Enter at least {min} characters.",
    "too_long": "Enter at most {max} characters.",
    "pattern": "The value does not have the expected format.",
    "not_integer": "Enter a whole number.",
    "not_number": "Enter a number.",
    "too_small": "Enter a value of at least {min}.",
    "too_large": "Enter a value of at most {max}.",
    "too_many_digits": "Enter at most {max} digits.",
    "too_many_places": "Enter at most {max} decimal places.",
    "boolean": "Enter yes or no.",
    "email": "Enter a valid email address.",
    "ip": "Enter a valid IP address.",
    "ipv4": "Enter a valid IPv4 address.",
    "ipv6": "Enter a valid IPv6 address.",
    "url": "Enter a valid URL.",
    "phone": "Enter a valid phone number.",
    "choice": "Select a valid choice.",
    "too_few_choices": "Select at least {min}.",
    "too_many_choices": "Select at most {max}.",
    "date": "Enter a valid date (YYYY-MM-DD).",
    "too_few_entries": "The minimum number of entries is {min}.",
    "too_many_entries": "The maximum number of entries is {max}.",
    "too_many_fields": "Too many fields were submitted (at most {max}).",
    "too_deep": "The field names are nested too deeply (at most {max} levels).",
    "structure": "This field was submitted in an unexpected shape.",
    "json": "The request body is not a JSON object.",
    "json_array": "The request body is not a JSON array.",
    "file_extension": "Allowed file types: {extensions}.",
    "file_too_large": "The file is larger than {max} bytes.",
    "file_empty": "The file is empty.",
    "too_many_files": "The maximum number of files is {max}.",
    "file_type": "The file's content is not an allowed type.",
    "file_mismatch": "The file's content does not match its extension.",
    "file_damaged": "The image file is damaged or too large.",
    "time": "Enter a valid time ({format}).",
    "datetime": "Enter a valid date and time ({format}).",
    "timezone": "Enter the time with its time zone offset (Z or +HH:MM).",
    "nonexistent_time": "That time does not exist in {timezone}: the clocks skip it.",
}

_SIMPLIFIED_CHINESE: dict[str, str] = {
    # Mainland usage.
    "required": "此项为必填项。",
    "invalid": "请输入有效的值。",
    "encoding": "值不是有效的 UTF-8 编码。",
    "control_characters": "值中含有控制字符。",
    "too_short": "请至少输入 {min} 个字符。",
    "too_long": "最多输入 {max} 个字符。",
    "pattern": "值的格式不正确。",
    "not_integer": "请输入整数。",
    "not_number": "请输入数字。",
    "too_small": "请输入不小于 {min} 的值。",
    "too_large": "请输入不大于 {max} 的值。",
    "too_many_digits": "最多输入 {max} 位数字。",
    "too_many_places": "最多保留 {max} 位小数。",
    "boolean": "请选择是或否。",
    "email": "请输入有效的电子邮件地址。",
    "ip": "请输入有效的 IP 地址。",
    "ipv4": "请输入有效的 IPv4 地址。",
    "ipv6": "请输入有效的 IPv6 地址。",
    "url": "请输入有效的网址。",
    "phone": "请输入有效的电话号码。",
    "choice": "请选择有效的选项。",
    "too_few_choices": "请至少选择 {min} 项。",
    "too_many_choices": "最多选择 {max} 项。",
    "date": "请输入有效的日期（YYYY-MM-DD）。",
    "too_few_entries": "请至少填写 {min} 项。",
    "too_many_entries": "最多填写 {max} 项。",
    "too_many_fields": "提交的字段过多（最多 {max} 个）。",
    "too_deep": "字段名嵌套过深（最多 {max} 层）。",
    "structure": "此项的提交格式不正确。",
    "json": "请求内容不是 JSON 对象。",
    "json_array": "请求内容不是 JSON 数组。",
    "file_extension": "允许的文件类型：{extensions}。",
    "file_too_large": "文件大小超过 {max} 字节。",
    "file_empty": "文件为空。",
    "too_many_files": "最多上传 {max} 个文件。",
    "file_type": "文件内容的类型不被允许。",
    "file_mismatch": "文件内容与扩展名不符。",
    "file_damaged": "图片文件已损坏或尺寸过大。",
    "time": "请输入有效的时间（{format}）。",
    "datetime": "请输入有效的日期和时间（{format}）。",
    "timezone": "请在时间后注明时区偏移（Z 或 +HH:MM）。",
    "nonexistent_time": "该时间在 {timezone} 时区不存在（时钟在此时拨快）。",
}

_TAIWAN: dict[str, str] = {
    # Traditional characters, Taiwan usage: 欄位, 檔案, 位址, 位元組, 上傳, 筆.
    "required": "此欄位為必填。",
    "invalid": "請輸入有效的值。",
    "encoding": "值不是有效的 UTF-8 編碼。",
    "control_characters": "值含有控制字元。",
    "too_short": "請至少輸入 {min} 個字元。",
    "too_long": "最多只能輸入 {max} 個字元。",
    "pattern": "值的格式不正確。",
    "not_integer": "請輸入整數。",
    "not_number": "請輸入數字。",
    "too_small": "請輸入不小於 {min} 的值。",
    "too_large": "請輸入不大於 {max} 的值。",
    "too_many_digits": "最多只能輸入 {max} 位數字。",
    "too_many_places": "小數最多 {max} 位。",
    "boolean": "請選擇是或否。",
    "email": "請輸入有效的電子郵件地址。",
    "ip": "請輸入有效的 IP 位址。",
    "ipv4": "請輸入有效的 IPv4 位址。",
    "ipv6": "請輸入有效的 IPv6 位址。",
    "url": "請輸入有效的網址。",
    "phone": "請輸入有效的電話號碼。",
    "choice": "請選擇有效的選項。",
    "too_few_choices": "請至少選擇 {min} 項。",
    "too_many_choices": "最多只能選擇 {max} 項。",
    "date": "請輸入有效的日期（YYYY-MM-DD）。",
    "too_few_entries": "請至少填寫 {min} 筆。",
    "too_many_entries": "最多只能填寫 {max} 筆。",
    "too_many_fields": "送出的欄位過多（最多 {max} 個）。",
    "too_deep": "欄位名稱的巢狀層數過多（最多 {max} 層）。",
    "structure": "此欄位的送出格式不正確。",
    "json": "請求內容不是 JSON 物件。",
    "json_array": "請求內容不是 JSON 陣列。",
    "file_extension": "允許的檔案類型：{extensions}。",
    "file_too_large": "檔案大小超過 {max} 位元組。",
    "file_empty": "檔案是空的。",
    "too_many_files": "最多只能上傳 {max} 個檔案。",
    "file_type": "不允許此類型的檔案內容。",
    "file_mismatch": "檔案內容與副檔名不符。",
    "file_damaged": "圖片檔已損毀或尺寸過大。",
    "time": "請輸入有效的時間（{format}）。",
    "datetime": "請輸入有效的日期與時間（{format}）。",
    "timezone": "請在時間後註明時區偏移（Z 或 +HH:MM）。",
    "nonexistent_time": "此時間在 {timezone} 時區並不存在（時鐘在此時撥快）。",
}

_HONG_KONG: dict[str, str] = {
    # Traditional characters, Hong Kong usage: 欄, 電郵, 地址, 上載, 最少/最多.
    "required": "此欄必須填寫。",
    "invalid": "請輸入有效的內容。",
    "encoding": "內容不是有效的 UTF-8 編碼。",
    "control_characters": "內容包含控制字元。",
    "too_short": "請輸入最少 {min} 個字元。",
    "too_long": "請輸入最多 {max} 個字元。",
    "pattern": "內容格式不正確。",
    "not_integer": "請輸入整數。",
    "not_number": "請輸入數字。",
    "too_small": "請輸入不少於 {min} 的數值。",
    "too_large": "請輸入不多於 {max} 的數值。",
    "too_many_digits": "最多可輸入 {max} 位數字。",
    "too_many_places": "最多可有 {max} 個小數位。",
    "boolean": "請選擇是或否。",
    "email": "請輸入有效的電郵地址。",
    "ip": "請輸入有效的 IP 地址。",
    "ipv4": "請輸入有效的 IPv4 地址。",
    "ipv6": "請輸入有效的 IPv6 地址。",
    "url": "請輸入有效的網址。",
    "phone": "請輸入有效的電話號碼。",
    "choice": "請選擇有效的選項。",
    "too_few_choices": "請最少選擇 {min} 項。",
    "too_many_choices": "最多可選擇 {max} 項。",
    "date": "請輸入有效的日期（YYYY-MM-DD）。",
    "too_few_entries": "請最少填寫 {min} 項。",
    "too_many_entries": "最多可填寫 {max} 項。",
    "too_many_fields": "提交的欄位太多（最多 {max} 個）。",
    "too_deep": "欄位名稱的嵌套層數太多（最多 {max} 層）。",
    "structure": "此欄的提交格式不正確。",
    "json": "請求內容不是 JSON 物件。",
    "json_array": "請求內容不是 JSON 陣列。",
    "file_extension": "接受的檔案類型：{extensions}。",
    "file_too_large": "檔案大小超過 {max} 位元組。",
    "file_empty": "檔案沒有內容。",
    "too_many_files": "最多可上載 {max} 個檔案。",
    "file_type": "不接受此類型的檔案內容。",
    "file_mismatch": "檔案內容與副檔名不符。",
    "file_damaged": "圖片檔案已損壞或尺寸太大。",
    "time": "請輸入有效的時間（{format}）。",
    "datetime": "請輸入有效的日期及時間（{format}）。",
    "timezone": "請在時間後註明時區（Z 或 +HH:MM）。",
    "nonexistent_time": "此時間在 {timezone} 時區並不存在（該時刻時鐘調快）。",
}

_BUILT_IN: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en_US": MappingProxyType(_ENGLISH),
        "zh_CN": MappingProxyType(_SIMPLIFIED_CHINESE),
        "zh_TW": MappingProxyType(_TAIWAN),
        "zh_HK": MappingProxyType(_HONG_KONG),
    }
)
"""The catalogs shipped with the package, in the order a language match prefers them."""

_FALLBACK = "en_US"
"""The catalog of last resort, and the one whose wording fills any code another catalog lacks."""

Catalogs = Mapping[str, Mapping[str, str]]


class _Registry:
    """Holds the catalogs: ``state`` is replaced whole, never changed in place, so readers take
    it without a lock."""

    __slots__ = ("state",)

    state: tuple[Catalogs, Catalogs, tuple[str, ...]]
    """``(own, merged, codes)``: each catalog's own messages, those over English (what lookups
    read), and the codes of the catalogs in the order they were added."""


_registry = _Registry()
_lock = threading.Lock()
"""Serializes :func:`add_catalog`'s read-copy-replace of the registry's state."""


def _publish(own: Mapping[str, Mapping[str, str]]) -> None:
    """Make ``own`` (and each catalog merged over English) the catalogs every lookup reads."""
    english = own[_FALLBACK]
    merged = {code: MappingProxyType({**english, **messages}) for code, messages in own.items()}
    _registry.state = (MappingProxyType(dict(own)), MappingProxyType(merged), tuple(merged))


_publish(_BUILT_IN)


class _CatalogView(Mapping[str, Mapping[str, str]]):
    """The catalogs as they are now, read-only: what :data:`MESSAGES` is."""

    __slots__ = ()

    def __getitem__(self, code: str) -> Mapping[str, str]:
        return _registry.state[1][code]

    def __iter__(self) -> Iterator[str]:
        return iter(_registry.state[1])

    def __len__(self) -> int:
        return len(_registry.state[1])

    def __repr__(self) -> str:
        return f"<message catalogs {', '.join(_registry.state[1])}>"


MESSAGES: Mapping[str, Mapping[str, str]] = _CatalogView()
"""Message catalogs by locale code, read-only, including those added by :func:`add_catalog`.

Each built-in catalog has the same codes; an added catalog also holds, in English, every code
it was not given.
"""

_CATALOG_CODE = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}|[0-9]{3}))?", re.ASCII)
"""What :func:`add_catalog` registers: a language (``fr``), or a language and region (``fr_CA``)."""


def add_catalog(locale: str, messages: Mapping[str, str], *, replace: bool = True) -> None:
    """Add a catalog for ``locale`` (``"fr"``, ``"fr_CA"``, ``"fr-CA"``), or add to an existing one.

    Codes a catalog lacks are worded in English. With ``replace=False`` the wording a catalog
    already has is kept: a library registering the default wording of its own codes uses it, so
    it never overwrites what the application set. Safe to call from any thread at any time;
    forms being validated see the catalogs before or after the call, never half of it.

    :raises FormDefinitionTypeError: ``locale`` is not a str, or ``messages`` not a mapping of
        str to str.
    :raises FormDefinitionError: ``locale`` is not a code of that shape, or a message is not a
        ``str.format`` template whose fields are names the error gives.
    """
    code = _catalog_code(locale)
    checked = _checked_messages(messages)
    with _lock:
        own = dict(_registry.state[0])
        current = own.get(code, {})
        own[code] = MappingProxyType({**current, **checked} if replace else {**checked, **current})
        _publish(own)


def _catalog_code(locale: object) -> str:
    """``locale`` written as a catalog code: ``fr``, ``fr_CA`` (``fr-ca`` and ``FR_ca`` too)."""
    if not isinstance(locale, str):
        raise FormDefinitionTypeError(
            f"locale must be a str such as 'fr_FR', not {locale!r}", owner="add_catalog"
        )
    match = _CATALOG_CODE.fullmatch(locale)
    if match is None:
        raise FormDefinitionError(
            f"locale {locale!r} is not a language code ('fr') or language and region ('fr_FR')",
            owner="add_catalog",
        )
    language, region = match.groups()
    return f"{language.lower()}_{region.upper()}" if region else language.lower()


def _checked_messages(messages: object) -> dict[str, str]:
    """``messages`` as a dict, each template checked against what its error's ``params`` give."""
    if not isinstance(messages, Mapping):
        raise FormDefinitionTypeError(
            f"messages must be a mapping of error codes to text, not {messages!r}", owner="add_catalog"
        )
    checked: dict[str, str] = {}
    for code, template in messages.items():
        if not isinstance(code, str) or not code or not isinstance(template, str):
            raise FormDefinitionTypeError(
                f"messages must map error codes (str) to text (str), not {code!r} to {template!r}",
                owner="add_catalog",
            )
        given = _placeholders(_ENGLISH[code]) if code in _ENGLISH else None
        for name in _placeholders(template, code):
            if given is not None and name not in given:
                raise FormDefinitionError(
                    f"message {code!r} uses {{{name}}}, which the error does not give"
                    f" (it gives {', '.join(sorted(given)) or 'nothing'})",
                    owner="add_catalog",
                )
        checked[code] = template
    return checked


def _placeholders(template: str, code: str = "") -> set[str]:
    """The names ``template`` formats in, refusing what ``str.format_map`` with names cannot fill."""
    names = set()
    try:
        for _, name, spec, conversion in string.Formatter().parse(template):
            if name is None:
                continue
            if not name.isidentifier() or conversion not in (None, "s", "r", "a") or "{" in (spec or ""):
                raise ValueError(f"{{{name}}} is not a named field such as {{max}}")
            names.add(name)
    except ValueError as exc:
        raise FormDefinitionError(
            f"message {code!r} is not a str.format template ({exc}): {template!r}", owner="add_catalog"
        ) from None
    return names


_CHINESE_RULES: Mapping[str, str] = {
    # script and region, script alone, region alone, or nothing: the catalog
    "Hant_HK": "zh_HK",
    "Hant_MO": "zh_HK",
    "Hant": "zh_TW",
    "HK": "zh_HK",
    "MO": "zh_HK",
    "TW": "zh_TW",
    "Hans": "zh_CN",
    "CN": "zh_CN",
    "SG": "zh_CN",
    "": "zh_CN",
}
"""Chinese by script first (Traditional or Simplified), then by where it is written."""

_RULES: Mapping[str, Mapping[str, str]] = {"zh": _CHINESE_RULES}
"""Script and region rules by language, for locales that name no catalog exactly."""

_LOCALE = re.compile(r"([A-Za-z]{2,3})(?:[-_]([A-Za-z]{4}))?(?:[-_]([A-Za-z]{2}|[0-9]{3}))?", re.ASCII)
"""The start of a locale: language, script (``Hant``) and region, as in BCP 47 or POSIX."""


def resolve_locale(code: object, registered: Collection[str], fallback: str = _FALLBACK) -> str:
    """The catalog of ``registered`` that serves locale ``code``; ``fallback`` when none does.

    In order: the exact code (``zh_TW``, ``zh-TW``, ``zh_tw``), then the language's script and
    region rules (``zh_Hant_HK`` and ``zh_MO`` are Hong Kong usage, ``zh_Hant`` Taiwan's,
    ``zh_Hans``, ``zh_SG`` and ``zh`` Simplified), then the language alone (``fr_CA`` gets ``fr``,
    else the first ``fr_*`` registered). POSIX suffixes (``.UTF-8``, ``@euro``) and further BCP 47
    subtags (``-u-ca-chinese``) are ignored. Pure: it reads nothing but its arguments.
    """
    if not isinstance(code, str) or len(code) > 64:
        return fallback
    code = str.__str__(code).partition(".")[0].partition("@")[0]
    match = _LOCALE.match(code)
    if match is None or code[match.end() : match.end() + 1] not in ("", "-", "_"):
        return fallback
    language, script, region = match.groups()
    language = language.lower()
    script = script.title() if script else ""
    region = region.upper() if region else ""
    exact = f"{language}_{region}" if region else language
    if not script and exact in registered:
        return exact
    rules = _RULES.get(language, {})
    for key in (f"{script}_{region}", script, region) if script and region else (script or region,):
        target = rules.get(key)
        if target is not None and target in registered:
            return target
    if language in registered:
        return language
    return next((known for known in registered if known.startswith(language + "_")), fallback)


def locale_code(locale: object) -> str:
    """The code of the catalog for ``locale``: a code such as ``"zh-TW"``, or an object with ``.code``.

    Tornado's ``Locale`` objects carry ``.code``. See ``resolve_locale`` in ``_messages.py`` for the rules;
    anything unknown gets ``"en_US"``. Never raises.
    """
    _, catalogs, codes = _registry.state
    try:
        code = getattr(locale, "code", locale)
    except Exception:  # a .code property that fails: the locale is unknown, not the form broken
        return _FALLBACK
    if code.__class__ is not str:
        return resolve_locale(code, codes)
    if code in catalogs:  # the usual case, "zh_CN" or a Tornado Locale
        return code
    return _resolved(code, codes)


@functools.lru_cache(maxsize=256)
def _resolved(code: str, codes: tuple[str, ...]) -> str:
    """:func:`resolve_locale`, remembered: the same few locales (``zh-TW``) come again and again."""
    return resolve_locale(code, codes)


def messages_for(locale: object) -> Mapping[str, str]:
    """The message catalog for ``locale`` (see :func:`locale_code`); English for ``None``."""
    catalogs = _registry.state[1]
    return catalogs[_FALLBACK] if locale is None else catalogs[locale_code(locale)]

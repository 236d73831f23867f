"""Default error messages in English and Simplified Chinese, chosen by locale."""

# Full-width punctuation is correct in Chinese text.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["MESSAGES", "messages_for", "locale_code"]

_ENGLISH: Mapping[str, str] = {
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
}

_SIMPLIFIED_CHINESE: Mapping[str, str] = {
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
}

MESSAGES: Mapping[str, Mapping[str, str]] = {"en_US": _ENGLISH, "zh_CN": _SIMPLIFIED_CHINESE}
"""Message catalogs by locale code; every catalog has the same codes."""


def locale_code(locale: object) -> str:
    """The catalog code for a locale: a string like ``"zh-CN"``, or an object with ``.code``.

    Tornado's ``Locale`` objects carry ``.code``; any Chinese locale gets Simplified Chinese
    (the only Chinese catalog), anything else English.
    """
    code = getattr(locale, "code", locale)
    if isinstance(code, str) and code[:2].lower() == "zh":
        return "zh_CN"
    return "en_US"


def messages_for(locale: object) -> Mapping[str, str]:
    """The message catalog for ``locale`` (see :func:`locale_code`)."""
    return _ENGLISH if locale is None else MESSAGES[locale_code(locale)]

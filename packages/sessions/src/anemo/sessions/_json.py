"""JSON texts of session values: encoded once when set, decoded once per load (one parser call)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import StoreError

__all__ = ["encode_value", "decode_value", "decode_fields"]

_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_value(value: Any) -> str:
    """Compact JSON of one value (NaN and infinities are refused: they are not JSON)."""
    return _JSON.encode(value)


def decode_value(address: str, text: str | bytes) -> Any:
    """One value back from JSON; a text that is not JSON is a :class:`StoreError`."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise StoreError(address, f"a session field is not JSON: {exc}") from exc


def decode_fields(address: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """Fields back from their JSON texts, parsed as one array: one parser call, not one per field."""
    if not fields:
        return {}
    decoded = decode_value(address, "[" + ",".join(fields.values()) + "]")
    if not isinstance(decoded, list) or len(decoded) != len(fields):
        raise StoreError(address, "a session field is not one JSON value")
    return dict(zip(fields, decoded, strict=True))

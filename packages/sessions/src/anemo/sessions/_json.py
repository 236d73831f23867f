"""JSON texts of session values: encoded once when set, decoded when a request first reads them."""

from __future__ import annotations

import json
from typing import Any

from .errors import StoreError

__all__ = ["encode_value", "decode_value"]

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

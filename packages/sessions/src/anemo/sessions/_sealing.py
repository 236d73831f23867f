"""Sealer: encryption at rest with anemo-signedvalue's AES-GCM, under a key only the cookie gives.

The data key is derived from the session id, which the store never sees (it keeps a keyed hash
of it). So a dump of the store, even with the server's secret, reveals no session data without
the visitor's cookie. Each value is sealed together with the name of the field it is stored in, so a
value moved to another field, or to another session's record, does not open. Key names are stored as keyed
hashes (``e:HASH``), so they do not show either.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from anemo.signedvalue import BadSignature

from ._record import AGENT, CREATED, DATA, REMEMBER, SEALED, Layout
from ._store import USER_FIELD
from .errors import StoreError

try:
    from anemo.signedvalue.encrypted import EncryptedSerializer
except ModuleNotFoundError as exc:  # pragma: no cover - depends on the environment
    if exc.name != "cryptography":
        raise
    raise ModuleNotFoundError(
        "encrypted sessions need the cryptography package: pip install 'anemo-sessions[encrypt]'",
        name="cryptography",
    ) from exc

__all__ = ["Sealer"]

_SEALED_PREFIX = "e:"
_META = (USER_FIELD, AGENT)


class Sealer(Layout):
    """The sealed layout of one session's record, keyed by its id."""

    sealed = True
    __slots__ = ("_address", "_names", "_serializer")

    def __init__(self, session_id: str, address: str) -> None:
        key = hmac.digest(b"anemo.sessions/data-key", session_id.encode(), hashlib.sha256)
        self._names = hmac.digest(key, b"field names", hashlib.sha256)
        self._serializer = EncryptedSerializer(key, salt="anemo.sessions/record")
        self._address = address

    def stored(self, name: str) -> str:
        if not name.startswith(DATA):
            return name
        return _SEALED_PREFIX + hmac.digest(self._names, name.encode(), hashlib.sha256)[:16].hex()

    def seal(self, name: str, text: str) -> str:
        # A token (stores keep any text; only clear fields are JSON), naming the field it belongs in.
        return self._serializer.dumps([self.stored(name), name, text])

    def read(self, fields: Mapping[str, str]) -> dict[str, str]:
        clear: dict[str, str] = {}
        for stored, value in fields.items():
            if stored in (CREATED, REMEMBER):
                clear[stored] = value
            elif stored.startswith(_SEALED_PREFIX) or stored in _META:
                field, name, text = self._open(value)
                if field != stored:
                    raise StoreError(self._address, "a sealed session field was moved from another field")
                clear[name] = text
            elif stored != SEALED:
                raise StoreError(self._address, f"a sealed session record has a clear field {stored[:40]!r}")
        return clear

    def _open(self, value: str) -> tuple[str, str, str]:
        try:
            opened = self._serializer.loads(value)
        except (BadSignature, ValueError, TypeError) as exc:
            raise StoreError(
                self._address, "a sealed session field does not open with this session's key"
            ) from exc
        if not (
            isinstance(opened, list) and len(opened) == 3 and all(isinstance(part, str) for part in opened)
        ):
            raise StoreError(self._address, "a sealed session field is not a field, a name and a value")
        return opened[0], opened[1], opened[2]

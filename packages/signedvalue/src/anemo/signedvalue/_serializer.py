"""Serializer: JSON values in signed tokens."""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Callable
from typing import Any

from ._keys import SecretKeys
from ._signer import Signer
from .errors import BadPayload, BadSignature

__all__ = ["TokenSerializer", "Serializer", "dump_json", "load_json"]


# One encoder for every call: json.dumps with options builds a new one each time.
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def dump_json(obj: Any) -> bytes:
    """Compact UTF-8 JSON of ``obj``."""
    return _COMPACT_JSON.encode(obj).encode("utf-8")


def load_json(payload: bytes) -> Any:
    """The object in authenticated ``payload``; BadPayload if it is not JSON."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:
        raise BadPayload(f"payload is not valid JSON: {exc}", payload=payload) from exc


class TokenSerializer(abc.ABC):
    """What :class:`Serializer` and ``EncryptedSerializer`` share: JSON in, URL-safe token out."""

    __slots__ = ()

    @abc.abstractmethod
    def dumps(self, obj: Any) -> str:
        """A token carrying ``obj`` (anything ``json.dumps`` accepts) and the time now."""

    @abc.abstractmethod
    def loads(self, token: str | bytes, max_age: float | None = None) -> Any:
        """The object in ``token``; raises BadSignature, SignatureExpired or BadPayload."""

    def loads_or_none(self, token: str | bytes, max_age: float | None = None) -> Any:
        """The object in ``token``, or None if it is not genuine, has expired or does not decode."""
        try:
            return self.loads(token, max_age)
        except BadSignature:
            return None


class Serializer(TokenSerializer):
    """Signs JSON-serializable objects into URL-safe string tokens, and loads them back.

    The token format, key derivation, rotation and expiry rules are :class:`Signer`'s. Anyone
    holding a token can read its content; use ``EncryptedSerializer`` for secrets.
    """

    __slots__ = ("_signer",)

    def __init__(
        self,
        secret_keys: SecretKeys,
        *,
        salt: str | bytes = "anemo.signedvalue.Serializer",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._signer = Signer(secret_keys, salt=salt, clock=clock)

    @property
    def salt(self) -> str | bytes:
        """The purpose this serializer's tokens are bound to."""
        return self._signer.salt

    def dumps(self, obj: Any) -> str:
        """A token carrying ``obj`` (anything ``json.dumps`` accepts) and the time now."""
        return self._signer.sign(dump_json(obj)).decode("ascii")

    def loads(self, token: str | bytes, max_age: float | None = None) -> Any:
        """The object in ``token``; raises BadSignature, SignatureExpired or BadPayload."""
        return load_json(self._signer.unsign(token, max_age))

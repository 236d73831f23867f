"""The layout of a session's record: field names, a new record's fields, and reading one back.

A record holds the session's keys as fields ``d:KEY`` and the manager's own fields ``m:created``
(Unix time), ``m:user``, ``m:agent`` and, for a browser session (signed in without "remember me"),
``m:remember`` (``false``), every value a JSON text. A sealed record (encryption at
rest) has ``m:sealed``; its keys are fields ``e:HASH`` and its values, user and agent are
AES-GCM tokens (see :mod:`._sealing`). ``m:created`` and ``m:remember`` stay readable, so expiry and
user listings work without the visitor's cookie. A record without a valid ``m:created`` is not a session (it
may be what a late write left after a delete) and is never adopted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import NamedTuple

from ._json import decode_value, encode_value
from ._store import USER_FIELD

__all__ = ["DATA", "CREATED", "AGENT", "REMEMBER", "SEALED", "Record", "Layout", "PLAIN", "read_record"]

DATA = "d:"
CREATED = "m:created"
AGENT = "m:agent"
REMEMBER = "m:remember"
SEALED = "m:sealed"


class Layout:
    """How a record names and writes fields: in clear (this class) or sealed (``Sealer``)."""

    sealed = False

    def stored(self, name: str) -> str:
        """The stored name of field ``name`` (``d:KEY`` or ``m:...``)."""
        return name

    def seal(self, name: str, text: str) -> str:
        """The stored text of field ``name`` holding ``text``."""
        return text

    def fields(self, written: Mapping[str, str], removed: frozenset[str]) -> tuple[dict[str, str], list[str]]:
        """The fields to write and to delete for these session keys."""
        return (
            {self.stored(DATA + key): self.seal(DATA + key, text) for key, text in written.items()},
            [self.stored(DATA + key) for key in removed],
        )

    def record(
        self, texts: Mapping[str, str], created: float, user: str | None, agent: str | None, remember: bool
    ) -> dict[str, str]:
        """Every field of a new record."""
        fields, _ = self.fields(texts, frozenset())
        fields[CREATED] = encode_value(created)
        if not remember:
            fields[REMEMBER] = "false"
        if self.sealed:
            fields[SEALED] = "1"
        if user is not None:
            fields[USER_FIELD] = self.seal(USER_FIELD, encode_value(user))
            if agent is not None:
                fields[AGENT] = self.seal(AGENT, encode_value(agent))
        return fields

    def read(self, fields: Mapping[str, str]) -> dict[str, str]:
        """The record's session keys and meta fields as clear JSON texts (``d:KEY`` and ``m:*``)."""
        return dict(fields)


PLAIN = Layout()


class Record(NamedTuple):
    """A loaded record: its creation time, user, and each key's JSON text (decoded when read)."""

    created: float
    user: str | None
    agent: str | None
    texts: dict[str, str]
    sealed: bool
    #: False for a browser session: its cookie has no Max-Age and it has the shorter lifetime.
    remember: bool


def read_record(address: str, fields: Mapping[str, str], sealer: Callable[[], Layout]) -> Record | None:
    """The record in ``fields``, or ``None`` when it is not a session; its values are left as JSON."""
    sealed = SEALED in fields
    clear = sealer().read(fields) if sealed else fields
    created = _finite_number(clear.get(CREATED))
    if created is None:
        return None
    texts = {name[2:]: text for name, text in clear.items() if name[:2] == DATA}
    user, agent = clear.get(USER_FIELD), clear.get(AGENT)
    return Record(
        created,
        None if user is None else _string(address, user),
        None if agent is None else _string(address, agent),
        texts,
        sealed,
        clear.get(REMEMBER) != "false",
    )


def _finite_number(text: str | None) -> float | None:
    """A JSON number's value, or ``None`` for anything else (a missing field, a string, NaN)."""
    try:
        number = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _string(address: str, text: str) -> str | None:
    value = decode_value(address, text)
    return value if isinstance(value, str) else None

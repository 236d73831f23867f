"""What the SQL stores share: the table layout, the merge of a save, and a sweep with a bound.

A store keeps two tables. ``TABLE`` holds one row per record: its key, its fields as a JSON object
of name -> JSON text (each text kept exactly as saved, as a JSON string), and when it expires.
``TABLE_users`` is the user index: one row per (user key, record key) with the entry's info and
its own expiry. A save is one statement that merges the changed fields into the row (an expired
row counts as empty), so two requests that change different fields both keep their change, as
with a Redis hash. Expired rows are skipped by every read and deleted by :meth:`SQLStore.sweep`,
which a store also runs now and then on its own with a bound on its work.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping

from ._json import decode_value
from ._store import DEFAULT_TIMEOUT, StoreBase, check_count, check_timeout
from .errors import InvalidOption

__all__ = ["SQLStore", "DEFAULT_TABLE", "SWEEP_LIMIT", "merge_patch"]

DEFAULT_TABLE = "anemo_sessions"
#: An SQL identifier that needs no quoting anywhere, with room for the ``_users`` suffix.
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,50}", re.ASCII)
#: A store sweeps once every this many saves...
_SWEEP_EVERY = 32
#: ... at most this many expired rows of each table: twice a record per save, so the sweep keeps
#: ahead of any flood of new sessions (a save creates one record at most), never a full scan.
SWEEP_LIMIT = 2 * _SWEEP_EVERY

#: How an index entry's INSERT replaces the entry it finds (the same in both dialects).
_ENTRY_UPSERT = (
    "ON CONFLICT (user_key, record_key) DO UPDATE SET info = excluded.info, expires_at = excluded.expires_at"
)


def merge_patch(changed: Mapping[str, str], removed: Collection[str]) -> str:
    """A JSON merge patch (RFC 7396) of a save: each changed field's text, ``null`` for a removed one.

    A field both changed and removed is removed, as Redis's HSET-then-HDEL would leave it.
    """
    patch: dict[str, str | None] = dict(changed)
    patch.update(dict.fromkeys(removed))
    return json.dumps(patch, separators=(",", ":"))


class SQLStore(StoreBase):
    """A :class:`~anemo.sessions.SessionStore` and :class:`~anemo.sessions.UserIndex` in two SQL tables.

    Subclasses run the statements; this class checks the options, reads rows back and decides when
    to sweep.
    """

    #: How errors and ``health()`` name the database (never with a password).
    address: str

    def __init__(
        self, *, table: str = DEFAULT_TABLE, timeout: float = DEFAULT_TIMEOUT, create_tables: bool = True
    ) -> None:
        if not isinstance(table, str) or not _TABLE.fullmatch(table):
            raise InvalidOption(
                f"table must be a letter or _, then up to 50 letters, digits or _, not {table!r}"
            )
        self.table = table
        self.users_table = f"{table}_users"
        self.timeout = check_timeout(timeout)
        #: Whether the store creates its tables (if missing) on first use; turn it off when
        #: migrations create them from the store's ``schema`` and its database role may not.
        self.create_tables = create_tables
        self._saves = 0

    def sql(self, template: str) -> str:
        """``template`` with ``{t}`` the store's table, ``{u}`` its users table (checked names), and
        ``{entry_upsert}`` the ``ON CONFLICT`` clause of an index entry's INSERT."""
        return template.format(t=self.table, u=self.users_table, entry_upsert=_ENTRY_UPSERT)

    def _fields(self, text: str | None) -> dict[str, str] | None:
        """A record's fields from its row's JSON object; ``None`` when there was no live row."""
        if text is None:
            return None
        fields: dict[str, str] = decode_value(self.address, text)
        return fields

    def _sweep_due(self) -> bool:
        """Whether this save should also sweep (up to ``SWEEP_LIMIT`` rows): one in ``_SWEEP_EVERY``."""
        self._saves += 1
        return self._saves % _SWEEP_EVERY == 0

    async def sweep(self, limit: int = 1000) -> int:
        """Delete up to ``limit`` expired records and as many expired index entries; how many went.

        Stores sweep a little on their own as they write. Call this from a periodic job to reclaim
        space after a quiet spell, as Django's ``clearsessions`` does.
        """
        return await self._sweep(check_count("limit", limit, 1))

    async def _sweep(self, limit: int) -> int:
        raise NotImplementedError

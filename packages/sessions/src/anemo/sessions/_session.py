"""Session: one visitor's data, a mapping of JSON values that knows which keys changed."""

from __future__ import annotations

import json
from collections.abc import Iterator, MutableMapping
from typing import Any

from ._store import encode_value
from .errors import InvalidSessionValue, SessionNotLoaded

__all__ = ["Session", "MAX_KEY_LENGTH"]

#: Longest session key, in characters.
MAX_KEY_LENGTH = 200

_MISSING: Any = object()


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise InvalidSessionValue(key, f"keys are str, not {type(key).__name__}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidSessionValue(key, f"keys are 1 to {MAX_KEY_LENGTH} characters")
    return key


def _as_stored(key: str, value: Any) -> Any:
    """``value`` as it will come back from the store: a JSON round trip (tuples become lists)."""
    try:
        return json.loads(encode_value(value))
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidSessionValue(key, f"values must be JSON-serializable: {exc}") from None


class Session(MutableMapping[str, Any]):
    """A visitor's session data: ``str`` keys, JSON-serializable values.

    Made by :meth:`SessionManager.open` without touching the store, filled by ``await
    manager.load(session)``, written by ``await manager.save(session)``, which writes only the
    keys set or deleted since the load. A value is stored as a copy of its JSON form, so what a
    request reads back is what the next request will load (a tuple reads back as a list). A list or
    dict read out of the session and changed in place counts as changed too (it is compared with
    what was loaded). A value that JSON cannot hold raises
    :class:`~anemo.sessions.InvalidSessionValue` (a ``TypeError``) at assignment.
    """

    __slots__ = (
        "_changed",
        "_data",
        "_handed_out",
        "_removed",
        "cookie_signed_at",
        "created_at",
        "id",
        "invalidated_id",
        "loaded",
        "regenerate_requested",
        "stale_cookie",
        "stored_user_id",
        "user_agent",
        "user_changed",
        "user_id",
    )

    def __init__(self, session_id: str | None, *, cookie_signed_at: float | None = None) -> None:
        #: The id while the session has a record; ``None`` for a new one until it is saved.
        self.id = session_id
        #: When the record was created (Unix time); set by the manager on load or first save.
        self.created_at: float | None = None
        #: The signed-in user, set with :meth:`set_user`.
        self.user_id: str | None = None
        #: The user agent recorded with :meth:`set_user`, shown in the user's session list.
        self.user_agent: str | None = None
        self.loaded = False
        self.cookie_signed_at = cookie_signed_at
        self.regenerate_requested = False
        self.user_changed = False
        self.invalidated_id: str | None = None
        self.stale_cookie = False
        #: The user the session's record in the store names (whose index lists it).
        self.stored_user_id: str | None = None
        self._data: dict[str, Any] = {}
        self._changed: set[str] = set()
        self._removed: set[str] = set()
        self._handed_out: dict[str, str] = {}

    @property
    def is_new(self) -> bool:
        """Whether the session has no record yet (nothing saved, or the cookie named no live one)."""
        return self.id is None

    # The mapping.

    def _data_loaded(self) -> dict[str, Any]:
        if not self.loaded:
            raise SessionNotLoaded
        return self._data

    def __getitem__(self, key: str) -> Any:
        value = self._data_loaded()[key]
        if isinstance(value, list | dict) and key not in self._changed and key not in self._handed_out:
            self._handed_out[key] = encode_value(value)  # changed in place? compared at save
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        data = self._data_loaded()
        data[key] = _as_stored(_check_key(key), value)
        self._changed.add(key)
        self._removed.discard(key)
        self._handed_out.pop(key, None)

    def __delitem__(self, key: str) -> None:
        del self._data_loaded()[key]
        self._changed.discard(key)
        self._removed.add(key)
        self._handed_out.pop(key, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data_loaded())

    def __len__(self) -> int:
        return len(self._data_loaded())

    def __contains__(self, key: object) -> bool:
        return key in self._data_loaded()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._data_loaded() else default

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        data = self._data_loaded()
        if key not in data:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = data[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._data_loaded()):
            del self[key]

    def __repr__(self) -> str:
        state = "not loaded" if not self.loaded else f"{len(self._data)} keys"
        return f"<Session {'new' if self.is_new else 'saved'}, {state}>"

    # Life cycle: each takes effect at the next save.

    def regenerate(self) -> None:
        """Move the data to a new id at the next save, deleting the old record (login, privilege change)."""
        self._data_loaded()
        if self.id is not None:
            self.regenerate_requested = True

    def set_user(self, user_id: str, *, user_agent: str | None = None) -> None:
        """Record who is signed in, and regenerate: a new id for a new privilege."""
        self._data_loaded()
        if not isinstance(user_id, str) or not user_id or len(user_id) > MAX_KEY_LENGTH:
            raise InvalidSessionValue("user_id", f"user ids are str of 1 to {MAX_KEY_LENGTH} characters")
        self.user_id = user_id
        self.user_agent = user_agent[:MAX_KEY_LENGTH] if user_agent else None
        self.user_changed = True
        self.regenerate()

    def invalidate(self) -> None:
        """End the session (logout): its record is deleted and its cookie cleared at the next save.

        The session is empty and new afterwards; anything set after this starts a new session.
        """
        self._data_loaded()
        if self.id is not None:
            self.invalidated_id = self.id
        self.id = None
        self.created_at = None
        self.user_id = None
        self.user_agent = None
        self.user_changed = False
        self.regenerate_requested = False
        self._data.clear()
        self._changed.clear()
        self._removed.clear()
        self._handed_out.clear()

    # For the manager.

    def fill(
        self, data: dict[str, Any], *, created_at: float, user_id: str | None, user_agent: str | None
    ) -> None:
        """Put the loaded record in place (the manager calls this)."""
        self._data = data
        self.created_at = created_at
        self.user_id = user_id
        self.stored_user_id = user_id
        self.user_agent = user_agent
        self.loaded = True

    def changes(self) -> tuple[dict[str, Any], set[str]]:
        """The keys to write (with their values) and the keys to delete since the load."""
        changed = {key: self._data[key] for key in self._changed}
        for key, before in self._handed_out.items():
            if key in self._data and encode_value(self._data[key]) != before:
                changed[key] = self._data[key]
        return changed, set(self._removed)

    def everything(self) -> dict[str, Any]:
        """Every key and value, for a new record."""
        return dict(self._data)

    def mark_saved(self, session_id: str, created_at: float) -> None:
        """Forget the pending changes once they are written under ``session_id``."""
        self.id = session_id
        self.created_at = created_at
        self.stored_user_id = self.user_id
        self.regenerate_requested = False
        self.user_changed = False
        self.invalidated_id = None
        self.stale_cookie = False
        self._changed.clear()
        self._removed.clear()
        self._handed_out.clear()

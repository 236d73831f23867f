"""Session: one visitor's data, a mapping of JSON values that knows what changed, and one intent."""

from __future__ import annotations

import enum
import secrets
import time
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any, NamedTuple

from ._ids import log_name
from ._json import decode_value, encode_value
from .errors import InvalidSessionValue, SessionNotLoaded, SessionTooLarge

__all__ = [
    "Session",
    "Flash",
    "FLASH_PREFIX",
    "Intent",
    "Claim",
    "Loaded",
    "Changes",
    "MAX_KEY_LENGTH",
    "DEFAULT_MAX_SIZE",
]

#: Longest session key, in characters.
MAX_KEY_LENGTH = 200
#: Default cap on a session's data: characters of JSON over every key and value.
DEFAULT_MAX_SIZE = 32 * 1024

#: The session keys that hold flash messages: this, then a sortable unique suffix, one key each.
FLASH_PREFIX = "_flash."

_MISSING: Any = object()
_NOTHING: frozenset[str] = frozenset()


class Flash(NamedTuple):
    """A message kept for the next page that shows them (:meth:`Session.flash`)."""

    category: str
    message: Any


class Intent(enum.Enum):
    """What the next save must do besides writing changes; each one replaces the session's id."""

    REGENERATE = "regenerate"  # same data and user, new id (privilege change)
    LOG_IN = "log in"  # a user signs in: new id, lifetime restarts
    END = "end"  # logout: the record goes; anything set afterwards starts a new session


class Loaded(NamedTuple):
    """What a session's record was when the request loaded it (or last saved it)."""

    #: The id of the live record, or ``None`` when there is none.
    id: str | None
    #: The record key the record lives under (a keyed hash of ``id``).
    key: str | None
    created_at: float
    user_id: str | None = None
    user_agent: str | None = None
    #: When the cookie that named the record was signed (``None``: no cookie yet).
    cookie_signed_at: float | None = None
    #: The request carried a session cookie that named no live session: the response clears it.
    stale_cookie: bool = False
    #: The record is encrypted at rest (see SessionManager's ``encrypt``).
    sealed: bool = False
    #: False for a browser session (``set_user(..., remember=False)``).
    remember: bool = True


class Claim(NamedTuple):
    """What the request's cookie claims, before the store is asked: an id and when it was signed."""

    id: str | None
    signed_at: float | None = None
    #: The cookie was there but is not genuine (or too old): the response clears it.
    stale: bool = False


class Changes(NamedTuple):
    """What a request did to its session, as the save planner reads it."""

    intent: Intent | None
    written: dict[str, str]
    removed: frozenset[str]
    #: Every key's JSON text, for a new record.
    texts: dict[str, str]
    size: int
    user_id: str | None
    user_agent: str | None
    remember: bool = True


def _check_key(key: object) -> str:
    if not isinstance(key, str):
        raise InvalidSessionValue(key, f"keys are str, not {type(key).__name__}")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidSessionValue(key, f"keys are 1 to {MAX_KEY_LENGTH} characters")
    return key


def _encode(key: str, value: Any) -> str:
    try:
        return encode_value(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidSessionValue(key, f"values must be JSON-serializable: {exc}") from None


class Session(MutableMapping[str, Any]):
    """A visitor's session data: ``str`` keys, JSON-serializable values.

    Made by :meth:`SessionManager.open` without touching the store, filled by ``await
    manager.load(session)``, written by ``await manager.save(session)``, which writes only the
    keys set or deleted since the load. A loaded value is decoded from its JSON the first time the
    request reads it, so a request pays only for the keys it uses. A value is encoded to JSON
    once, when it is set, and the session keeps a copy of that JSON, so what a request reads back
    is what the next request will load (a tuple reads back as a list). A list or dict read out of
    the session and changed in place counts as changed too. A value JSON cannot hold raises
    :class:`~anemo.sessions.InvalidSessionValue` (a ``TypeError``) at assignment, and data past
    the manager's ``max_size`` raises :class:`~anemo.sessions.SessionTooLarge` (a ``ValueError``).
    """

    __slots__ = (
        "_accessed",
        "_address",
        "_data",
        "_handed_out",
        "_intent",
        "_loaded",
        "_max_size",
        "_remember",
        "_removed",
        "_size",
        "_texts",
        "_user",
        "_written",
        "claim",
        "client_ip",
    )

    def __init__(self, claim: Claim | None = None) -> None:
        #: What the cookie claimed; the manager's load turns it into a loaded state.
        self.claim = claim if claim is not None else Claim(None)
        #: The client's IP address, which a user's session list shows (set by the Tornado adapter).
        self.client_ip: str | None = None
        self._loaded: Loaded | None = None
        self._accessed = False
        self._max_size = DEFAULT_MAX_SIZE
        self._address = ""
        #: Every key's JSON text; ``_data`` holds the values decoded so far.
        self._texts: dict[str, str] = {}
        self._data: dict[str, Any] = {}
        self._size = 0
        self._written: set[str] = set()
        self._removed: set[str] = set()
        self._handed_out: set[str] = set()
        self._intent: Intent | None = None
        self._user: tuple[str | None, str | None] = (None, None)
        self._remember = True

    # What the session is.

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def _state(self) -> Loaded:
        if self._loaded is None:
            raise SessionNotLoaded
        return self._loaded

    @property
    def id(self) -> str | None:
        """The id of the session's record; ``None`` while the session is new, and after ``invalidate``."""
        state = self._loaded
        if state is None or self._intent is Intent.END:
            return None
        return state.id

    @property
    def is_new(self) -> bool:
        """Whether the session has no record yet (nothing saved, or the cookie named no live one)."""
        return self.id is None

    @property
    def id_hash(self) -> str | None:
        """How logs and ``sessions_of`` name this session (never its id); ``None`` while it is new."""
        state = self._loaded
        return (
            None if state is None or state.key is None or self._intent is Intent.END else log_name(state.key)
        )

    @property
    def created_at(self) -> float | None:
        """When the record was created (Unix time); ``None`` until the session is loaded."""
        return None if self._loaded is None else self._loaded.created_at

    @property
    def user_id(self) -> str | None:
        """The signed-in user, set with :meth:`set_user`."""
        self._accessed = True
        return self._user[0]

    @property
    def accessed(self) -> bool:
        """Whether the request read or wrote the session's data or user (the response depends on it)."""
        return self._accessed

    @property
    def signing_in(self) -> bool:
        """Whether the next save signs a user in (:meth:`set_user` was called since the last one)."""
        return self._intent is Intent.LOG_IN

    @property
    def remember(self) -> bool:
        """False for a browser session: signed in without "remember me" (see :meth:`set_user`)."""
        return self._remember

    @property
    def user_agent(self) -> str | None:
        """The user agent recorded with :meth:`set_user`, shown in the user's session list."""
        return self._user[1]

    # The mapping.

    def _texts_loaded(self) -> dict[str, str]:
        if self._loaded is None:
            raise SessionNotLoaded
        self._accessed = True
        return self._texts

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._data[key]
        except KeyError:
            value = self._data[key] = decode_value(self._address, self._texts_loaded()[key])
        self._accessed = True
        if isinstance(value, list | dict):
            self._handed_out.add(key)  # changed in place? compared with its JSON at save
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        texts = self._texts_loaded()
        text = _encode(_check_key(key), value)
        self._resize(key, text)
        self._data.pop(key, None)  # read back from its JSON, as the next request will
        texts[key] = text
        self._written.add(key)
        self._removed.discard(key)
        self._handed_out.discard(key)

    def __delitem__(self, key: str) -> None:
        text = self._texts_loaded().pop(key)
        self._data.pop(key, None)
        self._size = self._current_size() - len(key) - len(text)
        self._written.discard(key)
        self._removed.add(key)
        self._handed_out.discard(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts_loaded())

    def __len__(self) -> int:
        return len(self._texts_loaded())

    def __contains__(self, key: object) -> bool:
        return key in self._texts_loaded()

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._texts_loaded() else default

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        if key not in self._texts_loaded():
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = self[key]
        del self[key]
        return value

    def clear(self) -> None:
        for key in list(self._texts_loaded()):
            del self[key]

    def __repr__(self) -> str:
        if self._loaded is None:
            return "<Session not loaded>"
        return f"<Session {'new' if self.is_new else 'saved'}, {len(self._texts)} keys>"

    def _current_size(self) -> int:
        """Characters of JSON over every key and value, counted once and then kept up to date."""
        if self._size < 0:
            self._size = sum(map(len, self._texts)) + sum(map(len, self._texts.values()))
        return self._size

    def _resize(self, key: str, text: str) -> None:
        """Account for ``key`` holding ``text``; refuse it when the data would pass ``max_size``."""
        before = self._texts.get(key)
        size = self._current_size() + len(text) - (len(before) if before is not None else -len(key))
        if size > self._max_size:
            raise SessionTooLarge(size, self._max_size)
        self._size = size

    # Flash messages.

    def flash(self, message: Any, category: str = "message") -> None:
        """Keep ``message`` (any JSON value) for the next page that shows flash messages, once.

        For a message that must survive a redirect ("Saved."). Each message is a session key of
        its own (``_flash.`` and a sortable unique suffix), so two requests that flash at once,
        from two tabs, both keep their message: field-level writes merge them.
        """
        if not isinstance(category, str):
            raise InvalidSessionValue("category", f"a flash category is a str, not {type(category).__name__}")
        self[f"{FLASH_PREFIX}{time.time_ns():020d}.{secrets.token_hex(4)}"] = [category, message]

    def flashes(self, category: str | None = None) -> list[Flash]:
        """The flash messages (of ``category``, or all), oldest first, removed as they are read."""
        taken: list[Flash] = []
        for key in sorted(key for key in self._texts_loaded() if key.startswith(FLASH_PREFIX)):
            value = self[key]
            valid = isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            if valid and category is not None and value[0] != category:
                continue
            del self[key]  # a malformed one is dropped too
            if valid:
                taken.append(Flash(*value))
        return taken

    # Intents: each takes effect at the next save.

    def regenerate(self) -> None:
        """Move the data to a new id at the next save, deleting the old record (privilege change)."""
        self._state()
        if self._intent is None:
            self._intent = Intent.REGENERATE

    def set_user(
        self, user_id: str, *, user_agent: str | None = None, keep: Iterable[str] = (), remember: bool = True
    ) -> None:
        """Sign ``user_id`` in: a new id at the next save, and only the keys named in ``keep`` survive.

        Everything else written before the login is dropped now, so nothing a visitor (or an
        attacker who planted a session) stored before signing in reaches the signed-in session.
        Keys set after this call are kept. ``remember=False`` ("remember me" unticked) makes it a
        browser session: its cookie has no Max-Age, so the browser drops it when it closes, and
        the server ends it after the manager's ``browser_lifetime`` however active it is.
        """
        self._state()
        if not isinstance(user_id, str) or not user_id or len(user_id) > MAX_KEY_LENGTH:
            raise InvalidSessionValue("user_id", f"user ids are str of 1 to {MAX_KEY_LENGTH} characters")
        kept = set(keep)
        for key in [key for key in self._texts if key not in kept]:
            del self[key]
        self._user = (user_id, user_agent[:MAX_KEY_LENGTH] if user_agent else None)
        self._remember = bool(remember)
        self._intent = Intent.LOG_IN

    def invalidate(self) -> None:
        """End the session (logout): its record is deleted and its cookie cleared at the next save.

        The session is empty and new afterwards; anything set after this starts a new session.
        """
        self.clear()
        self._user = (None, None)
        self._remember = True
        self._intent = Intent.END

    # For the manager.

    @property
    def state(self) -> Loaded:
        """The record as loaded or last saved; :class:`SessionNotLoaded` before the load."""
        return self._state()

    def attach(self, state: Loaded, texts: dict[str, str], max_size: int, address: str) -> None:
        """Put the loaded record in place: its state and each key's JSON text (``address``: the store's)."""
        self._loaded = state
        self._texts = texts
        self._data = {}
        self._address = address
        self._size = -1  # counted at the first write: a read-only request never needs it
        self._max_size = max_size
        self._user = (state.user_id, state.user_agent)
        self._remember = state.remember

    def pending(self) -> Changes:
        """What the next save must write: the keys set or deleted, and lists or dicts changed in place."""
        for key in self._handed_out:  # read (or set, then read) and maybe changed in place since
            if key in self._data:
                text = _encode(key, self._data[key])
                if text != self._texts[key]:
                    self._size = self._current_size() + len(text) - len(self._texts[key])
                    self._texts[key] = text
                    self._written.add(key)
        self._handed_out.clear()
        return Changes(
            self._intent,
            {key: self._texts[key] for key in self._written},
            frozenset(self._removed) if self._removed else _NOTHING,
            self._texts,
            self._current_size() if self._written else 0,
            *self._user,
            self._remember,
        )

    def settle(self, state: Loaded) -> None:
        """Forget the pending changes once the save wrote them; ``state`` is the record now."""
        self._loaded = state
        self._intent = None
        self._written.clear()
        self._removed.clear()
        self._handed_out.clear()

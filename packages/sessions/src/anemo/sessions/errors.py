"""The exceptions of anemo.sessions, all under one base class.

::

    SessionError
    ├── InvalidOption        (also ValueError)  a bad argument or setting, such as a negative timeout
    │   ├── InvalidOptionType (also TypeError)  an argument of the wrong type, such as a URL of bytes
    │   └── InvalidStoreURL                     a store URL with a wrong part; ``part`` names it
    ├── InvalidSessionValue  (also TypeError)   a value or key a session cannot hold (not JSON, not str)
    ├── SessionTooLarge      (also ValueError)  a record past the manager's ``max_size``; nothing is written
    ├── SessionNotLoaded     (also RuntimeError) the session was used before it was loaded
    │   └── SessionNotOpened (also AttributeError) ``self.session`` before SessionMixin.prepare() ran
    ├── NotSupported                            the store cannot do this (memcached: no user index)
    └── StoreError                              the store failed; ``address`` names the node
        ├── StoreUnavailable                    down, refusing, stalled or failing over
        └── WriteConflict                       a compare-and-set write lost every retry

A :class:`StoreError` is raised ``from`` the client library's exception, which stays in
``__cause__`` for logs.
"""

from __future__ import annotations

__all__ = [
    "SessionError",
    "InvalidOption",
    "InvalidOptionType",
    "InvalidSessionValue",
    "InvalidStoreURL",
    "SessionNotLoaded",
    "SessionNotOpened",
    "SessionTooLarge",
    "NotSupported",
    "StoreError",
    "StoreUnavailable",
    "WriteConflict",
]


class SessionError(Exception):
    """Base class of every error raised by anemo.sessions."""


class InvalidSessionValue(SessionError, TypeError):
    """A session key must be a ``str`` and a value must be JSON-serializable."""

    def __init__(self, key: object, reason: str) -> None:
        super().__init__(f"session key {key!r}: {reason}")
        self.key = key
        self.reason = reason


class InvalidOption(SessionError, ValueError):
    """An argument or setting cannot be used, such as ``idle_timeout=-1`` or a shard without a name."""


class InvalidOptionType(InvalidOption, TypeError):
    """An argument or setting has the wrong type, such as a ``session_manager`` that is not one."""


class InvalidStoreURL(InvalidOption):
    """A store URL could not be understood; ``part`` names what is wrong (passwords are hidden)."""

    def __init__(self, url: str, part: str, reason: str) -> None:
        super().__init__(f"store URL {url!r}: {part}: {reason}")
        self.url = url
        self.part = part
        self.reason = reason


class SessionNotLoaded(SessionError, RuntimeError):
    """The session's data was used before it was loaded; the message names the call that loads it."""

    def __init__(
        self,
        reason: str = "the session is not loaded yet: in a handler, await self.load_session() first "
        "(outside Tornado, await manager.load(session))",
    ) -> None:
        super().__init__(reason)


class SessionNotOpened(SessionNotLoaded, AttributeError):
    """``self.session`` was read in a handler whose ``prepare()`` did not call ``super().prepare()``.

    Also an ``AttributeError``, so ``getattr(handler, "session", None)`` still answers ``None``
    (an error page rendered before ``prepare`` ran, for instance).
    """

    def __init__(self, handler: str) -> None:
        super().__init__(
            f"{handler}.session is not set: SessionMixin.prepare() did not run. "
            "A handler that overrides prepare() must call `await super().prepare()` first"
        )


class SessionTooLarge(SessionError, ValueError):
    """The session's data would take more than the manager's ``max_size`` bytes of JSON."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            f"session data would be {size} bytes of JSON, over the limit of {limit}: "
            "keep less in the session (or raise SessionManager(max_size=...))"
        )
        self.size = size
        self.limit = limit


class NotSupported(SessionError):
    """The store cannot do what was asked; ``reason`` says why."""

    def __init__(self, store: str, operation: str, reason: str) -> None:
        super().__init__(f"{store} does not support {operation}: {reason}")
        self.store = store
        self.operation = operation
        self.reason = reason


class StoreError(SessionError):
    """The store failed to carry out an operation."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"session store {address}: {reason}")
        #: The node that failed, such as ``"127.0.0.1:6379"``.
        self.address = address
        self.reason = reason


class StoreUnavailable(StoreError):
    """The store's server is down, refused the connection or did not answer within its timeout."""


class WriteConflict(StoreError):
    """Concurrent writers kept changing the record, so a compare-and-set write gave up."""

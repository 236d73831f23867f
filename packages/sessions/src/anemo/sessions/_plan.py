"""The save planner: what the store must do for one session, as a pure function of its state.

``plan_save(loaded, changes, now, policy)`` looks at what the request started with, what it
changed and its intent, and returns the steps; :meth:`SessionManager.save` carries them out in
order. Every rule of a session's life is here, in one screen, testable without a store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from ._session import Changes, Intent, Loaded
from .errors import SessionTooLarge

__all__ = ["Policy", "Write", "Touch", "Delete", "Plan", "plan_save"]


@dataclass(frozen=True, slots=True)
class Policy:
    """The manager's timing and size rules, in seconds and characters of JSON."""

    idle_timeout: float
    anonymous_idle_timeout: float
    lifetime: float
    refresh_interval: float
    max_size: int
    #: The lifetime of a browser session (signed in without "remember me"), at most ``lifetime``.
    browser_lifetime: float

    def lifetime_of(self, remember: bool) -> float:
        """Seconds after its creation at which a session ends: shorter for a browser session."""
        return self.lifetime if remember else self.browser_lifetime

    def ttl(self, created: float, now: float, user_id: str | None, remember: bool = True) -> float:
        """Seconds a record may live from ``now``: the idle timeout, cut at the lifetime's end."""
        idle = self.idle_timeout if user_id is not None else self.anonymous_idle_timeout
        return max(1.0, min(idle, created + self.lifetime_of(remember) - now))


@dataclass(frozen=True, slots=True)
class Write:
    """Write session keys (their JSON texts) and delete others; ``key=None``: a new record, new id."""

    key: str | None
    written: dict[str, str]
    removed: frozenset[str]
    ttl: float


@dataclass(frozen=True, slots=True)
class Touch:
    """Let the record live ``ttl`` seconds more; ``indexed``: and refresh its user's index entry."""

    key: str
    ttl: float
    indexed: bool = False


@dataclass(frozen=True, slots=True)
class Delete:
    """Delete a record, and its entry in the index of ``user_id`` when it names one."""

    key: str
    user_id: str | None


Step = Write | Touch | Delete


class Plan(NamedTuple):
    """The steps in order, then: add the session to its user's index? and what to do with the cookie.

    A touch that refreshes the index does it itself (``Touch.indexed``), in the same round trip.
    """

    steps: tuple[Step, ...]
    add_to_index: bool
    cookie: Literal["set", "clear", "keep"]
    created: float
    ttl: float


def plan_save(loaded: Loaded, changes: Changes, now: float, policy: Policy) -> Plan:
    """The steps that make the store hold what ``changes`` says, from the ``loaded`` state.

    Raises :class:`SessionTooLarge` (before any step) when the data is past ``policy.max_size``.
    """
    if changes.size > policy.max_size:
        raise SessionTooLarge(changes.size, policy.max_size)
    user = changes.user_id
    intent = changes.intent if loaded.key is not None else None  # a new session has no id to replace
    if intent is None and loaded.key is not None:
        return _update(loaded, loaded.key, changes, now, policy)
    # A new record, if there is anything to keep; the old one goes.
    created = loaded.created_at if intent is Intent.REGENERATE else now
    ttl = policy.ttl(created, now, user, changes.remember)
    old: tuple[Step, ...] = (
        () if intent is None or loaded.key is None else (Delete(loaded.key, loaded.user_id),)
    )
    if not changes.texts and user is None:
        cookie: Literal["clear", "keep"] = "clear" if old or loaded.stale_cookie else "keep"
        return Plan(old, False, cookie, created, ttl)
    create = Write(None, changes.texts, frozenset(), ttl)
    # Logout deletes first; regenerate and login write first, so a failure leaves the old session whole.
    steps = (*old, create) if intent is Intent.END else (create, *old)
    return Plan(steps, user is not None, "set", created, ttl)


def _update(loaded: Loaded, key: str, changes: Changes, now: float, policy: Policy) -> Plan:
    """The same record: write what changed, or slide its expiry once the cookie is due a refresh."""
    ttl = policy.ttl(loaded.created_at, now, changes.user_id, changes.remember)
    due = loaded.cookie_signed_at is None or now - loaded.cookie_signed_at >= policy.refresh_interval
    index = due and changes.user_id is not None
    if changes.written or changes.removed:
        write = Write(key, changes.written, changes.removed, ttl)
        return Plan((write,), index, "set" if due else "keep", loaded.created_at, ttl)
    if due:
        return Plan((Touch(key, ttl, index),), False, "set", loaded.created_at, ttl)
    return Plan((), False, "keep", loaded.created_at, ttl)

"""The exceptions of anemo.captcha: one base class, each subclass carrying its context.

::

    CaptchaError
    ├── InvalidOption          (also ValueError) a bad argument, such as a lifetime over a day
    │   ├── InvalidOptionType  (also TypeError) an argument of the wrong type, such as the store
    │   └── RenderError        bad arguments to render() or random_text(); ``argument`` names it
    ├── CallModeError          (also TypeError) a sync method on a service whose store is async
    ├── FontUnavailable        (also RuntimeError) Pillow was built without FreeType
    ├── StoreFull              the in-memory store is full of live entries it may not forget
    ├── StoreError             a shared store's server failed; ``address`` and ``reason``
    │   └── StoreUnavailable   down, refusing, stalled or failing over: try again later
    └── VerificationError      a challenge was not passed; ``challenge_id`` when known
        ├── InvalidChallenge   unknown, malformed, forged, already used or expired (server-side)
        ├── ChallengeExpired   a stateless token older than the service's lifetime
        ├── ChallengeReplayed  a stateless token whose challenge was already used
        └── WrongAnswer        the answer did not match; the challenge is consumed all the same

Mistakes in the calling code are ``ValueError`` or ``TypeError`` subclasses; the rest are the
store's state or the user's answer. Every verification failure consumes the challenge, so callers
may show one message for all of them; the subclasses exist for logs and metrics.
"""

from __future__ import annotations

__all__ = [
    "CaptchaError",
    "InvalidOption",
    "InvalidOptionType",
    "RenderError",
    "CallModeError",
    "FontUnavailable",
    "StoreFull",
    "StoreError",
    "StoreUnavailable",
    "VerificationError",
    "InvalidChallenge",
    "ChallengeExpired",
    "ChallengeReplayed",
    "WrongAnswer",
]


class CaptchaError(Exception):
    """Base class of every error raised by anemo.captcha."""


class InvalidOption(CaptchaError, ValueError):
    """An argument cannot be used, such as ``lifetime=0`` or a stateless service without a store."""


class InvalidOptionType(InvalidOption, TypeError):
    """An argument has the wrong type, such as a store that is neither sync nor async."""


class CallModeError(CaptchaError, TypeError):
    """A sync method was called on a service whose store is asynchronous; await the ``a`` method."""


class FontUnavailable(CaptchaError, RuntimeError):
    """Pillow was built without FreeType, so no text can be drawn: reinstall Pillow from a wheel."""


class RenderError(InvalidOption):
    """An argument of :func:`~anemo.captcha.render` or :func:`~anemo.captcha.random_text` is unusable."""

    def __init__(self, argument: str, value: object, reason: str) -> None:
        super().__init__(f"{argument}={value!r}: {reason}")
        self.argument = argument
        self.value = value
        self.reason = reason


class StoreFull(CaptchaError):
    """A :class:`~anemo.captcha.MemoryStore` holds ``capacity`` live entries and may forget none."""

    def __init__(self, capacity: int) -> None:
        super().__init__(f"the store holds {capacity} live entries, its limit")
        self.capacity = capacity


class StoreError(CaptchaError):
    """A shared store's server failed, such as Redis out of memory; nothing is issued or accepted."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"captcha store {address}: {reason}")
        self.address = address
        self.reason = reason


class StoreUnavailable(StoreError):
    """A shared store did not answer within its timeout, or is failing over: a later try may pass."""


class VerificationError(CaptchaError):
    """A challenge was not passed; ``challenge_id`` is ``None`` when the token could not be read."""

    def __init__(self, message: str, challenge_id: str | None = None) -> None:
        super().__init__(message)
        self.challenge_id = challenge_id


class InvalidChallenge(VerificationError):
    """No usable challenge: malformed or forged token, or (server-side) unknown, used or expired."""


class ChallengeExpired(VerificationError):
    """A stateless challenge older than the service's lifetime."""

    def __init__(self, message: str, challenge_id: str | None, age: float) -> None:
        super().__init__(message, challenge_id)
        self.age = age


class ChallengeReplayed(VerificationError):
    """A stateless challenge that was already submitted once."""


class WrongAnswer(VerificationError):
    """The answer did not match; the challenge is used up regardless."""

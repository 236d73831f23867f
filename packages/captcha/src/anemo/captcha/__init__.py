"""Pillow image captcha, an accessible proof of work, and a one-time, expiring verification flow."""

from ._pow import ProofOfWork
from ._render import IMAGE_TYPES, render
from ._service import CaptchaService, Challenge
from ._store import AsyncChallengeStore, ChallengeStore, MemoryStore
from ._text import ALPHABET, MAX_LENGTH, normalize_answer, random_text
from ._verdict import PendingVerdict
from .errors import (
    CallModeError,
    CaptchaError,
    ChallengeExpired,
    ChallengeReplayed,
    FontUnavailable,
    InvalidChallenge,
    InvalidOption,
    InvalidOptionType,
    RenderError,
    StoreError,
    StoreFull,
    StoreUnavailable,
    VerificationError,
    WrongAnswer,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # verification
    "CaptchaService",
    "Challenge",
    "ChallengeStore",
    "AsyncChallengeStore",
    "MemoryStore",
    "PendingVerdict",
    # proof of work
    "ProofOfWork",
    # images
    "render",
    "random_text",
    "normalize_answer",
    "ALPHABET",
    "MAX_LENGTH",
    "IMAGE_TYPES",
    # errors
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

"""Pillow image captcha and a one-time, expiring verification flow."""

from ._render import IMAGE_TYPES, render
from ._text import ALPHABET, MAX_LENGTH, normalize_answer, random_text
from .errors import (
    CaptchaError,
    ChallengeExpired,
    ChallengeReplayed,
    InvalidChallenge,
    RenderError,
    VerificationError,
    WrongAnswer,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
    # images
    "render",
    "random_text",
    "normalize_answer",
    "ALPHABET",
    "MAX_LENGTH",
    "IMAGE_TYPES",
    # errors
    "CaptchaError",
    "RenderError",
    "VerificationError",
    "InvalidChallenge",
    "ChallengeExpired",
    "ChallengeReplayed",
    "WrongAnswer",
]

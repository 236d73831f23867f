"""anemo.captcha against the ``captcha`` package's ImageCaptcha: one 160x60 PNG, encoding included.

Both draw five characters from the same alphabet, texts cycling so no one text is favoured. The
flow cases (issue, image, verify) have no peer: ImageCaptcha offers no verification.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable

from harness import Suite

from anemo.captcha import ALPHABET, CaptchaService, MemoryStore, render

_rng = random.Random(11)  # fixed texts: runs stay comparable
TEXTS = ["".join(_rng.choice(ALPHABET) for _ in range(5)) for _ in range(64)]


def _image_captcha_png() -> Callable[[], bytes] | None:
    try:
        from captcha.image import ImageCaptcha
    except ImportError:
        return None
    generator = ImageCaptcha(width=160, height=60)
    texts = itertools.cycle(TEXTS)
    return lambda: generator.generate(next(texts), format="png").getvalue()


def _ours_png() -> Callable[[], bytes]:
    texts, seeds = itertools.cycle(TEXTS), itertools.count()
    return lambda: render(next(texts), width=160, height=60, fmt="PNG", seed=next(seeds))


def _flow(service: CaptchaService) -> Callable[[], None]:
    """Issue a challenge, draw its image, answer it (wrongly: the cost is the same)."""

    def run() -> None:
        challenge = service.issue()
        service.image(challenge.id)
        service.passes(challenge.token, "ACE34")

    return run


def suite() -> Suite:
    """Rendering against ImageCaptcha, and a whole challenge round in each storage mode."""
    bench = Suite("anemo.captcha: image rendering (160x60 PNG) and the verification flow")
    bench.case("render 160x60 PNG", _ours_png(), {"captcha.ImageCaptcha": _image_captcha_png()})
    bench.case("issue + image + verify, server-side (memory)", _flow(CaptchaService()), {})
    stateless = CaptchaService(MemoryStore(), secret_key="benchmark secret, not for production")
    bench.case("issue + image + verify, stateless (memory used-ids)", _flow(stateless), {})
    return bench

"""A mistake in the calling code is a CaptchaError and a ValueError or TypeError, raised when the
service or store is made; a failed challenge is never one of those."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from PIL import ImageFont

from anemo.captcha import (
    CallModeError,
    CaptchaError,
    CaptchaService,
    FontUnavailable,
    InvalidOption,
    InvalidOptionType,
    MemoryStore,
    RenderError,
    VerificationError,
    _render,
    random_text,
    render,
)
from anemo.captcha.redis import AsyncRedisStore, RedisStore
from anemo_testing import raises_mistake

SECRET = "a stateless secret of 32 bytes.."

VALUE_MISTAKES: dict[str, Callable[[], object]] = {
    "no lifetime": lambda: CaptchaService(lifetime=0),
    "a lifetime over a day": lambda: CaptchaService(lifetime=86_401),
    "a lifetime that is text": lambda: CaptchaService(lifetime="300"),  # type: ignore[arg-type]
    "a stateless service without a store": lambda: CaptchaService(secret_key=SECRET),
    "a short secret": lambda: CaptchaService(MemoryStore(), secret_key="short"),
    "an empty memory store": lambda: MemoryStore(max_entries=0),
    "a memory store size that is text": lambda: MemoryStore(max_entries="9"),  # type: ignore[arg-type]
    "a Redis timeout of an hour": lambda: RedisStore.from_url("redis://127.0.0.1:1", timeout=3600),
    "an async Redis timeout of 0": lambda: AsyncRedisStore.from_url("redis://127.0.0.1:1", timeout=0),
    "a text of no symbols": lambda: random_text(0),
    "an image format Pillow lacks": lambda: render("ABCDE", fmt="NOPE"),
    "a service that cannot draw its images": lambda: CaptchaService(width=2),
}


@pytest.mark.parametrize("mistake", VALUE_MISTAKES.values(), ids=VALUE_MISTAKES.keys())
def test_a_bad_argument_is_an_invalid_option(mistake: Callable[[], object]) -> None:
    raises_mistake(mistake, InvalidOption, CaptchaError, ValueError)


def test_render_errors_are_invalid_options_that_name_the_argument() -> None:
    with pytest.raises(RenderError) as caught:
        render("ABCDE", width=2)
    assert isinstance(caught.value, InvalidOption)
    assert caught.value.argument == "width"


def test_a_store_of_neither_kind_is_an_invalid_option_type() -> None:
    with pytest.raises(InvalidOptionType, match="put, get, take and add") as caught:
        CaptchaService(store={})  # type: ignore[arg-type]
    assert isinstance(caught.value, TypeError)


def test_a_sync_call_on_an_async_store_is_a_call_mode_error() -> None:
    async def main() -> None:
        store = AsyncRedisStore.from_url("redis://127.0.0.1:1")
        service = CaptchaService(store)
        with pytest.raises(CallModeError, match=r"await service\.aissue") as caught:
            service.issue()
        assert isinstance(caught.value, TypeError)
        await store.aclose()

    asyncio.run(main())


@pytest.fixture
def pillow_without_freetype(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Pillow's bitmap default font, as a Pillow built without FreeType gives."""
    _render._font.cache_clear()
    monkeypatch.setattr(ImageFont, "load_default", lambda size=None: ImageFont.ImageFont())
    yield
    _render._font.cache_clear()


@pytest.mark.usefixtures("pillow_without_freetype")
def test_pillow_without_freetype_is_a_font_unavailable() -> None:
    with pytest.raises(FontUnavailable, match="FreeType") as caught:
        render("ABCDE")
    assert isinstance(caught.value, RuntimeError)
    assert isinstance(caught.value, CaptchaError)


def test_a_wrong_answer_is_not_a_caller_mistake() -> None:
    service = CaptchaService()
    challenge = service.issue()
    with pytest.raises(VerificationError) as caught:
        service.verify(challenge.token, "wrong")
    assert not isinstance(caught.value, InvalidOption | ValueError | TypeError)

"""The captcha as an anemo-formvalidate field (extra ``formvalidate``, installed for the tests)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from anemo import formvalidate
from anemo.captcha import CaptchaService, Challenge, MemoryStore
from anemo.captcha.formvalidate import CODE, DEFAULT_MESSAGE, captcha_field
from anemo.captcha.redis import AsyncRedisStore

if TYPE_CHECKING:
    from anemo_testing import Clock, RedisServer

SECRET = "a test secret, long enough to be one"


@pytest.fixture(params=["server-side", "stateless"])
def service(request: pytest.FixtureRequest, clock: Clock) -> CaptchaService:
    """A service in each mode."""
    if request.param == "server-side":
        return CaptchaService(clock=clock)
    return CaptchaService(MemoryStore(), secret_key=SECRET, clock=clock)


def login_form(service: CaptchaService, **options: Any) -> type[Any]:
    class LoginForm(formvalidate.Form):
        captcha = captcha_field(service, **options)
        user = formvalidate.StringField(max_length=20)

    return LoginForm


def submit(challenge: Challenge, answer: str | None, user: str = "ada") -> dict[str, list[str]]:
    post = {"captcha.challenge": [challenge.token], "user": [user]}
    if answer is not None:
        post["captcha.answer"] = [answer]
    return post


def solution(service: CaptchaService, challenge: Challenge) -> str:
    return service.answer(challenge.id)


def test_right_answer_validates_once(service: CaptchaService) -> None:
    """The form is valid with the right answer; the same post again is not."""
    form_class = login_form(service)
    challenge = service.issue()
    post = submit(challenge, solution(service, challenge).lower())
    form = form_class(post)
    assert form.is_valid(), form.errors
    assert form.data["user"] == "ada"
    replay = form_class(post)
    assert not replay.is_valid()
    assert replay.errors == {"captcha": DEFAULT_MESSAGE}


@pytest.mark.parametrize("typed", ["WRONG", "", None])
def test_wrong_empty_or_missing_answer_fails_and_consumes(service: CaptchaService, typed: str | None) -> None:
    """Any failed answer, even none, uses the challenge up: the right one fails afterwards."""
    form_class = login_form(service)
    challenge = service.issue()
    answer = solution(service, challenge)
    assert not form_class(submit(challenge, typed)).is_valid()
    assert not form_class(submit(challenge, answer)).is_valid()


def test_captcha_is_checked_independently_of_other_fields(service: CaptchaService) -> None:
    """A right answer in a form with another bad field is still spent, and only that field errs."""
    form_class = login_form(service)
    challenge = service.issue()
    answer = solution(service, challenge)
    form = form_class(submit(challenge, answer, user="x" * 50))
    assert not form.is_valid()
    assert set(form.errors) == {"user"}
    again = form_class(submit(challenge, answer))
    assert not again.is_valid()
    assert set(again.errors) == {"captcha"}


def test_no_captcha_inputs_at_all_is_an_error(service: CaptchaService) -> None:
    """A post without the captcha inputs never validates."""
    form = login_form(service, message="Try the picture again")({"user": ["ada"]})
    assert not form.is_valid()
    assert form.errors == {"captcha": "Try the picture again"}


def test_the_message_follows_the_locale(service: CaptchaService) -> None:
    """The "captcha" code is worded by the form's locale, Traditional Chinese included."""
    form_class = login_form(service)
    expected = {
        None: DEFAULT_MESSAGE,
        "zh_CN": "输入的字符与图片不符。请试试新的图片。",
        "zh-TW": "輸入的字元與圖片不符。請試試新的圖片。",
        "zh_HK": "輸入的字元與圖片不符。請試試新的圖片。",
        "fr_FR": DEFAULT_MESSAGE,  # no catalog: English
    }
    for locale, message in expected.items():
        form = form_class(submit(service.issue(), "WRONG"), locale=locale)
        assert not form.is_valid()
        assert form.errors == {"captcha": message}
        assert [(error.path, error.code) for error in form.error_details] == [("captcha", CODE)]


def test_an_application_wording_is_kept(service: CaptchaService) -> None:
    """A catalog entry the application set for the code wins over the package's default."""
    formvalidate.add_catalog("de_DE", {CODE: "Die Zeichen stimmen nicht."})
    formvalidate.add_catalog("en_GB", {CODE: "Those characters do not match, I'm afraid."})
    form_class = login_form(service)  # registers the package's wording, replace=False
    german = form_class(submit(service.issue(), "WRONG"), locale="de_DE")
    assert german.errors == {"captcha": "Die Zeichen stimmen nicht."}
    british = form_class(submit(service.issue(), "WRONG"), locale="en_GB")
    assert british.errors == {"captcha": "Those characters do not match, I'm afraid."}


def test_an_async_store_makes_an_async_form(redis_server: RedisServer) -> None:
    """Over AsyncRedisStore the field's check is awaited by form.validate(): right once, in Chinese."""

    async def main() -> None:
        async with AsyncRedisStore.from_url(redis_server.url) as store:
            service = CaptchaService(store)
            form_class = login_form(service)
            challenge = await service.aissue()
            post = submit(challenge, await service.aanswer(challenge.id))
            early = form_class(post)
            with pytest.raises(formvalidate.AwaitRequired):
                early.is_valid()  # a clear error the code can act on, not "use await service..."
            form = form_class(post)
            assert await form.validate()
            assert form.data["user"] == "ada"
            replay = form_class(post, locale="zh_TW")
            assert not await replay.validate()
            assert replay.errors == {"captcha": "輸入的字元與圖片不符。請試試新的圖片。"}
            other = await service.aissue()
            right = await service.aanswer(other.id)
            bad_user = form_class(submit(other, right, user="x" * 50))
            assert not await bad_user.validate()
            assert set(bad_user.errors) == {"user"}
            assert not await form_class(submit(other, right)).validate()  # spent all the same

    asyncio.run(main())

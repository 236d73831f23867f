"""The captcha as an anemo-formvalidate field (extra ``formvalidate``, installed for the tests)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from anemo import formvalidate
from anemo.captcha import CaptchaService, Challenge, MemoryStore
from anemo.captcha.formvalidate import DEFAULT_MESSAGE, captcha_field

if TYPE_CHECKING:
    from anemo_testing import Clock

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

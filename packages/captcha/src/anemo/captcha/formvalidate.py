"""anemo-formvalidate integration: a captcha as a field of a form (needs anemo-formvalidate).

::

    class LoginForm(Form):
        captcha = captcha_field(service)     # submitted as captcha.challenge and captcha.answer
        user = StringField(max_length=64)
        password = StringField(max_length=256)

The field checks its challenge whatever the other fields hold, and uses it up right or wrong,
empty answer included. anemo.formvalidate is imported when a field is made, not when this module
is, so the module can be imported (and its wheel checked) without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._service import CaptchaService

if TYPE_CHECKING:
    from anemo.formvalidate import FormField

__all__ = ["DEFAULT_MESSAGE", "captcha_field"]

DEFAULT_MESSAGE = "The characters typed do not match the picture. Please try the new one."


def captcha_field(service: CaptchaService, *, message: str = DEFAULT_MESSAGE) -> FormField:
    """A form field passed only by a right first answer to the challenge it carries.

    Its inputs are ``NAME.challenge`` (the challenge's token, a hidden input) and ``NAME.answer``
    (what the person typed); a failure is reported under ``NAME`` with ``message``.
    """
    from anemo.formvalidate import Form, FormField, StringField, ValidationError  # noqa: PLC0415

    class CaptchaForm(Form):
        # Optional and unbounded here (the form's Limits bound every value): whatever arrives,
        # clean() runs and the challenge is used up.
        challenge = StringField(required=False)
        answer = StringField(required=False)

        def clean(self) -> None:
            if not service.passes(self.data["challenge"] or "", self.data["answer"] or ""):
                raise ValidationError(message)

    return FormField(CaptchaForm)

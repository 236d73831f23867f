"""anemo-formvalidate integration: a captcha as a field of a form (needs anemo-formvalidate).

::

    class LoginForm(Form):
        captcha = captcha_field(service)     # submitted as captcha.challenge and captcha.answer
        user = StringField(max_length=64)
        password = PasswordField(max_length=256)

The field checks its challenge whatever the other fields hold, and uses it up right or wrong,
empty answer included. Over an async store (:class:`~anemo.captcha.redis.AsyncRedisStore`) the
check is an async ``clean()``, so the form is validated with ``await form.validate()``. Its
message follows the form's locale, from the ``"captcha"`` code of anemo.formvalidate's
catalogs. anemo.formvalidate is imported when a field is made, not when this module is, so the
module can be imported (and its wheel checked) without it.
"""

# Full-width punctuation is correct in Chinese text.

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ._service import CaptchaService

if TYPE_CHECKING:
    from anemo.formvalidate import FormField, ValidationError

__all__ = ["CODE", "DEFAULT_MESSAGE", "MESSAGES", "captcha_field"]

#: The error code of a failed captcha, in ``form.error_details`` and the catalogs.
CODE = "captcha"

DEFAULT_MESSAGE = "The characters typed do not match the picture. Please try the new one."

#: The wording registered for :data:`CODE` in anemo.formvalidate's catalogs. An application's own
#: wording, added with ``add_catalog`` before or after, is never replaced.
MESSAGES: Mapping[str, str] = {
    "en_US": DEFAULT_MESSAGE,
    "zh_CN": "输入的字符与图片不符。请试试新的图片。",
    "zh_TW": "輸入的字元與圖片不符。請試試新的圖片。",
    "zh_HK": "輸入的字元與圖片不符。請試試新的圖片。",
}


def captcha_field(service: CaptchaService, *, message: str | None = None) -> FormField:
    """A form field passed only by a right first answer to the challenge it carries.

    Its inputs are ``NAME.challenge`` (the challenge's token, a hidden input) and ``NAME.answer``
    (what the person typed); a failure is reported under ``NAME`` with code ``"captcha"``,
    worded by the form's locale, or as ``message`` when one is given.
    """
    from anemo.formvalidate import Form, FormField, StringField, ValidationError, add_catalog  # noqa: PLC0415

    for locale, text in MESSAGES.items():
        add_catalog(locale, {CODE: text}, replace=False)

    def refused() -> ValidationError:
        return ValidationError(message, code=CODE)

    class Inputs(Form):
        # Optional and unbounded here (the form's Limits bound every value): whatever arrives,
        # clean() runs and the challenge is used up.
        challenge = StringField(required=False)
        answer = StringField(required=False)

    if service.is_async:

        class AsyncCaptchaForm(Inputs):
            async def clean(self) -> None:
                if not await service.apasses(self.data["challenge"] or "", self.data["answer"] or ""):
                    raise refused()

        return FormField(AsyncCaptchaForm)

    class CaptchaForm(Inputs):
        def clean(self) -> None:
            if not service.passes(self.data["challenge"] or "", self.data["answer"] or ""):
                raise refused()

    return FormField(CaptchaForm)

"""Register, log in, log out: captcha first, forms with inline errors, a new session id on login."""

from __future__ import annotations

import tornado.web

from anemo.captcha import Challenge
from anemo.captcha.tornado import apasses_captcha
from anemo.formvalidate import BaseForm
from anemo.formvalidate.tornado import form_from_handler

from ..forms import LoginForm, RegisterForm
from ..users import User, UsernameTaken
from .base import BaseHandler, safe_next

__all__ = ["Register", "Login", "Logout"]

CAPTCHA_FAILED = {
    "en_US": "The characters typed do not match the picture. Please try the new one.",
    "zh_CN": "输入的字符与图片不符。请重试新的验证码。",
}


class _CaptchaPage(BaseHandler):
    template = ""

    def words(self, catalog: dict[str, str]) -> str:
        return catalog["zh_CN" if self.locale.code.startswith("zh") else "en_US"]

    async def show(
        self,
        form: BaseForm | None = None,
        *,
        captcha_error: bool = False,
        notice: str | None = None,
        next_url: str = "/account",
    ) -> None:
        """The form page with a new challenge, the errors inline, the typed values kept."""
        challenge: Challenge = await self.services.captcha.aissue()
        errors = dict(form.errors) if form is not None else {}
        if captcha_error:
            errors["captcha"] = self.words(CAPTCHA_FAILED)
        values = {name: self.get_body_argument(name, "") for name in ("username", "email")}
        if errors or notice:
            self.set_status(400)
        self.render(
            self.template, challenge=challenge, errors=errors, values=values, notice=notice, next_url=next_url
        )

    def log_in(self, user: User) -> None:
        self.session.set_user(str(user.id), user_agent=self.request.headers.get("User-Agent"))
        self.session["username"] = user.username

    async def captcha_passed(self) -> bool:
        """Checked first, before and independently of anything else in the form."""
        return await apasses_captcha(self, self.services.captcha)


class Register(_CaptchaPage):
    template = "register.html"

    async def get(self) -> None:
        await self.show()

    async def post(self) -> None:
        passed = await self.captcha_passed()
        form = form_from_handler(RegisterForm, self)
        if not passed or not form.is_valid():
            await self.show(form, captcha_error=not passed)
            return
        try:
            user = await self.services.users.register(
                form.data["username"], form.data["email"], form.data["password"]
            )
        except UsernameTaken:
            await self.show(
                None, notice=self.words({"en_US": "That username is taken.", "zh_CN": "该用户名已被使用。"})
            )
            return
        self.log_in(user)
        self.redirect("/account")


class Login(_CaptchaPage):
    template = "login.html"

    async def get(self) -> None:
        await self.show(next_url=safe_next(self.get_query_argument("next", None)))

    async def post(self) -> None:
        next_url = safe_next(self.get_body_argument("next", None))
        passed = await self.captcha_passed()
        form = form_from_handler(LoginForm, self)
        if not passed or not form.is_valid():
            await self.show(form, captcha_error=not passed, next_url=next_url)
            return
        user = await self.services.users.authenticate(form.data["username"], form.data["password"])
        if user is None:
            wrong = {"en_US": "Wrong username or password.", "zh_CN": "用户名或密码错误。"}
            await self.show(None, notice=self.words(wrong), next_url=next_url)
            return
        self.log_in(user)
        self.redirect(next_url)


class Logout(BaseHandler):
    def post(self) -> None:
        self.session.invalidate()  # the record is deleted server-side at save
        self.redirect("/")

    def get(self) -> None:
        raise tornado.web.HTTPError(405)

"""Register, log in, log out: captcha first, forms with inline errors, a new session id on login.

Challenges are rate-limited per client address and bound to the session they were issued to, so
a script can neither flood the challenge store out from under other visitors nor answer, from
one client, challenges collected by others. Answers are limited per address and failed logins
per account name (:mod:`anemo_demo.ratelimit`); past a limit the page answers 429 with
``Retry-After``, and issues no challenge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math

import tornado.web

from anemo.captcha import CaptchaService, Challenge, StoreUnavailable
from anemo.captcha.ratelimit import CaptchaLimits
from anemo.captcha.tornado import CaptchaRefreshHandler, apasses_captcha
from anemo.formvalidate import BaseForm, messages_for
from anemo.formvalidate.tornado import form_from_handler
from anemo.signedvalue.tornado import cookie_secrets

from ..forms import LoginForm, RegisterForm
from ..ratelimit import ANSWERS, CHALLENGES, FAILED_LOGINS, RateLimits, client_key, rate_limits
from ..users import User, UsernameTaken
from .base import BaseHandler, safe_next

__all__ = ["Register", "Login", "Logout", "NewPicture", "REGISTERED"]

CAPTCHA_FAILED = {
    "en_US": "The characters typed do not match the picture. Please try the new one.",
    "zh_CN": "输入的字符与图片不符。请重试新的验证码。",
}
TOO_MANY = {
    "en_US": "Too many requests from your network. Please try again in {seconds} s.",
    "zh_CN": "来自你所在网络的请求过多。请在 {seconds} 秒后重试。",
}
LOCKED = {
    "en_US": "Too many failed logins for this account. Please try again in {minutes} min.",
    "zh_CN": "该账户登录失败次数过多。请在 {minutes} 分钟后重试。",
}

#: One-time session key: the next page shows the message it holds (translated), then drops it.
#: The message after registering (translated in locale/zh_CN.csv).
REGISTERED = "Welcome! Your account is ready and you are signed in."

#: Session key of the keyed hashes of the challenges issued to this session, newest last.
_BOUND = "captcha"
#: How many are kept (a page binds two: its picture and its proof of work): a form open in a few
#: tabs still works, and anonymous state stays tiny.
_KEEP = 6


class _CaptchaPage(BaseHandler):
    template = ""
    #: Its node down, a visitor gets a fresh session here: their challenges are bound to it, and
    #: logging in makes a new session anyway.
    needs_stored_session = False
    #: Why a limit refused this request, in the visitor's language (set by :meth:`refuse`).
    refusal = ""

    @property
    def limits(self) -> RateLimits:
        return rate_limits(self.application)

    @property
    def client(self) -> str:
        """Whom the per-client limits count (the address Tornado reports)."""
        return client_key(self.request.remote_ip)

    def words(self, catalog: dict[str, str]) -> str:
        return catalog["zh_CN" if self.locale.code.startswith("zh") else "en_US"]

    async def get(self) -> None:
        await self.show(next_url=safe_next(self.get_query_argument("next", None)))

    async def challenge(self) -> Challenge | None:
        """A new challenge bound to this session; past the client's limit, None (and :meth:`refuse`)."""
        wait = await self.limits.hit(CHALLENGES, self.client)
        if wait:
            self.refuse(wait, self.words(TOO_MANY).format(seconds=wait))
            return None
        challenge = await self.services.captcha.aissue()
        self.bind(challenge.token)
        return challenge

    def proof_of_work(self) -> str:
        """A proof-of-work challenge bound to this session, as the JSON static/pow.js reads."""
        challenge = self.services.proof_of_work.challenge()
        self.bind(str(challenge["challenge"]))
        return json.dumps(challenge)

    def refuse(self, wait: int, message: str) -> None:
        """Answer 429 with Retry-After ``wait`` seconds; ``message`` says why and when."""
        self.set_status(429)
        self.set_header("Retry-After", str(wait))
        self.refusal = message

    async def show(
        self,
        form: BaseForm | None = None,
        *,
        errors: dict[str, str] | None = None,
        captcha_error: bool = False,
        notice: str | None = None,
        next_url: str = "/account",
    ) -> None:
        """The form page with a new challenge, ``errors`` inline, the typed values of ``form`` kept.

        ``form`` is only read for what was typed (``form.submitted``, never a password): it may not
        have been validated at all, when the captcha failed first.
        """
        challenge = await self.challenge()
        if challenge is None:
            self.show_refused(next_url)
            return
        errors = dict(errors or {})
        if captcha_error:
            errors["captcha"] = self.words(CAPTCHA_FAILED)
        if errors or notice:
            self.set_status(400)
        self.render(
            self.template,
            challenge=challenge,
            pow_challenge=self.proof_of_work(),
            errors=errors,
            submitted=form.submitted if form is not None else {},
            notice=notice,
            next_url=next_url,
        )

    def show_refused(self, next_url: str) -> None:
        """The page of a refused request: why, when to come back, and no form (so no challenge)."""
        self.render(
            self.template,
            challenge=None,
            errors={},
            submitted={},
            notice=self.refusal,
            next_url=next_url,
        )

    async def over_answer_limit(self, next_url: str) -> bool:
        """Whether this client posted too many answers lately: then the 429 page is sent."""
        wait = await self.limits.hit(ANSWERS, self.client)
        if wait:
            self.refuse(wait, self.words(TOO_MANY).format(seconds=wait))
            self.show_refused(next_url)
        return bool(wait)

    def log_in(self, user: User, *, remember: bool) -> None:
        """Sign ``user`` in; without "remember me", for as long as the browser stays open."""
        user_agent = self.request.headers.get("User-Agent")
        self.session.set_user(str(user.id), user_agent=user_agent, remember=remember)
        self.session["username"] = user.username

    async def captcha_passed(self) -> bool:
        """Checked first, before and independently of anything else in the form.

        Either the picture's answer or, the accessible alternative, a solved proof of work
        (``pow.payload``, filled in by static/pow.js) passes. The challenge must have been issued
        to this session: one answered from another (collected by one client, posted by another)
        fails, and is used up all the same.
        """
        picture_here = self.unbind(self.get_body_argument("captcha.challenge", ""))
        payload = self.get_body_argument("pow.payload", "")
        if not payload:
            passed = await apasses_captcha(self, self.services.captcha)
            return passed and picture_here
        work_here = self.unbind(self.services.proof_of_work.challenge_of(payload))
        try:
            passed = await self.services.proof_of_work.apasses(payload)
        except StoreUnavailable:
            raise tornado.web.HTTPError(503, "captcha store unavailable") from None
        return passed and work_here

    # Binding challenges to the session: it keeps a short keyed hash of each token, never the
    # token, so a dump of the session store holds nothing a form could carry.

    def _tag(self, token: str) -> str:
        """96 bits of HMAC-SHA256 of ``token``, under a key derived from the cookie secret."""
        secret = cookie_secrets(self.settings)[0]
        secret = secret.encode() if isinstance(secret, str) else secret
        key = hmac.digest(secret, b"anemo-demo captcha binding", hashlib.sha256)
        return base64.urlsafe_b64encode(hmac.digest(key, token.encode(), hashlib.sha256)[:12]).decode()

    def _bound(self) -> list[str]:
        tags = self.session.get(_BOUND)
        return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []

    def bind(self, token: str) -> None:
        """Record that ``token`` was issued to this session (the newest few only)."""
        self.session[_BOUND] = [*self._bound(), self._tag(token)][-_KEEP:]

    def unbind(self, token: str) -> bool:
        """Whether ``token`` was issued to this session; it is forgotten either way."""
        tag = self._tag(token)
        tags = self._bound()
        found = any(hmac.compare_digest(tag, kept) for kept in tags)
        if found:
            rest = [kept for kept in tags if not hmac.compare_digest(tag, kept)]
            if rest:
                self.session[_BOUND] = rest
            else:
                del self.session[_BOUND]
        return found


class NewPicture(CaptchaRefreshHandler, _CaptchaPage):
    """POST /captcha/new, the "New picture" button: anemo.captcha's refresh handler (XSRF-checked)
    with what the form pages add, the site's limits (one count with the pages' own challenges) and
    the binding to the session, without which the form would refuse the new challenge."""

    def initialize(
        self, service: CaptchaService, limits: CaptchaLimits | None = None, image_url: str = "/captcha/{id}"
    ) -> None:
        """Without ``limits``, the application's (:func:`~anemo_demo.ratelimit.rate_limits`)."""
        super().initialize(service, limits or rate_limits(self.application), image_url)

    def issued(self, challenge: Challenge) -> None:
        self.bind(challenge.token)

    def refusal_text(self, wait: int) -> str:
        return self.words(TOO_MANY).format(seconds=wait)


class Register(_CaptchaPage):
    template = "register.html"

    async def post(self) -> None:
        if await self.over_answer_limit("/account"):
            return
        passed = await self.captcha_passed()
        form = form_from_handler(RegisterForm, self)
        if not passed:  # nothing else is checked: no name lookups for a script without an answer
            await self.show(form, captcha_error=True)
            return
        form.users = self.services.users
        if not await form.validate():  # awaits the "username taken" lookup
            await self.show(form, errors=form.errors)
            return
        try:
            user = await self.services.users.register(
                form.data["username"], form.data["email"], form.data["password"]
            )
        except UsernameTaken:  # registered by someone else since the form's check
            await self.show(form, errors={"username": messages_for(self.locale)["taken"]})
            return
        self.log_in(user, remember=True)
        self.flash(REGISTERED, "success")  # set after the login, which keeps only later keys
        self.redirect("/account")


class Login(_CaptchaPage):
    template = "login.html"

    async def post(self) -> None:
        next_url = safe_next(self.get_body_argument("next", None))
        if await self.over_answer_limit(next_url):
            return
        passed = await self.captcha_passed()
        form = form_from_handler(LoginForm, self)
        if not passed or not form.is_valid():
            await self.show(
                form, errors=form.errors if passed else None, captcha_error=not passed, next_url=next_url
            )
            return
        account = self.limits.account_key(form.data["username"])  # a keyed hash, never the name
        wait = await self.limits.wait(FAILED_LOGINS, account)
        if wait:  # refused even with the right password: else the limit would only slow guessing
            self.refuse(wait, self.words(LOCKED).format(minutes=math.ceil(wait / 60)))
            self.show_refused(next_url)
            return
        user = await self.services.users.authenticate(form.data["username"], form.data["password"])
        if user is None:
            await self.limits.hit(FAILED_LOGINS, account)
            wrong = {"en_US": "Wrong username or password.", "zh_CN": "用户名或密码错误。"}
            await self.show(form, notice=self.words(wrong), next_url=next_url)
            return
        self.log_in(user, remember=self.get_body_argument("remember", "") == "yes")
        self.redirect(next_url)


class Logout(BaseHandler):
    def post(self) -> None:
        self.session.invalidate()  # the record is deleted server-side at save
        self.redirect("/")

    def get(self) -> None:
        """Signed in: a page with the Log out button; signed out: home, there is nothing to end.

        A GET never signs out: a link, an image on another site or a browser's prefetch could
        otherwise end anyone's session. The button posts with the XSRF token, like the header's.
        """
        if self.current_user is None:
            self.redirect("/")
            return
        self.render("logout.html")

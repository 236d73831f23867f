"""Builds the Application: routes, settings, templates, UI modules, over the services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tornado.locale
import tornado.web

from anemo.captcha.tornado import CaptchaImageHandler
from anemo.tmpl.tornado import TornadoLoader

from . import ui
from .accesslog import access_log_function
from .bodies import BodyLimitedApplication
from .config import load_cookie_secret
from .handlers import account, auth, cookies, home, hosts, infra, profile
from .headers import SecurityHeaders
from .services import Services

__all__ = ["make_app", "HERE"]

HERE = Path(__file__).resolve().parent
tornado.locale.load_translations(str(HERE / "locale"))


def make_app(services: Services) -> tornado.web.Application:
    """The demo application over ``services``."""
    config = services.config
    settings: dict[str, Any] = {
        "template_path": str(HERE / "templates"),
        "static_path": str(HERE / "static"),
        "cookie_secret": load_cookie_secret(config),
        "xsrf_cookies": True,
        "login_url": "/login",
        "debug": config.debug,
        "ui_modules": ui.MODULES,
        "ui_methods": ui.METHODS,
        "session_manager": services.sessions,
        "session_on_new_device": account.alert_new_device,
        "services": services,
        "default_handler_class": infra.NotFound,
        "static_handler_class": infra.StaticFiles,
        "body_too_large_class": infra.TooLarge,
        "log_function": access_log_function(every_request=config.access_log),
    }
    settings["template_loader"] = TornadoLoader.from_settings(settings)
    routes: list[Any] = [
        (r"/", home.Home),
        (r"/visits", home.Visits),
        (r"/bare", home.Bare),
        (r"/register", auth.Register),
        (r"/login", auth.Login),
        (r"/logout", auth.Logout),
        (r"/account", account.Account),
        (r"/account/sign-out-others", account.SignOutOthers),
        (r"/account/sessions/([0-9a-f]{16})/sign-out", account.SignOutDevice),
        (r"/profile", profile.Profile),
        (r"/profile/avatar", profile.AvatarUpload),
        (
            r"/avatars/([0-9a-f]{32}\.png)",
            infra.StaticFiles,
            {"path": str(services.avatars)},
        ),
        (r"/hosts", hosts.Hosts),
        (r"/cookies", cookies.Cookies),
        (r"/cluster", infra.Cluster),
        (r"/async", infra.AsyncPage),
        (r"/async/work", infra.SlowWork),
        (r"/subdomain", infra.Subdomain),
        (
            r"/captcha/([A-Za-z0-9_-]{22})",
            CaptchaImageHandler,
            {"service": services.captcha, "executor": services.captcha_pictures},
        ),
        (r"/captcha/new", auth.NewPicture, {"service": services.captcha}),
    ]
    app = BodyLimitedApplication(routes, **settings)
    app.add_transform(SecurityHeaders)
    # Host-based routing: api.localhost (any port) gets its own handlers, checked first.
    app.add_handlers(r"api\.localhost(:\d+)?$", [(r"/", infra.ApiHome)])
    return app

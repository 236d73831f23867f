"""Profile with an avatar: sniffed, size-limited, saved under our own name, thumbnailed off the IOLoop.

The same upload works as a normal form post and by AJAX (``static/app.js`` reads the XSRF token
from the ``_xsrf`` cookie and sends it as ``X-XSRFToken``, as the Tornado tutorial shows).
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
from pathlib import Path

import tornado.web
from PIL import Image, ImageOps

from anemo.formvalidate.tornado import form_from_handler, send_errors

from ..forms import AvatarForm, ProfileForm
from .base import BaseHandler

__all__ = ["Profile", "AvatarUpload", "make_thumbnail"]

THUMBNAIL = (128, 128)


def make_thumbnail(body: bytes, directory: Path, user_id: str) -> str:
    """A 128x128 PNG of the upload, written atomically under a name of ours; the file name."""
    with Image.open(io.BytesIO(body)) as image:
        image.seek(0)  # the first frame of an animation
        thumbnail = ImageOps.fit(image.convert("RGBA"), THUMBNAIL)
    name = f"{int(user_id)}-{secrets.token_hex(8)}.png"  # never the client's file name
    temporary = directory / f".{name}.tmp"
    thumbnail.save(temporary, format="PNG")
    os.replace(temporary, directory / name)
    return name


class _ProfileBase(BaseHandler):
    async def save_avatar(self, form: AvatarForm) -> str:
        upload = form.data["avatar"]
        loop = asyncio.get_running_loop()
        name = await loop.run_in_executor(
            None, make_thumbnail, upload.body, self.services.avatars, self.current_user
        )
        await self.services.users.update_profile(int(self.current_user), avatar=name)
        return f"/avatars/{name}"

    async def show(self, errors: dict[str, str] | None = None, saved: bool = False) -> None:
        user = await self.services.users.get(int(self.current_user))
        if user is None:  # the account is gone: the session is stale
            raise tornado.web.HTTPError(403)
        if errors:
            self.set_status(400)
        self.render("profile.html", user=user, errors=errors or {}, saved=saved)


class Profile(_ProfileBase):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.show(saved=self.get_query_argument("saved", "") == "1")

    @tornado.web.authenticated
    async def post(self) -> None:
        details = form_from_handler(ProfileForm, self)
        if not details.is_valid():
            await self.show(details.errors)
            return
        if self.request.files.get("avatar"):
            avatar = form_from_handler(AvatarForm, self)
            if not avatar.is_valid():
                await self.show(avatar.errors)
                return
            await self.save_avatar(avatar)
        await self.services.users.update_profile(
            int(self.current_user), display_name=details.data["display_name"]
        )
        self.redirect("/profile?saved=1")


class AvatarUpload(_ProfileBase):
    """The AJAX endpoint: JSON in every case, errors as ``{"errors": {...}}`` with a 400."""

    @tornado.web.authenticated
    async def post(self) -> None:
        avatar = form_from_handler(AvatarForm, self)
        if not avatar.is_valid():
            await send_errors(self, avatar)
            return
        self.write({"avatar_url": await self.save_avatar(avatar)})

"""Profile with an avatar: judged from its header, thumbnailed on the image pool, one file per user.

The same upload works as a normal form post and by AJAX (``static/app.js`` reads the XSRF token
from the ``_xsrf`` cookie and sends it as ``X-XSRFToken``, as the Tornado tutorial shows). A
picture whose decoding would take too much memory is refused from its header by the form, one
whose pixel data turns out damaged by the thumbnail step: both are a 400 with a form error. Only
the thumbnail is kept, under a random name, and the file it replaces is deleted once the database
points at the new one, so each user has one file and a name tells nothing about its owner.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import tempfile
from pathlib import Path

import tornado.web

from anemo.formvalidate.tornado import form_from_handler, send_errors

from .. import images
from ..bodies import FORM_BODY
from ..forms import AVATAR_MAX_BYTES, AvatarForm, ProfileForm, image_error
from ..users import UnknownUser
from .base import BaseHandler

__all__ = ["Profile", "AvatarUpload", "write_avatar", "delete_avatar"]

_ECHOED_BYTES = 1024
"""At most this much of a typed value is put back into the form after an error."""


def write_avatar(body: bytes, directory: Path) -> str:
    """The thumbnail of ``body`` written into ``directory`` under a new random name; the name.

    The file appears whole or not at all (a hidden temporary file, renamed): nothing is left
    behind when the picture does not decode (ImageRejected) or the disk fails.
    """
    thumbnail = images.make_thumbnail(body)
    name = f"{secrets.token_hex(16)}.png"  # never the client's file name, nothing of the user's
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(thumbnail)
        os.chmod(temporary, 0o644)  # served as static files, perhaps by another server
        os.replace(temporary, directory / name)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return name


def delete_avatar(directory: Path, name: str) -> None:
    """Remove a replaced avatar; a name that is not a plain visible file name is left alone."""
    if name != Path(name).name or name.startswith("."):
        return
    with contextlib.suppress(FileNotFoundError):
        (directory / name).unlink()


class _ProfileBase(BaseHandler):
    #: An avatar and the form's other fields (see ``bodies.py``); a larger file never gets read.
    max_body_size = AVATAR_MAX_BYTES + FORM_BODY

    async def save_avatar(self, form: AvatarForm) -> str:
        """The new avatar's URL, the old file deleted; ImageRejected if the pixels do not decode."""
        directory = self.services.avatars
        pool = self.services.images  # never the default executor: see Services.images
        loop = asyncio.get_running_loop()
        name = await loop.run_in_executor(pool, write_avatar, form.data["avatar"].body, directory)
        try:
            previous = await self.services.users.replace_avatar(int(self.current_user), name)
        except BaseException:
            delete_avatar(directory, name)  # one unlink, done here so that it happens even if cancelled
            raise
        if previous is not None and previous != name:
            await loop.run_in_executor(pool, delete_avatar, directory, previous)
        return f"/avatars/{name}"

    async def show(
        self, errors: dict[str, str] | None = None, saved: bool = False, display_name: str | None = None
    ) -> None:
        """The profile page; ``display_name`` fills the form instead of the saved one."""
        user = await self.services.users.get(int(self.current_user))
        if user is None:  # the account is gone: the session is stale
            raise tornado.web.HTTPError(403)
        if errors:
            self.set_status(400)
        self.render(
            "profile.html",
            user=user,
            errors=errors or {},
            saved=saved,
            display_name=user.display_name if display_name is None else display_name,
        )

    def posted(self, name: str) -> str:
        """What was typed into ``name``, to fill the form again: bounded, bad UTF-8 replaced."""
        values = self.request.body_arguments.get(name)
        return values[-1][:_ECHOED_BYTES].decode("utf-8", "replace") if values else ""


class Profile(_ProfileBase):
    @tornado.web.authenticated
    async def get(self) -> None:
        await self.show(saved=self.get_query_argument("saved", "") == "1")

    @tornado.web.authenticated
    async def post(self) -> None:
        details = form_from_handler(ProfileForm, self)
        typed = self.posted("display_name")
        if not details.is_valid():
            await self.show(details.errors, display_name=typed)
            return
        if self.request.files.get("avatar"):
            avatar = form_from_handler(AvatarForm, self)
            if not avatar.is_valid():
                await self.show(avatar.errors, display_name=typed)
                return
            try:
                await self.save_avatar(avatar)
            except images.ImageRejected as problem:
                await self.show({"avatar": image_error(self.locale, problem)}, display_name=typed)
                return
            except UnknownUser:
                raise tornado.web.HTTPError(403) from None
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
        try:
            url = await self.save_avatar(avatar)
        except images.ImageRejected as problem:
            self.set_status(400)
            self.finish({"errors": {"avatar": image_error(self.locale, problem)}})
            return
        except UnknownUser:
            raise tornado.web.HTTPError(403) from None
        self.write({"avatar_url": url})

"""The site's forms, declared with anemo-formvalidate; messages follow the visitor's language."""

from __future__ import annotations

from anemo.formvalidate import (
    EmailField,
    FileField,
    Form,
    FormField,
    IntegerField,
    IPField,
    ListField,
    PasswordField,
    PhoneField,
    StringField,
    UploadedFile,
    ValidationError,
    add_catalog,
    locale_code,
)

from . import images
from .users import UserStore

__all__ = [
    "RegisterForm",
    "LoginForm",
    "ProfileForm",
    "AvatarForm",
    "AVATAR_MAX_BYTES",
    "human_size",
    "avatar_error",
    "image_error",
    "HostForm",
    "OwnerForm",
    "InventoryForm",
]

USERNAME = r"[A-Za-z0-9_.-]{3,32}"

# The site's own error codes, in anemo.formvalidate's catalogs: a form raises
# ValidationError(code=...) and the visitor's locale picks the wording, as for built-in codes.
add_catalog("en_US", {"taken": "That username is taken.", "passwords_differ": "The passwords do not match."})
add_catalog("zh_CN", {"taken": "该用户名已被使用。", "passwords_differ": "两次输入的密码不一致。"})


class RegisterForm(Form):
    """Sign-up; ``users`` (the site's user store) must be set before ``await form.validate()``."""

    username = StringField(min_length=3, max_length=32, pattern=USERNAME)
    email = EmailField()
    password = PasswordField(min_length=8, max_length=128)
    confirm = PasswordField(max_length=128)
    users: UserStore

    async def validate_username(self, value: str) -> str:
        """A name already registered is refused here, next to its field, before any password hashing."""
        if await self.users.by_name(value) is not None:
            raise ValidationError(code="taken")
        return value

    def clean(self) -> None:
        if self.data["password"] != self.data["confirm"]:
            raise ValidationError(code="passwords_differ", field="confirm")


class LoginForm(Form):
    username = StringField(max_length=32)
    password = PasswordField(max_length=128)


class ProfileForm(Form):
    display_name = StringField(max_length=64, required=False, default="")


AVATAR_MAX_BYTES = 2 * 1024 * 1024
"""The largest avatar file; the profile page's label says the same, in :func:`human_size` units."""


def human_size(size: int) -> str:
    """``2097152`` as ``"2 MB"``: binary multiples, as people read file sizes, one decimal at most."""
    value, unit = float(size), "bytes"
    for larger in ("kB", "MB", "GB"):
        if value < 1024:
            break
        value, unit = value / 1024, larger
    return f"{value:.1f}".removesuffix(".0") + f" {unit}"


_AVATAR_WORDS = {
    "en_US": {
        "file_too_large": "The file is larger than {size}.",
        "too_large": "This image is too large to process ({width} x {height} pixels). "
        "Please upload a smaller one.",
        "unreadable": "The image cannot be read: the file is damaged or incomplete.",
    },
    "zh_CN": {  # full-width punctuation is correct in Chinese text
        "file_too_large": "文件大小超过 {size}。",
        "too_large": "图片过大，无法处理（{width} × {height} 像素）。请上传较小的图片。",  # noqa: RUF001
        "unreadable": "无法读取图片：文件已损坏或不完整。",  # noqa: RUF001
    },
}
"""What the avatar's errors say; the package's catalog words sizes in bytes, these in MB."""


def avatar_error(locale: object, code: str, **params: object) -> str:
    """The visitor's wording of an avatar error: a ``_AVATAR_WORDS`` code and its parameters."""
    words = _AVATAR_WORDS.get(locale_code(locale), _AVATAR_WORDS["en_US"])[code]
    return words.format(size=human_size(AVATAR_MAX_BYTES), **params)


def image_error(locale: object, problem: images.ImageRejected) -> str:
    """Why a picture was refused by ``anemo_demo.images``, worded for the visitor."""
    if isinstance(problem, images.ImageTooLarge):
        return avatar_error(locale, "too_large", width=problem.width, height=problem.height)
    return avatar_error(locale, "unreadable")


class AvatarForm(Form):
    """One picture, refused from its header when decoding it would take too much memory."""

    # The field's own size and pixel limits are wider than the route's body limit lets through:
    # the avatar's are checked below, with messages in units people read ("2 MB", not bytes).
    avatar = FileField(
        extensions=["png", "jpg", "jpeg", "gif", "webp"],
        content_types=["image/png", "image/jpeg", "image/gif", "image/webp"],
        verify_images=True,
    )

    def validate_avatar(self, upload: UploadedFile) -> UploadedFile:
        """Size, then the header: the pixels are decoded later, on the image pool, by ``images``."""
        if len(upload.body) > AVATAR_MAX_BYTES:
            raise ValidationError(avatar_error(self.locale, "file_too_large"))
        try:
            images.check(upload.body)
        except images.ImageRejected as problem:
            raise ValidationError(image_error(self.locale, problem)) from None
        return upload


class HostForm(Form):
    """One row of the tutorial's hosts inventory."""

    host = StringField(max_length=255)
    ip = IPField(version=4)
    port = IntegerField(min_value=1, max_value=65535)
    phone = PhoneField(required=False)


class OwnerForm(Form):
    name = StringField(max_length=64)
    email = EmailField()


class InventoryForm(Form):
    owner = FormField(OwnerForm)  # owner.name, owner.email
    hosts = ListField(HostForm, max_entries=20)  # hosts[0].ip, hosts[1].port, ...

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
    PhoneField,
    StringField,
    ValidationError,
    locale_code,
)

__all__ = ["RegisterForm", "LoginForm", "ProfileForm", "AvatarForm", "HostForm", "OwnerForm", "InventoryForm"]

USERNAME = r"[A-Za-z0-9_.-]{3,32}"


class RegisterForm(Form):
    username = StringField(min_length=3, max_length=32, pattern=USERNAME)
    email = EmailField()
    password = StringField(min_length=8, max_length=128, strip=False)
    confirm = StringField(max_length=128, strip=False)

    def clean(self) -> None:
        if self.data["password"] != self.data["confirm"]:
            raise ValidationError(
                "两次输入的密码不一致。"
                if locale_code(self.locale) == "zh_CN"
                else "The passwords do not match.",
                field="confirm",
            )


class LoginForm(Form):
    username = StringField(max_length=32)
    password = StringField(max_length=128, strip=False)


class ProfileForm(Form):
    display_name = StringField(max_length=64, required=False, default="")


class AvatarForm(Form):
    avatar = FileField(
        extensions=["png", "jpg", "jpeg", "gif", "webp"],
        content_types=["image/png", "image/jpeg", "image/gif", "image/webp"],
        max_size=2 * 1024 * 1024,
        verify_images=True,
    )


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

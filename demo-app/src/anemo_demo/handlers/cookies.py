"""Cookies: remembered preferences in a signed JSON cookie, and plain, signed and encrypted cookies
side by side, with what happens to each when the browser's copy is tampered with."""

from __future__ import annotations

from typing import Any

from anemo.signedvalue import decode_signed_value
from anemo.signedvalue.tornado import cookie_secrets

from .base import BaseHandler

__all__ = ["Cookies", "tamper"]

THEMES = ("light", "dark")
DEMO_VALUE = "alice"


def tamper(value: str) -> str:
    """``value`` with one character changed, as an attacker editing a cookie would."""
    if not value:
        return "x"
    index = len(value) // 2 if "|" not in value else len(value) - 1  # a signed value: its signature
    replacement = "A" if value[index] != "A" else "B"
    return value[:index] + replacement + value[index + 1 :]


class Cookies(BaseHandler):
    needs_stored_session = False

    def read_demo(self) -> list[dict[str, Any]]:
        """Each kind of cookie: what the browser holds, and what the server makes of it."""
        secret = cookie_secrets(self.settings)[0]
        plain = self.get_cookie("demo_plain")
        signed = self.get_cookie("demo_signed")
        encrypted = self.get_cookie("demo_encrypted")
        decoded_signed = decode_signed_value(secret, "demo_signed", signed) if signed else None
        decoded_encrypted = self.get_encrypted_json_cookie("demo_encrypted") if encrypted else None
        return [
            {"kind": "plain", "raw": plain, "read": plain},
            {"kind": "signed", "raw": signed, "read": decoded_signed.decode() if decoded_signed else None},
            {"kind": "encrypted", "raw": encrypted, "read": (decoded_encrypted or {}).get("user")},
        ]

    def get(self) -> None:
        self.render("cookies.html", demo=self.read_demo(), themes=THEMES, tampered=False)

    def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action == "prefs":
            theme = self.get_body_argument("theme", "light")
            self.set_signed_json_cookie("prefs", {"theme": theme if theme in THEMES else "light"})
            self.redirect("/cookies")
            return
        if action == "set":
            self.set_cookie("demo_plain", DEMO_VALUE, httponly=True, samesite="Lax")
            self.set_signed_cookie("demo_signed", DEMO_VALUE, httponly=True, samesite="Lax")  # Tornado's own
            self.set_encrypted_json_cookie("demo_encrypted", {"user": DEMO_VALUE})
            self.redirect("/cookies")
            return
        if action == "tamper":
            for name in ("demo_plain", "demo_signed", "demo_encrypted"):
                value = self.get_cookie(name)
                if value is not None:
                    self.set_cookie(name, tamper(value), httponly=True, samesite="Lax")
            self.redirect("/cookies")
            return
        self.redirect("/cookies")

"""anemo.formvalidate against WTForms, marshmallow, pydantic and a hand-written validator.

One 6-field form (name 1-50 characters, age 0-150, email, IP, a multi-valued checkbox of 4
choices, an optional note) over Tornado-style input: names mapping to lists of bytes. Each
contender does the whole job from those bytes: decode, convert, validate, collect errors. The
invalid input breaks every field but the note. Email checks are regexes everywhere (WTForms
``Regexp``, pydantic ``pattern``, marshmallow's own ``Email``) so no contender pays for DNS-style
validation the others skip. The hand-written validator is the floor.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from harness import Suite

from anemo.formvalidate import CheckBoxField, EmailField, Form, IntegerField, IPField, StringField

COLOURS = ["red", "green", "blue", "black"]
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"

VALID: dict[str, list[bytes]] = {
    "name": [b"Alice Liddell"],
    "age": [b"30"],
    "email": [b"alice@example.com"],
    "ip": [b"192.168.1.10"],
    "colours": [b"red", b"blue"],
    "note": [b"hello"],
}
INVALID: dict[str, list[bytes]] = {
    "name": [b""],
    "age": [b"151"],
    "email": [b"alice@"],
    "ip": [b"192.168.01.10"],
    "colours": [b"red", b"pink"],
}


class Signup(Form):
    name = StringField(min_length=1, max_length=50)
    age = IntegerField(min_value=0, max_value=150)
    email = EmailField()
    ip = IPField()
    colours = CheckBoxField(COLOURS)
    note = StringField(required=False)


def ours(arguments: dict[str, list[bytes]]) -> Callable[[], object]:
    def run() -> object:
        form = Signup(arguments)
        return form.data if form.is_valid() else form.errors

    return run


def hand_written(arguments: dict[str, list[bytes]]) -> Callable[[], object]:
    """The floor: straight-line checks of the same rules, no framework."""
    email = re.compile(EMAIL, re.ASCII)

    def last(name: str) -> str:
        values = arguments.get(name)
        return values[-1].decode("utf-8").strip() if values else ""

    def run() -> object:
        errors: dict[str, str] = {}
        data: dict[str, Any] = {}
        name = last("name")
        if not 1 <= len(name) <= 50:
            errors["name"] = "bad length"
        data["name"] = name
        age = last("age")
        if age.isascii() and age.isdigit() and 0 <= int(age) <= 150:
            data["age"] = int(age)
        else:
            errors["age"] = "bad age"
        address = last("email")
        if email.fullmatch(address):
            data["email"] = address
        else:
            errors["email"] = "bad email"
        try:
            data["ip"] = ipaddress.ip_address(last("ip"))
        except ValueError:
            errors["ip"] = "bad ip"
        colours = [value.decode("utf-8") for value in arguments.get("colours", [])]
        if colours and all(colour in COLOURS for colour in colours):
            data["colours"] = colours
        else:
            errors["colours"] = "bad colours"
        data["note"] = last("note") or None
        return errors or data

    return run


def wtforms(arguments: dict[str, list[bytes]]) -> Callable[[], object] | None:
    try:
        import wtforms
        from wtforms import validators
    except ImportError:
        return None

    class SignupForm(wtforms.Form):
        name = wtforms.StringField(validators=[validators.InputRequired(), validators.Length(1, 50)])
        age = wtforms.IntegerField(validators=[validators.InputRequired(), validators.NumberRange(0, 150)])
        email = wtforms.StringField(validators=[validators.InputRequired(), validators.Regexp(EMAIL)])
        ip = wtforms.StringField(validators=[validators.InputRequired(), validators.IPAddress(ipv6=True)])
        colours = wtforms.SelectMultipleField(choices=COLOURS, validators=[validators.InputRequired()])
        note = wtforms.StringField(validators=[validators.Optional()])

    class FormData(dict[str, list[str]]):
        """WTForms reads ``getlist``; Tornado gives bytes, decoded here as part of the job."""

        def getlist(self, name: str) -> list[str]:
            return self.get(name, [])

    def run() -> object:
        formdata = FormData({name: [v.decode("utf-8") for v in values] for name, values in arguments.items()})
        form = SignupForm(formdata)
        return form.data if form.validate() else form.errors

    return run


def marshmallow(arguments: dict[str, list[bytes]]) -> Callable[[], object] | None:
    try:
        from marshmallow import Schema, ValidationError, fields, validate
    except ImportError:
        return None

    class SignupSchema(Schema):
        name = fields.String(required=True, validate=validate.Length(1, 50))
        age = fields.Integer(required=True, strict=False, validate=validate.Range(0, 150))
        email = fields.Email(required=True)
        ip = fields.IP(required=True)
        colours = fields.List(fields.String(validate=validate.OneOf(COLOURS)), required=True)
        note = fields.String(load_default=None)

    schema = SignupSchema()

    def run() -> object:
        document: dict[str, object] = {
            name: values[-1].decode("utf-8") for name, values in arguments.items() if name != "colours"
        }
        document["colours"] = [value.decode("utf-8") for value in arguments.get("colours", [])]
        try:
            return schema.load(document)
        except ValidationError as error:
            return error.messages

    return run


def pydantic(arguments: dict[str, list[bytes]]) -> Callable[[], object] | None:
    try:
        from typing import Annotated, Literal

        from pydantic import BaseModel, Field, IPvAnyAddress, ValidationError
    except ImportError:
        return None

    class SignupModel(BaseModel):
        name: Annotated[str, Field(min_length=1, max_length=50)]
        age: Annotated[int, Field(ge=0, le=150)]
        email: Annotated[str, Field(pattern=f"^{EMAIL}$")]
        ip: IPvAnyAddress
        colours: Annotated[list[Literal["red", "green", "blue", "black"]], Field(min_length=1)]
        note: str | None = None

    def run() -> object:
        document: dict[str, object] = {
            name: values[-1].decode("utf-8") for name, values in arguments.items() if name != "colours"
        }
        document["colours"] = [value.decode("utf-8") for value in arguments.get("colours", [])]
        try:
            return SignupModel.model_validate(document)
        except ValidationError as error:
            return error.errors()

    return run


def suite() -> Suite:
    bench = Suite("anemo.formvalidate: a 6-field form from Tornado-style bytes")
    for label, arguments in (("valid", VALID), ("invalid", INVALID)):
        bench.case(
            f"{label} input",
            ours(arguments),
            {
                "wtforms": wtforms(arguments),
                "marshmallow": marshmallow(arguments),
                "pydantic": pydantic(arguments),
                "hand-written": hand_written(arguments),
            },
        )
    return bench

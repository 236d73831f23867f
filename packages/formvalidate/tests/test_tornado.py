"""The Tornado adapter over real HTTP requests to a real Tornado application."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tornado.locale import CSVLocale, Locale
from tornado.testing import AsyncHTTPTestCase
from tornado.web import Application, RequestHandler

from anemo.formvalidate import FileField, Form, FormField, IntegerField, IPField, ListField, StringField
from anemo.formvalidate.tornado import form_from_handler, send_errors, wants_json


class Host(Form):
    ip = IPField()
    port = IntegerField(min_value=1, max_value=65535)


class Server(Form):
    name = StringField(max_length=10)
    main = FormField(Host)
    extra = ListField(Host, required=False)
    logo = FileField(extensions=["png"], required=False)


class ServerHandler(RequestHandler):
    def get_user_locale(self) -> Locale | None:
        code = self.get_query_argument("lang", None)
        return CSVLocale(code, {}) if code else None

    async def post(self) -> None:
        form = form_from_handler(Server, self)
        if not form.is_valid():
            if wants_json(self):
                await send_errors(self, form)
                return
            self.set_status(422)
            self.finish("\n".join(f"{path}: {message}" for path, message in sorted(form.errors.items())))
            return
        logo = form.data["logo"]
        saved = logo.save(self.settings["upload_dir"]).name if logo else None
        self.finish({"name": form.data["name"], "port": form.data["main"]["port"], "saved": saved})


class TornadoAdapterTest(AsyncHTTPTestCase):
    upload_dir: Path

    def get_app(self) -> Application:
        self.upload_dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.upload_dir)
        return Application([("/servers", ServerHandler)], upload_dir=str(self.upload_dir))

    def post(self, body: bytes, content_type: str, path: str = "/servers", **headers: str) -> Any:
        return self.fetch(path, method="POST", body=body, headers={"Content-Type": content_type, **headers})

    def test_urlencoded_post(self) -> None:
        """A valid urlencoded post (with query arguments merged in) gives typed data."""
        response = self.post(
            b"main.ip=10.0.0.1&main.port=8080", "application/x-www-form-urlencoded", path="/servers?name=web"
        )
        assert response.code == 200
        assert json.loads(response.body) == {"name": "web", "port": 8080, "saved": None}

    def test_invalid_utf8_is_a_field_error_not_a_500(self) -> None:
        """Bytes that are not UTF-8 come back as that field's error, as JSON for AJAX."""
        response = self.post(
            b"name=%FF%FE&main.ip=10.0.0.1&main.port=1",
            "application/x-www-form-urlencoded",
            **{"X-Requested-With": "XMLHttpRequest"},
        )
        assert response.code == 400
        assert response.headers["Content-Type"].startswith("application/json")
        assert json.loads(response.body) == {
            "errors": {"name": "The value is not valid UTF-8."},
            "details": [
                {"path": "name", "code": "encoding", "message": "The value is not valid UTF-8.", "params": {}}
            ],  # no "value": what was sent is not text
        }

    def test_plain_form_post_gets_the_page_not_json(self) -> None:
        """Without AJAX markers the handler renders its own page."""
        response = self.post(b"name=x&main.ip=bad&extra[2].port=0", "application/x-www-form-urlencoded")
        assert response.code == 422
        assert response.body.decode().splitlines() == [
            "extra[2].ip: This field is required.",
            "extra[2].port: Enter a value of at least 1.",
            "main.ip: Enter a valid IP address.",
            "main.port: This field is required.",
        ]

    def test_locale_chooses_chinese_messages(self) -> None:
        """The handler's locale picks the message catalog."""
        response = self.post(
            b"name=x&main.ip=1.1.1.1&main.port=70000",
            "application/x-www-form-urlencoded",
            path="/servers?lang=zh_CN",
            Accept="application/json",
        )
        document = json.loads(response.body)
        assert document["errors"] == {"main.port": "请输入不大于 65535 的值。"}
        assert document["details"] == [
            {
                "path": "main.port",
                "code": "too_large",  # the same code in every language
                "message": "请输入不大于 65535 的值。",
                "params": {"max": 65535},
                "value": "70000",
            }
        ]

    def test_json_body(self) -> None:
        """A JSON body validates with the same paths."""
        document = {
            "name": "api",
            "main": {"ip": "::1", "port": 443},
            "extra": [{"ip": "::2", "port": 99999}],
        }
        response = self.post(json.dumps(document).encode(), "application/json")
        assert response.code == 400
        assert json.loads(response.body)["errors"] == {"extra[0].port": "Enter a value of at most 65535."}
        del document["extra"]
        response = self.post(json.dumps(document).encode(), "application/json")
        assert json.loads(response.body)["port"] == 443

    def test_a_json_body_is_the_whole_submission(self) -> None:
        """Query arguments are not merged into a JSON body (the query still sets the locale)."""
        document = {"main": {"ip": "::1", "port": 443}}
        response = self.post(
            json.dumps(document).encode(), "application/json", "/servers?name=web&lang=zh_CN"
        )
        assert response.code == 400
        assert json.loads(response.body)["errors"] == {"name": "此项为必填项。"}

    def test_malformed_json_bodies(self) -> None:
        """Broken, non-object, non-UTF-8 and absurdly nested JSON are form errors, not 500s."""
        for body in (b"{", b"[1, 2]", b"\xff", b"[" * 100_000):
            response = self.post(body, "application/json; charset=utf-8")
            assert response.code == 400, body[:10]
            assert json.loads(response.body)["errors"] == {
                "__form__": "The request body is not a JSON object."
            }

    def test_multipart_upload_with_chinese_filename(self) -> None:
        """A multipart upload named with filename*= is checked by its bytes and saved readably."""
        from PIL import Image

        buffer = io.BytesIO()
        Image.new("RGB", (2, 2)).save(buffer, format="PNG")
        boundary = uuid.uuid4().hex
        name = quote("标志.png")
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nweb\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="main.ip"\r\n\r\n::1\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="main.port"\r\n\r\n80\r\n'
                f"--{boundary}\r\nContent-Disposition: form-data; name=\"logo\"; filename*=UTF-8''{name}\r\n"
                f"Content-Type: text/html\r\n\r\n"
            ).encode()
            + buffer.getvalue()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        response = self.post(body, f"multipart/form-data; boundary={boundary}")
        assert response.code == 200, response.body
        assert json.loads(response.body)["saved"] == "标志.png"
        assert (self.upload_dir / "标志.png").read_bytes() == buffer.getvalue()

    def test_multipart_upload_with_a_lying_type(self) -> None:
        """An HTML file uploaded as logo.png is refused whatever it claims."""
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="logo"; filename="../logo.png"\r\n'
            f"Content-Type: image/png\r\n\r\n<script>alert(1)</script>\r\n--{boundary}--\r\n"
        ).encode()
        response = self.post(body, f"multipart/form-data; boundary={boundary}", Accept="application/json")
        errors = json.loads(response.body)["errors"]
        assert errors["logo"] == "The file's content does not match its extension."
        assert list(self.upload_dir.iterdir()) == []

    def test_hostile_json_keys_never_reach_the_response(self) -> None:
        """JSON keys that are no field name (lone surrogates included) cannot break the 400 body."""
        many = ",".join(["0"] * 1001)
        for document in (f'{{"\\ud800": [{many}], "name": 5}}', '{"\\ud800": {"a": {}}, "name": 5}'):
            response = self.post(document.encode(), "application/json")
            assert response.code == 400
            errors = json.loads(response.body)["errors"]
            assert errors == {"main.ip": "This field is required.", "main.port": "This field is required."}

    def test_multipart_with_undecodable_headers(self) -> None:
        """A multipart body whose part headers are not UTF-8 is a 400, never a 500.

        Tornado refuses such a body before the handler runs, so the 400 is its own page.
        """
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="logo"; filename="'.encode()
            + b"\xff\xfe.png"
            + f'"\r\nContent-Type: image/png\r\n\r\nx\r\n--{boundary}--\r\n'.encode()
        )
        response = self.post(body, f"multipart/form-data; boundary={boundary}", Accept="application/json")
        assert response.code == 400, response.body
        assert b"Traceback" not in response.body

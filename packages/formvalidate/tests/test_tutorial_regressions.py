"""The classic Tornado form tutorial's bugs, each pinned as fixed."""

from __future__ import annotations

import re
from pathlib import Path

from tornado.httputil import HTTPFile

from anemo.formvalidate import CheckBoxField, FileField, Form, IntegerField, StringField


class Tutorial(Form):
    colours = CheckBoxField(["red", "green", "blue"])
    word = StringField(pattern=r"[a-z]+", strip=False)
    lines = StringField(pattern=r"[a-z]+", strip=False, multiline=True, required=False)
    digits = StringField(pattern=r"\d+")
    count = IntegerField(required=False)
    document = FileField(extensions=["pdf"], required=False)


VALID = {"colours": ["red"], "word": ["abc"], "digits": ["123"]}


def errors(**arguments: list[str]) -> dict[str, str]:
    """Errors of the tutorial form over otherwise valid input."""
    return Tutorial({**VALID, **arguments}).errors


def upload(filename: str, body: bytes) -> HTTPFile:
    """A Tornado upload as a client claims it, always "application/pdf"."""
    return HTTPFile(filename=filename, body=body, content_type="application/pdf")


def test_required_checkbox_is_valid_when_checked() -> None:
    """The tutorial's required CheckBoxField was invalid whatever was checked."""
    assert errors() == {}
    assert errors(colours=["red", "blue"]) == {}
    assert errors(colours=[]) == {"colours": "This field is required."}


def test_trailing_newline_does_not_pass_a_pattern() -> None:
    """re.match with $ accepts 'abc\\n'; fullmatch does not."""
    assert re.match(r"[a-z]+$", "abc\n") is not None  # the tutorial's check, fooled
    # Newlines allowed (multiline) and kept (no strip): only the pattern stands in the way.
    assert errors(lines=["abc\n"]) == {"lines": "The value does not have the expected format."}
    assert Tutorial({**VALID, "lines": [b"abc\n"]}).errors == errors(lines=["abc\n"])  # bytes, too
    assert errors(lines=["abc"]) == {}
    # A single-line field refuses the newline before its pattern even runs.
    assert errors(word=["abc\n"]) == {"word": "The value contains control characters."}


def test_non_ascii_digits_are_not_digits() -> None:
    """\\d matched Arabic-Indic and full-width digits; int() even converts them."""
    assert int("١٢٣") == 123  # what the tutorial then stored
    assert errors(digits=["١٢٣"]) == {"digits": "The value does not have the expected format."}
    assert errors(count=["١٢٣"]) == {"count": "Enter a whole number."}


def test_file_extension_is_the_real_last_suffix() -> None:
    """An unanchored (pdf|doc) alternation let evil.pdf.exe and x.pdf/../../x through."""
    pdf = b"%PDF-1.4\n%fake but signed\n"
    for name in ("evil.pdf.exe", "x.pdf/../../x", "pdf", "x.PDF\x00.exe"):
        form = Tutorial(VALID, {"document": [upload(name, pdf)]})
        assert form.errors == {"document": "Allowed file types: pdf."}, name
    assert Tutorial(VALID, {"document": [upload("Report.PDF", pdf)]}).is_valid()


def test_upload_is_not_saved_under_the_clients_path(tmp_path: Path) -> None:
    """The tutorial wrote to the client's filename; save() stays in its directory."""
    pdf = b"%PDF-1.4\n"
    target = tmp_path / "uploads"
    target.mkdir()
    form = Tutorial(VALID, {"document": [upload("../../../../tmp/owned.pdf", pdf)]})
    assert form.is_valid(), form.errors
    saved = form.data["document"].save(target)
    assert saved.parent == target
    assert saved.name == "owned.pdf"
    assert saved.read_bytes() == pdf

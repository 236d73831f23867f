"""Uploads: real type sniffing, limits, safe names and saving that never escapes or overwrites."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tornado.httputil import HTTPFile

from anemo.formvalidate import (
    FileField,
    Form,
    FormDefinitionError,
    UploadedFile,
    UploadSaveError,
    safe_filename,
    sniff_content_type,
)


def upload(filename: str, body: bytes, content_type: str = "image/png") -> HTTPFile:
    """A Tornado upload; the claimed content type is deliberately not trusted."""
    return HTTPFile(filename=filename, body=body, content_type=content_type)


class AvatarForm(Form):
    avatar = FileField(
        extensions=["png", "jpg", "jpeg"], max_size=4096, content_types=["image/png", "image/jpeg"]
    )


class GalleryForm(Form):
    pictures = FileField(extensions=["png", "jpg"], max_files=3, required=False)


def test_sniffing_recognises_signatures(png_bytes: bytes, jpeg_bytes: bytes) -> None:
    """Types come from the bytes."""
    assert sniff_content_type(png_bytes) == "image/png"
    assert sniff_content_type(jpeg_bytes) == "image/jpeg"
    assert sniff_content_type(b"GIF89a....") == "image/gif"
    assert sniff_content_type(b"RIFF\x10\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_content_type(b"%PDF-1.7") == "application/pdf"
    assert sniff_content_type("纯文本".encode()) == "text/plain"
    assert sniff_content_type(b"MZ\x90\x00\x03") == "application/octet-stream"


def test_valid_upload(png_bytes: bytes) -> None:
    """A real PNG named .png passes and keeps the client's claim apart."""
    form = AvatarForm({}, {"avatar": [upload("Me.PNG", png_bytes, "text/html")]})
    assert form.is_valid(), form.errors
    avatar = form.data["avatar"]
    assert isinstance(avatar, UploadedFile)
    assert (avatar.filename, avatar.extension, avatar.content_type) == ("Me.PNG", "png", "image/png")
    assert avatar.claimed_content_type == "text/html"
    assert avatar.size == len(png_bytes)


def test_claimed_type_is_not_trusted() -> None:
    """An executable claiming image/png under a .png name is refused by its bytes."""
    form = AvatarForm({}, {"avatar": [upload("cat.png", b"MZ\x90\x00evil", "image/png")]})
    assert form.errors == {"avatar": "The file's content is not an allowed type."}


def test_extension_must_match_content(png_bytes: bytes, jpeg_bytes: bytes) -> None:
    """A JPEG named .png is refused even though both types are allowed."""
    form = AvatarForm({}, {"avatar": [upload("cat.png", jpeg_bytes)]})
    assert form.errors == {"avatar": "The file's content does not match its extension."}
    assert AvatarForm({}, {"avatar": [upload("cat.jpg", jpeg_bytes)]}).is_valid()


def test_the_checked_name_is_the_saved_name(tmp_path: Path) -> None:
    """A doubly encoded filename*= value is checked under the name it is saved with."""

    class AnyFile(Form):
        document = FileField()

    html = b"<script>alert(1)</script>"
    sneaky = upload("utf-8''utf-8''page%252Epng", html)
    assert AnyFile({}, {"document": [sneaky]}).errors == {
        "document": "The file's content does not match its extension."
    }
    for hidden in ("a/utf-8''page%2Epng", " utf-8''page%2Epng"):
        assert "document" in AnyFile({}, {"document": [upload(hidden, html)]}).errors, hidden
    uploaded = AnyFile({}, {"document": [upload("utf-8''utf-8''page%252Etxt", html)]}).data["document"]
    assert uploaded.filename == "page.txt"
    assert uploaded.save(tmp_path).name == "page.txt"


def test_size_count_and_emptiness(png_bytes: bytes) -> None:
    """Size, count and empty files are each refused with their own message."""
    big = upload("big.png", png_bytes + b"\x00" * 5000)
    assert AvatarForm({}, {"avatar": [big]}).errors == {"avatar": "The file is larger than 4096 bytes."}
    assert AvatarForm({}, {"avatar": [upload("e.png", b"")]}).errors == {"avatar": "The file is empty."}
    two = [upload("a.png", png_bytes), upload("b.png", png_bytes)]
    assert AvatarForm({}, {"avatar": two}).errors == {"avatar": "The maximum number of files is 1."}
    assert AvatarForm({}, {}).errors == {"avatar": "This field is required."}


def test_multiple_files_give_a_list(png_bytes: bytes) -> None:
    """max_files above one returns a list; optional and absent is an empty list."""
    three = [upload(f"{n}.png", png_bytes) for n in "abc"]
    assert [f.filename for f in GalleryForm({}, {"pictures": three}).data["pictures"]] == [
        "a.png",
        "b.png",
        "c.png",
    ]
    assert GalleryForm({}, {}).data == {"pictures": []}
    four = GalleryForm({}, {"pictures": [*three, three[0]]})
    assert four.errors == {"pictures": "The maximum number of files is 3."}


def test_uploads_in_nested_lists(png_bytes: bytes) -> None:
    """Files follow the same dotted and indexed names as other fields."""
    from anemo.formvalidate import ListField, StringField

    class Item(Form):
        title = StringField()
        image = FileField(extensions=["png"])

    class Album(Form):
        items = ListField(Item)

    form = Album(
        {"items[0].title": ["a"], "items[1].title": ["b"]},
        {"items[0].image": [upload("a.png", png_bytes)], "items[1].image": [upload("b.png", b"nope")]},
    )
    assert form.errors == {"items[1].image": "The file's content does not match its extension."}


def test_bad_upload_objects_are_field_errors() -> None:
    """An upload without bytes (or a group where a file belongs) is an error, not a crash."""
    assert AvatarForm({}, {"avatar": [object()]}).errors == {
        "avatar": "This field was submitted in an unexpected shape."
    }
    assert "avatar" in AvatarForm({}, {"avatar.x": [upload("a.png", b"x")]}).errors


@pytest.mark.parametrize(
    ("client_name", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("/etc/passwd", "passwd"),
        ("C:\\Windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:evil.exe", "evil.exe"),
        ("a\x00b.png", "ab.png"),
        ("..", ""),
        (".htaccess", "htaccess"),
        ("name. . ", "name"),
        ("photo\u202egnp.exe", "photognp.exe"),
        ("CON.txt", "_CON.txt"),
        ("con .txt", "_con .txt"),
        ("utf-8''utf-8''x%252Epng", "x.png"),
        ("x/utf-8''%41.txt", "A.txt"),
        ("\u200butf-8''%63on.txt", "_con.txt"),
        ("报告 2024.pdf", "报告 2024.pdf"),
        ("UTF-8''%E6%8A%A5%E5%91%8A.pdf", "报告.pdf"),
        ("utf-8''..%2F..%2Fx.pdf", "x.pdf"),
        ('a<b>:"c|?*.txt', "c.txt"),
        ("log\u2028forged\u2029line.txt", "logforgedline.txt"),
        ("\u3000\u00a0report.pdf\u3000", "report.pdf"),
        ("\u3000.txt", "txt"),
    ],
)
def test_safe_filename(client_name: str, safe: str) -> None:
    """Paths, drives, NUL, bidi tricks and raw filename*= values all reduce to one safe name."""
    assert safe_filename(client_name) == safe


def test_long_names_keep_their_extension() -> None:
    """Names are cut to 200 UTF-8 bytes without splitting a character or losing the suffix."""
    name = safe_filename("报" * 300 + ".pdf")
    assert name.endswith("报.pdf")
    assert len(name.encode()) <= 200
    assert safe_filename(None) == ""
    cut_at_a_space = safe_filename("a" * 197 + "\u3000" + "b" * 10)  # the cut leaves no edge space
    assert cut_at_a_space == "a" * 197


def test_save_keeps_unicode_and_never_overwrites(tmp_path: Path) -> None:
    """A Chinese name survives; a second save beside it gets a new name."""
    first = UploadedFile("报告.pdf", b"%PDF-1", "application/pdf").save(tmp_path)
    second = UploadedFile("报告.pdf", b"%PDF-2", "application/pdf").save(tmp_path)
    assert first == tmp_path / "报告.pdf"
    assert second == tmp_path / "报告 (1).pdf"
    assert first.read_bytes() == b"%PDF-1"
    assert second.read_bytes() == b"%PDF-2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报告 (1).pdf", "报告.pdf"]


def test_save_generates_a_name_when_nothing_safe_remains(tmp_path: Path) -> None:
    """A name that sanitizes to nothing becomes a random one in the directory."""
    saved = UploadedFile("..", b"data", "text/plain").save(tmp_path)
    assert saved.parent == tmp_path
    assert len(saved.name) == 32
    chosen = UploadedFile("x.txt", b"data", "text/plain").save(tmp_path, name="../../chosen.txt")
    assert chosen == tmp_path / "chosen.txt"


def test_save_does_not_follow_an_existing_symlink(tmp_path: Path) -> None:
    """A planted symlink with the upload's name is not written through."""
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    inside = tmp_path / "in"
    inside.mkdir()
    os.symlink(outside, inside / "a.txt")
    saved = UploadedFile("a.txt", b"new", "text/plain").save(inside)
    assert saved == inside / "a (1).txt"
    assert outside.read_text() == "keep"


def test_save_into_a_missing_directory_fails_clearly(tmp_path: Path) -> None:
    """Saving needs an existing directory."""
    with pytest.raises(UploadSaveError) as caught:
        UploadedFile("a.txt", b"x", "text/plain").save(tmp_path / "nope")
    assert caught.value.directory == str(tmp_path / "nope")


def test_image_verification_with_pillow(png_bytes: bytes) -> None:
    """verify_images refuses a damaged image whose signature is right."""

    class Verified(Form):
        picture = FileField(extensions=["png"], verify_images=True, max_pixels=100)

    assert Verified({}, {"picture": [upload("a.png", png_bytes)]}).is_valid()
    damaged = png_bytes[:8] + b"\x00" * (len(png_bytes) - 8)
    assert Verified({}, {"picture": [upload("a.png", damaged)]}).errors == {
        "picture": "The image file is damaged or too large."
    }


def test_image_verification_limits_pixels() -> None:
    """An image above max_pixels is refused before its pixels are decoded."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (200, 200)).save(buffer, format="PNG")

    class Small(Form):
        picture = FileField(verify_images=True, max_pixels=10_000)

    assert "picture" in Small({}, {"picture": [upload("a.png", buffer.getvalue())]}).errors


def test_file_field_declaration_errors() -> None:
    """Nonsense limits are refused when the field is declared."""
    with pytest.raises(FormDefinitionError):
        FileField(max_files=0)


def test_numbered_names_fit_even_for_long_names(tmp_path: Path) -> None:
    """A second save of a maximal name still gets a distinct, numbered name within the budget."""
    name = safe_filename("报" * 100 + ".pdf")
    first = UploadedFile(name, b"1", "text/plain").save(tmp_path)
    second = UploadedFile(name, b"2", "text/plain").save(tmp_path)
    assert first != second
    assert second.name.endswith(" (1).pdf")
    assert len(second.name.encode()) <= 200


def test_a_bare_upload_counts_as_one(png_bytes: bytes) -> None:
    """files={"avatar": upload} (no list) is read as one upload, not as a group of names."""
    form = AvatarForm({}, {"avatar": upload("a.png", png_bytes)})  # type: ignore[dict-item]
    assert form.is_valid(), form.errors


def test_save_failures_are_upload_save_errors(tmp_path: Path) -> None:
    """An OS refusal (here: a path too long for the system) is an UploadSaveError, no debris left."""
    deep = tmp_path
    while len(str(deep)) < 3800:
        deep = deep / ("d" * 150)
    deep = deep / ("e" * (3975 - len(str(deep)) - 1))  # room for the temporary file, not the name
    deep.mkdir(parents=True)
    with pytest.raises(UploadSaveError, match="cannot save upload") as caught:
        UploadedFile("报" * 60 + ".txt", b"x", "text/plain").save(deep)
    assert caught.value.directory == str(deep)
    assert list(deep.iterdir()) == []

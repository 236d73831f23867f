"""Avatar uploads under attack, and the usability findings around them.

Each test failed on the build the security test was run on: a 4.9 kB PNG of 6300 x 6300 one-bit
pixels passed validation and was decoded and widened to RGBA (345 MB each, six at once took the
server to 2.1 GB and a captcha 8.3 s); PNGs whose pixel data did not decode gave a 500; replaced
avatars stayed on disk and served, under names that counted user ids; a refused upload lost the
typed display name, and the page said "2097152 bytes" beside a "2 MB" label.

The tests speak HTTP only, so they run as they are against any build of the demo.
"""

from __future__ import annotations

import io
import json
import re
import struct
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

from PIL import Image

UPLOADS = 6
MAX_GROWTH = 100 * 1024 * 1024
MAX_CAPTCHA_SECONDS = 1.0
AVATAR = re.compile(r'id="avatar" src="(/avatars/[^"]+)"')
CHALLENGE_ID = re.compile(r"/captcha/([A-Za-z0-9_-]{22})")
FIELD_ERROR = re.compile(r'<p class="error" data-for="avatar">([^<]*)</p>')


# --- pictures ---------------------------------------------------------------------------------


@cache
def bomb() -> bytes:
    """The finding's picture: 6300 x 6300 one-bit pixels, 40 MB decoded, under 5 kB as a PNG."""
    buffer = io.BytesIO()
    Image.new("1", (6300, 6300)).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def png(size: tuple[int, int] = (300, 200), colour: tuple[int, int, int] = (200, 40, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """A PNG's chunks as (type, data), CRCs dropped."""
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunks.append((data[position + 4 : position + 8], data[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def _png_of(chunks: list[tuple[bytes, bytes]]) -> bytes:
    """A PNG of these chunks, each with a right CRC: only the pixel data tells it is broken."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        for kind, data in chunks
    )


def undecodable_pngs() -> dict[str, bytes]:
    """PNGs whose header, chunk CRCs and Pillow's verify() pass, but whose pixels do not decode."""
    buffer = io.BytesIO()
    Image.effect_noise((120, 80), 50).convert("RGB").save(buffer, format="PNG")
    chunks = _chunks(buffer.getvalue())
    pixels = b"".join(data for kind, data in chunks if kind == b"IDAT")
    header = [(kind, data) for kind, data in chunks if kind not in (b"IDAT", b"IEND")]
    broken = {
        "truncated.png": pixels[: len(pixels) // 2],
        "garbled.png": pixels[:2] + bytes(byte ^ 0x5A for byte in pixels[2:]),  # zlib header kept
    }
    return {name: _png_of([*header, (b"IDAT", data), (b"IEND", b"")]) for name, data in broken.items()}


# --- HTTP -------------------------------------------------------------------------------------


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts += [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
        "Content-Type: image/png\r\n\r\n".encode()
        + body
        + b"\r\n"
        for name, (filename, body) in files.items()
    ]
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_form(client: Any, body: bytes, filename: str = "me.png", display_name: str = "") -> Any:
    """POST /profile as the page's form does: display name and avatar together."""
    data, content_type = multipart(
        {"_xsrf": client.cookie("_xsrf") or "", "display_name": display_name}, {"avatar": (filename, body)}
    )
    return client.request("/profile", data, {"Content-Type": content_type})


def upload_ajax(client: Any, body: bytes, filename: str = "me.png") -> Any:
    """POST /profile/avatar as static/app.js does."""
    data, content_type = multipart({}, {"avatar": (filename, body)})
    headers = {
        "Content-Type": content_type,
        "X-XSRFToken": client.cookie("_xsrf") or "",
        "X-Requested-With": "XMLHttpRequest",
    }
    return client.request("/profile/avatar", data, headers)


def avatar_error(response: Any) -> str:
    """The avatar's error message, from the JSON answer or from the page."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return str(json.loads(response.body)["errors"]["avatar"])
    found = FIELD_ERROR.search(response.body)
    assert found, response.body[:2000]
    return found.group(1)


def memory(key: str) -> int:
    """``VmRSS`` or ``VmHWM`` of this process (the app runs in it), in bytes."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {key} in /proc/self/status")


def reset_peak() -> bool:
    """Start VmHWM again from the current RSS (Linux >= 4.0); whether it could."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


class _Sampler(threading.Thread):
    """Samples VmRSS every few milliseconds, for kernels where VmHWM cannot be reset."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = memory("VmRSS")
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, memory("VmRSS"))


# --- 1. decompression bombs -------------------------------------------------------------------


def test_six_bombs_at_once_cost_little_memory_and_do_not_slow_captchas(
    live, client, new_client, register_user
) -> None:
    register_user(live, client, "mallory")
    zh = new_client(live)
    zh.language = "zh-CN,zh;q=0.9"
    register_user(live, zh, "mallory_zh")
    picture = bomb()
    assert len(picture) < 5 * 1024  # the finding's 4.9 kB
    visitor = new_client(live)

    before = memory("VmRSS")
    peak_resettable = reset_peak()
    sampler = _Sampler()
    sampler.start()
    barrier = threading.Barrier(UPLOADS + 1)

    def attack(n: int) -> Any:
        who = zh if n % 2 else client
        barrier.wait()
        return upload_form(who, picture) if n < UPLOADS // 2 else upload_ajax(who, picture)

    with ThreadPoolExecutor(UPLOADS) as pool:
        futures = [pool.submit(attack, n) for n in range(UPLOADS)]
        barrier.wait()
        time.sleep(0.05)  # the uploads are in
        challenge = CHALLENGE_ID.search(visitor.get("/login").body)
        assert challenge, "the login page has no captcha"
        started = time.monotonic()
        picture_response = visitor.get(f"/captcha/{challenge.group(1)}")
        captcha_seconds = time.monotonic() - started
        responses = [future.result(timeout=120) for future in futures]
    sampler.done.set()
    sampler.join()
    growth = max(sampler.peak, memory("VmHWM") if peak_resettable else 0) - before
    print(f"\nRSS growth {growth / 2**20:.1f} MB, captcha served in {captcha_seconds * 1000:.0f} ms")

    for n, response in enumerate(responses):
        assert 400 <= response.status < 500, (n, response.status, response.body[:500])
        message = avatar_error(response)
        assert ("像素" if n % 2 else "pixels") in message, message
    assert growth < MAX_GROWTH, f"RSS grew by {growth / 2**20:.0f} MB"
    assert picture_response.status == 200
    assert captcha_seconds < MAX_CAPTCHA_SECONDS
    assert list(live.services.avatars.iterdir()) == []


# --- 2. pixel data that does not decode -------------------------------------------------------


def test_undecodable_pixel_data_is_a_form_error_never_a_500(live, client, register_user) -> None:
    register_user(live, client, "trudy")
    for filename, picture in undecodable_pngs().items():
        response = upload_ajax(client, picture, filename)
        assert response.status == 400, (filename, response.status, response.body[:500])
        assert avatar_error(response), filename

        response = upload_form(client, picture, filename)
        assert response.status == 400, (filename, response.status, response.body[:500])
        assert "damaged" in avatar_error(response), filename
        assert "Traceback" not in response.body
    assert list(live.services.avatars.iterdir()) == []  # nothing left behind


# --- 3. replaced avatars ------------------------------------------------------------------------


def test_a_replaced_avatar_is_deleted_and_names_tell_nothing(live, client, new_client, register_user) -> None:
    register_user(live, client, "oscar")
    other = new_client(live)
    register_user(live, other, "peggy")
    directory = live.services.avatars

    first = upload_ajax(client, png(colour=(220, 30, 60)))
    assert first.status == 200, first.body
    first_url = json.loads(first.body)["avatar_url"]
    assert client.get(first_url).status == 200
    response = upload_form(client, png(colour=(20, 60, 220)), display_name="Oscar")
    assert response.location == "/profile?saved=1", response.body[:500]
    second_url = AVATAR.search(client.get("/profile").body).group(1)  # type: ignore[union-attr]

    assert second_url != first_url
    assert client.get(first_url).status == 404  # gone from the disk, not only from the page
    assert client.get(second_url).status == 200
    assert sorted(path.name for path in directory.iterdir()) == [second_url.removeprefix("/avatars/")]

    assert upload_ajax(client, undecodable_pngs()["truncated.png"]).status == 400
    assert sorted(path.name for path in directory.iterdir()) == [second_url.removeprefix("/avatars/")]

    assert upload_ajax(other, png()).status == 200
    names = sorted(path.name for path in directory.iterdir())
    assert len(names) == 2
    ids = [live.call(live.services.users.by_name(name)).id for name in ("oscar", "peggy")]
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{32}\.png", name, re.ASCII), name
        assert not any(name.startswith(f"{user_id}-") for user_id in ids), name
    assert names[0][:8] != names[1][:8]  # random, not counted


# --- 4. usability -------------------------------------------------------------------------------


def test_a_refused_upload_keeps_the_typed_display_name(live, client, register_user) -> None:
    register_user(live, client, "zoe")
    typed = "Zoë <Ω> & co"
    for picture in (b"not an image at all", bomb(), undecodable_pngs()["garbled.png"]):
        response = upload_form(client, picture, display_name=typed)
        assert response.status == 400
        assert 'value="Zoë &lt;Ω&gt; &amp; co"' in response.body
    assert live.call(live.services.users.by_name("zoe")).display_name == ""  # nothing was saved


def test_the_size_limit_reads_the_same_in_label_and_error(live, client, new_client, register_user) -> None:
    too_big = png() + b"\0" * (2 * 1024 * 1024)  # a little over 2 MB, still within the route's body limit
    zh = new_client(live)
    zh.language = "zh-CN"
    for who, name, label in (
        (client, "victor", r"at most ([0-9.]+ [kMG]?B)"),
        (zh, "wang", r"最大 ([0-9.]+ [kMG]?B)"),
    ):
        register_user(live, who, name)
        page = who.get("/profile").body
        limit = re.search(label, page)
        assert limit, page
        response = upload_form(who, too_big, display_name="x")
        assert response.status == 400
        message = avatar_error(response)
        assert limit.group(1) in message, (limit.group(1), message)
        assert "2097152" not in response.body
        assert not re.search(r"\d{4,} ?(bytes|字节)", message), message

"""Security review, issue 12, item 5: a small picture must not make the server decode hundreds of MB.

The review sent a 688 KB PNG of 13300 x 13300 pixels to /verify with no sign-in; the server grew
from 173 to 864 MB. Here the same shape of file is built (a valid PNG whose rows are all zero) and
sent; Pillow's decoder is watched (spied on, not replaced) to show that nothing is decoded.
"""

from __future__ import annotations

import io
import struct
import threading
import zlib
from pathlib import Path

import pytest
from flask import Flask
from PIL import ImageFile

from ledger.application import Ledger
from tests.e2e.web.conftest import make_app


def png_bomb(width: int = 13300, height: int = 13300) -> bytes:
    """A valid 8-bit greyscale PNG of width x height zero pixels, compressed row by row (small file)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)  # filter byte 0, then the pixels
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


@pytest.fixture
def app(tmp_path: Path, ledger: Ledger) -> Flask:
    return make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)


def upload(app: Flask, data: bytes, name: str = "qr.png") -> tuple[int, str]:
    response = app.test_client().post(
        "/verify",
        data={"picture": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    return response.status_code, response.get_data(as_text=True)


def test_the_reviews_13300_pixel_png_is_refused_from_its_header_without_decoding(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = png_bomb()
    assert len(bomb) < 1024 * 1024  # small on the wire, 177 MB once decoded
    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def watched_load(image: ImageFile.ImageFile) -> object:
        decoded.append(image.size)
        return real_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    status, text = upload(app, bomb)
    assert status == 400
    assert "too large" in text
    assert "16 megapixels" in text
    assert decoded == []


def test_a_long_thin_picture_is_refused_too(app: Flask) -> None:
    status, text = upload(app, png_bomb(width=60_000, height=40))
    assert status == 400
    assert "too large" in text


def test_an_upload_over_the_size_cap_is_refused_before_it_is_read(app: Flask) -> None:
    boundary = "b0undary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="picture"; filename="qr.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + b"\x00" * (5 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = app.test_client().post(
        "/verify",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept-Language": "en"},
    )
    status, text = response.status_code, response.get_data(as_text=True)
    assert status == 413
    assert "too large" in text


def test_decodes_are_bounded_and_a_busy_server_says_so(tmp_path: Path, ledger: Ledger) -> None:
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, PICTURE_DECODES=(2, 0.0))
    reader = app.extensions["immunize_pictures"]
    small = png_bomb(64, 64)  # a real picture without a QR code
    assert upload(app, small)[0] == 400  # decoded: "no QR code"
    held = [reader.slots.acquire(), reader.slots.acquire()]  # two decodes in flight elsewhere
    assert held == [True, True]
    try:
        status, text = upload(app, small)
        assert status == 503
        assert "busy" in text
    finally:
        reader.slots.release()
        reader.slots.release()
    status, text = upload(app, small)
    assert status == 400
    assert "No certificate QR code" in text


def test_concurrent_uploads_never_decode_more_than_the_bound_at_once(
    tmp_path: Path, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Admission control (its own tests) would shed some of the 8 at once: here all must reach the reader.
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, PICTURE_DECODES=(2, 30.0), ADMISSION=False)
    in_flight = 0
    most = 0
    lock = threading.Lock()
    real_load = ImageFile.ImageFile.load

    def watched_load(image: ImageFile.ImageFile) -> object:
        nonlocal in_flight, most
        with lock:
            in_flight += 1
            most = max(most, in_flight)
        try:
            return real_load(image)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setattr(ImageFile.ImageFile, "load", watched_load)
    picture = png_bomb(2000, 2000)
    start = threading.Barrier(8)
    statuses: list[int] = []

    def send() -> None:
        start.wait()
        statuses.append(upload(app, picture)[0])

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [400] * 8  # each one read, no QR code in it
    assert 1 <= most <= 2

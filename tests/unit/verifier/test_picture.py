"""Staff photograph a certificate: the QR code is read from PNG or JPEG, rotated or scaled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import segno
from PIL import Image

from tests.unit.verifier.pki import NOW, issue, make_csca, make_dsc
from verifier import TrustList, verify
from verifier.picture import PictureError, read_qr

DSC = make_dsc(make_csca())
HC1 = issue(DSC)


def qr_picture(text: str, angle: float = 0, scale: float = 1.0, image_format: str = "PNG") -> bytes:
    """A QR code as issued (alphanumeric, level Q), then turned and resized like a hand-held photo."""
    qr = segno.make_qr(text, error="q", mode="alphanumeric")
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=4, border=4)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    if angle:
        image = image.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BILINEAR)
    if scale != 1.0:
        image = image.resize((int(image.width * scale), int(image.height * scale)), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    image.save(out, format=image_format, **({"quality": 85} if image_format == "JPEG" else {}))
    return out.getvalue()


@pytest.mark.parametrize(
    ("angle", "scale", "image_format"),
    [
        (0, 1.0, "PNG"),
        (90, 1.0, "PNG"),
        (23, 1.0, "PNG"),
        (0, 0.8, "PNG"),
        (-17, 2.3, "JPEG"),
        (180, 1.5, "JPEG"),
    ],
)
def test_a_turned_or_resized_photo_reads_back_the_exact_text(
    angle: float, scale: float, image_format: str
) -> None:
    picture = qr_picture(HC1, angle, scale, image_format)
    assert read_qr(picture) == HC1
    assert verify(read_qr(picture), TrustList.from_certificates([DSC.der]), now=NOW).kind == "v"


def test_a_picture_file_path_is_read(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(qr_picture(HC1, 45))
    assert read_qr(path) == HC1


def test_a_picture_without_a_qr_code_is_refused() -> None:
    blank = io.BytesIO()
    Image.new("L", (200, 200), 255).save(blank, format="PNG")
    with pytest.raises(PictureError, match="No QR code"):
        read_qr(blank.getvalue())


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n broken", b"GIF89a" + b"\0" * 20, b"plain text"])
def test_a_file_that_is_not_a_picture_is_refused(data: bytes) -> None:
    with pytest.raises(PictureError) as caught:
        read_qr(data)
    assert caught.value.reason == "picture"


def test_a_missing_picture_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PictureError, match="could not be opened"):
        read_qr(tmp_path / "absent.png")


def test_a_light_on_dark_code_is_found_by_the_exhaustive_pass() -> None:
    from PIL import ImageOps

    inverted = ImageOps.invert(Image.open(io.BytesIO(qr_picture(HC1, 10))).convert("L"))
    out = io.BytesIO()
    inverted.save(out, format="PNG")
    assert read_qr(out.getvalue()) == HC1

"""Reading the HC1 text out of a QR code picture (PNG or JPEG photo, rotated or scaled) with zxing-cpp."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from verifier.errors import VerificationError

MAX_PICTURE_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel photo; larger is refused before decoding (decompression bombs)


class PictureError(VerificationError):
    """No QR code could be read from the picture."""

    reason = "picture"
    code = "certificate_picture"


def read_qr(source: bytes | str | Path) -> str:
    """The text of the first QR code in a PNG/JPEG picture (file path or bytes); PictureError if none.

    Pillow and zxing-cpp are imported here, not at module load, so checking a typed or pasted HC1
    text never pays for them (the optional `pictures` extra).
    """
    data = _read_bytes(source)
    try:
        import zxingcpp
        from PIL import Image
    except ImportError:
        raise PictureError("Reading pictures needs the optional packages Pillow and zxing-cpp.") from None
    try:
        with Image.open(io.BytesIO(data)) as opened:
            width, height = opened.size
            if width * height > MAX_PIXELS:
                raise PictureError("The picture is too large; use a photo under 40 megapixels.")
            grey: Any = opened.convert("L")
    except PictureError:
        raise
    except Exception:  # Pillow raises UnidentifiedImageError, OSError, ValueError ... for bad files
        raise PictureError("The file is not a readable PNG or JPEG picture.") from None
    qr_only = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    # Cheapest first, each pass only if the one before found nothing: (1) a generated picture (a saved
    # PNG of the certificate: nothing but the aligned symbol and its quiet zone, black and white, so
    # zxing-cpp's pure mode with a fixed threshold and no downscaled copies); (2) the common photo (dark
    # code on light ground, local binarizer; QR finder patterns already give any rotation); (3)
    # zxing-cpp's exhaustive search (inverted colours, 90-degree turns).
    passes: tuple[dict[str, Any], ...] = (
        {"is_pure": True, "try_downscale": False, "binarizer": zxingcpp.Binarizer.FixedThreshold},
        {"try_rotate": False, "try_invert": False},
        {"try_rotate": True, "try_invert": True},
    )
    for options in passes:
        options.setdefault("try_rotate", False)
        options.setdefault("try_invert", False)
        try:
            found = zxingcpp.read_barcodes(grey, formats=qr_only, **options)
        except Exception as error:
            raise PictureError(
                f"The QR code reader failed on this picture ({type(error).__name__})."
            ) from None
        for barcode in found:
            if barcode.text:
                return str(barcode.text)
    raise PictureError("No QR code was found in the picture; retake it closer and in focus.")


def _read_bytes(source: bytes | str | Path) -> bytes:
    """The picture bytes, bounded in size."""
    if isinstance(source, bytes):
        data = source
    else:
        try:
            with Path(source).open("rb") as handle:
                data = handle.read(MAX_PICTURE_BYTES + 1)
        except OSError as error:
            raise PictureError(f"The picture could not be opened ({error.strerror}).") from None
    if len(data) > MAX_PICTURE_BYTES:
        raise PictureError("The picture file is larger than 20 MiB.")
    return data

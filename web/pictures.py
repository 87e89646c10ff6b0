"""Reading a certificate QR out of an uploaded picture, bounded in bytes, pixels and concurrent decodes.

Anyone may upload to /verify without signing in, so a small file must not buy a large decode
(issue 12, item 5: a 688 KB PNG of 13300 x 13300 pixels grew the server by 700 MB). Pillow's
`Image.open` reads only the header: the size is checked there, before any pixel is decoded, and at
most `concurrent` decodes run at once per process (the rest wait briefly, then hear "busy").
"""

from __future__ import annotations

import io
import threading
import warnings

from web.errors import BadInput, Unavailable

MAX_PICTURE_BYTES = 4 * 1024 * 1024
# A 12-megapixel phone photo is 4032 x 3024; Pillow holds RGB at 4 bytes a pixel, so a decode of
# the largest accepted picture costs about 64 MB plus its 16 MB greyscale copy.
MAX_PIXELS = 16_000_000
MAX_SIDE = 8_000
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG"})


class PictureReader:
    """The /verify picture path: header check, bounded decodes, then the verifier's QR reader."""

    def __init__(
        self,
        *,
        concurrent: int = 2,
        wait_seconds: float = 5.0,
        max_bytes: int = MAX_PICTURE_BYTES,
        max_pixels: int = MAX_PIXELS,
        max_side: int = MAX_SIDE,
    ) -> None:
        self.slots = threading.BoundedSemaphore(max(1, concurrent))
        self.wait_seconds = wait_seconds
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_side = max_side

    def check_header(self, data: bytes) -> None:
        """Refuse a file that is too big, not a PNG/JPEG, or too many pixels, from its header alone."""
        if len(data) > self.max_bytes:
            raise BadInput("the picture is larger than 4 MiB", key="error.too_large")
        from PIL import Image, UnidentifiedImageError

        try:
            with warnings.catch_warnings():
                # Our own limit is far below Pillow's; its warning would only repeat it.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:  # reads the header, decodes nothing
                    width, height = image.size
                    kind = image.format
        except Image.DecompressionBombError as exc:
            raise self._too_large() from exc
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
            raise BadInput(
                "that file is not a picture we can read (PNG or JPEG)", key="error.picture"
            ) from exc
        if kind not in ACCEPTED_FORMATS:
            raise BadInput("that file is not a picture we can read (PNG or JPEG)", key="error.picture")
        if width * height > self.max_pixels or max(width, height) > self.max_side:
            raise self._too_large()

    def _too_large(self) -> BadInput:
        return BadInput(
            "the picture has too many pixels",
            key="error.picture_too_large",
            megapixels=self.max_pixels // 1_000_000,
        )

    def read_hc1(self, data: bytes) -> str:
        """The HC1 text of the certificate QR in the picture, or BadInput / Unavailable (busy)."""
        self.check_header(data)
        from verifier.picture import PictureError, read_qr

        if not self.slots.acquire(timeout=self.wait_seconds):
            raise Unavailable("too many pictures are being read: try again in a moment", key="error.busy")
        try:
            text = read_qr(data)
        except PictureError as exc:
            raise BadInput("no certificate QR code was found in the picture", key="error.no_qr") from exc
        finally:
            self.slots.release()
        if not text.startswith("HC1:"):
            raise BadInput("no certificate QR code was found in the picture", key="error.no_qr")
        return text

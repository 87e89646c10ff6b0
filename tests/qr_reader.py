"""How the tests read QR pictures: zxing-cpp asked for QR codes only, as verifier.picture asks.

With every format allowed, zxing-cpp now and then also finds a (false) Codabar inside a valid QR
symbol: about 1 in 300 random HC1 strings, with segno's rendering of the same text too.
"""

from __future__ import annotations

import zxingcpp

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

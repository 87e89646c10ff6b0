"""The one Vietnamese phone normaliser: "+84 912 345 678", "0912345678" and "84912345678" are one number.

The ledger stores, the web signs in with, and the phone index is keyed by the national form
0XXXXXXXXX (what people read on their SIM card); `international` gives +84XXXXXXXXX for gateways.
"""

from __future__ import annotations

import re
import unicodedata

from ledger.errors import PhoneInvalid

# Vietnamese mobile numbers (MIC numbering plan since 2018): 0 or +84/84, then 3, 5, 7, 8 or 9 and 8 digits.
_MOBILE = re.compile(r"(?:\+?84|0)([35789][0-9]{8})")
_SEPARATORS = re.compile(r"[\s.()\-]")


def normalise_phone(raw: str) -> str:
    """The national form 0XXXXXXXXX of a Vietnamese mobile number, or PhoneInvalid."""
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)) if isinstance(raw, str) else ""
    match = _MOBILE.fullmatch(text)
    if match is None:
        raise PhoneInvalid(
            f"{raw!r} is not a Vietnamese mobile number: type 10 digits starting with 0, e.g. 0912345678.",
            phone=str(raw)[:20],
        )
    return "0" + match.group(1)


def international(phone: str) -> str:
    """+84XXXXXXXXX (E.164) for a number in any accepted form."""
    return "+84" + normalise_phone(phone)[1:]

"""Rules of the campaign that more than one command or caller needs, each written once.

Plain functions over plain values (no store): the ledger's commands call them, and services and
the web never re-implement them.
"""

from __future__ import annotations

from uuid import UUID

from credentials.errors import InvalidRecordError
from credentials.transliteration import transliterate
from ledger.errors import LotNotAtSite, NameNotTransliterable


def check_lot_at_site(*, lot_number: str, lot_site_id: UUID, site_id: UUID) -> None:
    """A dose is recorded from a lot held at the site recording it (stock is counted per site)."""
    if lot_site_id != site_id:
        raise LotNotAtSite(
            f"Lot {lot_number} is held at another site, not at the site recording this dose: "
            "pick one of this site's lots, or transfer the lot first.",
            lot_number=lot_number,
        )


def check_name_transliterable(full_name: str) -> None:
    """A name goes on a certificate in ICAO 9303 letters: refuse, when typed, one that cannot."""
    try:
        transliterate(full_name, field="full name")
    except InvalidRecordError as exc:
        letters = sorted({ch for ch in full_name if not _writable(ch)})
        raise NameNotTransliterable(str(exc), letters=" ".join(letters) or full_name[:40]) from None


def _writable(char: str) -> bool:
    try:
        transliterate(char + "A")
    except InvalidRecordError:
        return False
    return True

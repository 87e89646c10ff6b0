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


def split_name(full_name: str) -> tuple[str, str]:
    """Family name and given names of a Vietnamese full name written family name first.

    The first word is the family name (Nguyễn, Trần, Lê, ...); the rest are middle and given names.
    Rare two-word family names (Tôn Nữ, Âu Dương) cannot be told apart from a middle name in one string,
    so they come out as family name plus given names; the transliteration is the same either way.
    """
    family, _, given = " ".join(full_name.split()).partition(" ")
    return family, given


def check_name_transliterable(full_name: str) -> None:
    """A name goes on a certificate in ICAO 9303 letters (fnt, gnt): refuse, when typed, one that cannot,
    split as the certificate splits it (credentials.payload transliterates each part)."""
    family, given = split_name(full_name)
    try:
        transliterate(family, field="family name")
        if given:
            transliterate(given, field="given names")
    except InvalidRecordError as exc:
        letters = sorted({ch for ch in full_name if not _writable(ch)})
        raise NameNotTransliterable(str(exc), letters=" ".join(letters) or full_name[:40]) from None


def _writable(char: str) -> bool:
    try:
        transliterate(char + "A")
    except InvalidRecordError:
        return False
    return True

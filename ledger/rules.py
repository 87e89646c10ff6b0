"""Rules of the campaign that more than one command or caller needs, each written once.

Plain functions over plain values (no store): the ledger's commands call them, and services and
the web never re-implement them.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from credentials.errors import InvalidRecordError
from credentials.transliteration import transliterate
from ledger.campaign.errors import LotExhausted, StockLotExpired
from ledger.errors import LotNotAtSite, NameNotTransliterable


def check_lot_at_site(
    *,
    lot_number: str,
    lot_site_id: UUID,
    site_id: UUID,
    day: date | None = None,
    expiry: date | None = None,
    available: int | None = None,
    doses: int = 1,
) -> None:
    """A dose is recorded from a lot allocated to the site recording it, not exhausted and not expired
    on the dose's day (stock is counted per site). `available` is what the site's allocation still
    holds for that day (ledger.campaign.stock); None for a lot received at the site before stock was
    tracked, where only the site is checked."""
    if lot_site_id != site_id:
        raise LotNotAtSite(
            f"Lot {lot_number} is held at another site, not at the site recording this dose: "
            "pick one of this site's lots, or ask the province to allocate one.",
            lot_number=lot_number,
        )
    if available is None:
        return
    if day is not None and expiry is not None and day > expiry:
        raise StockLotExpired(
            f"Lot {lot_number} expired on {expiry.isoformat()}, before {day.isoformat()}: do not use it; "
            "record the lot actually used.",
            lot_number=lot_number,
            expiry=expiry,
        )
    if available < doses:
        raise LotExhausted(
            f"Lot {lot_number} has {available} doses left at this site, fewer than {doses}: "
            "record the lot actually used, or ask the province for an allocation.",
            lot_number=lot_number,
            available=max(available, 0),
            asked=doses,
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

"""Reads of the stock a site can book from: doses of a product at a site on a day, and its lots.

On hand of a product at a site on a day = doses of its lots there that are not expired on that day,
less the doses given from them. Booked = the appointments still to be given (booked or arrived) from
the ledger's today on, whatever their day: each takes a dose, so planning a day after another day was
planned must not book the same doses again. Free = what a new appointment on that day may still take,
by the one rule `ledger.campaign.planning.bookable_doses` (a lot expiring before that day serves only
the appointments before its expiry). Lots allocated from a province store are counted from the stock
view (sealed vials: opened ones are wasted at the end of their day, and wasted doses are gone); lots
received straight at a site from the operations view's lots and lot use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.campaign.planning import bookable_doses
from projections import stock_queries
from projections.sql_reads import read_rows
from projections.store import ViewStore


@dataclass(frozen=True)
class StockRow:
    """Doses of one product at one site: in unexpired lots, booked (not yet given, from today on),
    expired (not yet written off), and free for new appointments on the day asked."""

    site_id: str
    product: str
    on_hand: int
    booked: int
    expired: int
    free: int  # bookable_doses: not simply on_hand - booked when a lot expires between days

    def as_json(self) -> dict[str, Any]:
        """The JSON form (`immunize stock --json`)."""
        return {
            "site_id": self.site_id,
            "product": self.product,
            "on_hand": self.on_hand,
            "booked": self.booked,
            "free": self.free,
            "expired": self.expired,
        }


def stock(store: ViewStore, day: date, *, today: date, site_id: UUID | str | None = None) -> list[StockRow]:
    """Stock per site and product on `day`, with the appointments booked from the ledger's `today` on."""
    start = min(today, day)
    where, params = ("AND l.site_id = ?", [str(site_id)]) if site_id is not None else ("", [])
    rows = read_rows(
        store,
        f"SELECT l.site_id, l.product, l.expiry, l.quantity - COALESCE(u.n, 0) "
        f"FROM {store.table('operations_lots')} l LEFT JOIN {store.table('operations_lot_use')} u "
        f"ON u.lot_id = l.lot_id WHERE l.lot_id NOT IN ({stock_queries.tracked_lot_ids(store)}) {where}",
        *params,
    )
    lots: dict[tuple[str, str], list[tuple[date, int]]] = {}
    gone: dict[tuple[str, str], int] = {}
    for site, product, expiry, left in rows:
        key = (str(site), str(product))
        lots.setdefault(key, [])
        until, n = date.fromisoformat(str(expiry)), max(0, int(left))
        if until >= start:  # a lot ending before `day` still serves the appointments before it
            lots[key].append((until, n))
        if until < day:
            gone[key] = gone.get(key, 0) + n
    site_ids = [str(site_id)] if site_id is not None else None
    for s in stock_queries.site_lots(store, site_ids=site_ids):
        key = (s.site_id, s.product)
        lots.setdefault(key, [])
        if s.expiry >= start:
            lots[key].append((s.expiry, s.sealed))
        if s.expiry < day and s.remaining:
            gone[key] = gone.get(key, 0) + s.remaining
    where_a = "AND site_id = ?" if site_id is not None else ""
    booked: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for r in read_rows(
        store,
        f"SELECT site_id, product, day, count(*) FROM {store.table('campaign_appointments')} "
        f"WHERE status IN ('booked', 'arrived') AND day >= ? {where_a} GROUP BY site_id, product, day",
        start.isoformat(),
        *params,
    ):
        booked.setdefault((str(r[0]), str(r[1])), []).append((date.fromisoformat(str(r[2])), int(r[3])))
    found = []
    for key in sorted(set(lots) | set(booked)):
        held, taken = lots.get(key, []), booked.get(key, [])
        found.append(
            StockRow(
                key[0],
                key[1],
                sum(n for expiry, n in held if expiry >= day),
                sum(n for _, n in taken),
                gone.get(key, 0),
                bookable_doses(held, taken, today, day),
            )
        )
    return found


def lots_at(store: ViewStore, site_id: UUID | str, day: date) -> list[tuple[str, str, str]]:
    """(lot id, product, lot number) of the unexpired lots held at a site on `day`."""
    return [
        (str(r[0]), str(r[1]), str(r[2]))
        for r in read_rows(
            store,
            f"SELECT lot_id, product, lot_number FROM {store.table('operations_lots')} WHERE site_id = ? AND expiry >= ? "
            f"AND lot_id NOT IN (SELECT site_lot_id FROM {store.table('stock_site_lots')} "
            "WHERE allocated - used - wasted_open - wasted_expired <= 0) "
            "ORDER BY expiry, lot_number",
            str(site_id),
            day.isoformat(),
        )
    ]

"""Reads of the stock a site can book from: doses of a product at a site on a day, and its lots.

Stock of a product at a site on a day = doses of its lots there that are not expired on that day,
minus the doses given from them, minus the appointments still booked for it (not yet given). Lots
allocated from a province store are counted from the stock view (sealed vials: opened ones are
wasted at the end of their day, and wasted doses are gone); lots received straight at a site from
the operations view's lots and lot use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from projections import stock_queries
from projections.sql_reads import read_rows
from projections.store import ViewStore


@dataclass(frozen=True)
class StockRow:
    """Doses of one product at one site: in unexpired lots, used, booked (not yet given), free."""

    site_id: str
    product: str
    on_hand: int
    booked: int
    expired: int

    @property
    def free(self) -> int:
        """Doses free for new appointments."""
        return max(0, self.on_hand - self.booked)

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


def stock(store: ViewStore, day: date, *, site_id: UUID | str | None = None) -> list[StockRow]:
    """Stock per site and product on `day`."""
    where, params = ("AND l.site_id = ?", [str(site_id)]) if site_id is not None else ("", [])
    lots = read_rows(
        store,
        f"SELECT l.site_id, l.product, l.expiry, l.quantity - COALESCE(u.n, 0) "
        f"FROM {store.table('operations_lots')} l LEFT JOIN {store.table('operations_lot_use')} u "
        f"ON u.lot_id = l.lot_id WHERE l.lot_id NOT IN ({stock_queries.tracked_lot_ids(store)}) {where}",
        *params,
    )
    on_hand: dict[tuple[str, str], int] = {}
    expired: dict[tuple[str, str], int] = {}
    for site, product, expiry, left in lots:
        key = (str(site), str(product))
        target = on_hand if str(expiry) >= day.isoformat() else expired
        target[key] = target.get(key, 0) + max(0, int(left))
        on_hand.setdefault(key, 0)
    tracked = stock_queries.usable_at(store, day, site_id=str(site_id) if site_id is not None else None)
    for key, (usable, gone) in tracked.items():
        on_hand[key] = on_hand.get(key, 0) + usable
        if gone:
            expired[key] = expired.get(key, 0) + gone
    where_a = "AND site_id = ?" if site_id is not None else ""
    booked = {
        (str(r[0]), str(r[1])): int(r[2])
        for r in read_rows(
            store,
            f"SELECT site_id, product, count(*) FROM {store.table('campaign_appointments')} "
            f"WHERE status IN ('booked', 'arrived') AND day >= ? {where_a} GROUP BY site_id, product",
            day.isoformat(),
            *params,
        )
    }
    keys = sorted(set(on_hand) | set(booked))
    return [
        StockRow(s, p, on_hand.get((s, p), 0), booked.get((s, p), 0), expired.get((s, p), 0)) for s, p in keys
    ]


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

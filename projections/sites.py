"""Sites and lots: every vaccination site and every vaccine lot, with where each lot is held now.

Built from `VaccinationSite.Registered` / `CapacityChanged` and `VaccineLot.Received` /
`Transferred`. Nothing personal: a site is a public place, a lot a batch of vials. `quantity` is
what the lot held when it was received; what is left after doses is the stock view's
(projections.campaign), not this one's. The staff desk's lot picker, the province page and the
site names of health books read from here.
"""

from __future__ import annotations

from ledger.domainmodel import VaccinationSite, VaccineLot
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table


class SitesAndLots(ViewProjection):
    """One row per site (code, name, ward, province, daily capacity), one per lot (product, expiry, site)."""

    name = "sites_and_lots"
    version = 1
    tables = (
        Table(
            "sites",
            (
                "site_id TEXT NOT NULL",
                "code TEXT NOT NULL",
                "name TEXT NOT NULL",
                "ward_code TEXT NOT NULL",
                "province_code TEXT NOT NULL",
                "capacity_per_day INTEGER NOT NULL",
                "registered_on TEXT NOT NULL",
            ),
            ("site_id",),
            indexes=(("province_code",), ("code",)),
        ),
        Table(
            "lots",
            (
                "lot_id TEXT NOT NULL",
                "product TEXT NOT NULL",
                "manufacturer TEXT NOT NULL",
                "lot_number TEXT NOT NULL",
                "expiry TEXT NOT NULL",
                "site_id TEXT NOT NULL",
                "quantity INTEGER NOT NULL",
                "received_on TEXT NOT NULL",
            ),
            ("lot_id",),
            indexes=(("site_id", "expiry"),),
        ),
    )

    @handles(VaccinationSite.Registered)
    def _on_site(self, e: VaccinationSite.Registered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('sites')} (site_id, code, name, ward_code, province_code, capacity_per_day, "
            "registered_on) VALUES (?, ?, ?, ?, ?, ?, ?)",
            str(e.originator_id),
            e.code,
            e.name,
            e.ward_code,
            e.province_code,
            int(e.capacity_per_day),
            e.at.date().isoformat(),
        )

    @handles(VaccinationSite.CapacityChanged)
    def _on_capacity(self, e: VaccinationSite.CapacityChanged, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('sites')} SET capacity_per_day = ? WHERE site_id = ?",
            int(e.capacity_per_day),
            str(e.originator_id),
        )

    @handles(VaccineLot.Received)
    def _on_lot(self, e: VaccineLot.Received, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('lots')} (lot_id, product, manufacturer, lot_number, expiry, site_id, quantity, "
            "received_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            str(e.originator_id),
            e.product,
            e.manufacturer or "",
            e.lot_number,
            e.expiry.isoformat(),
            str(e.site_id),
            int(e.quantity or 0),
            e.at.date().isoformat(),
        )

    @handles(VaccineLot.Transferred)
    def _on_transferred(self, e: VaccineLot.Transferred, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('lots')} SET site_id = ? WHERE lot_id = ?", str(e.site_id), str(e.originator_id)
        )

"""The stock view: each province store lot and each site allocation, with what became of its doses.

Rows are the balances of the stock aggregates (ledger/campaign/stock.py), kept from their events
only: received, allocated, written off at the store; allocated, used, vials opened, wasted (left in
opened vials, expired) and doses in opened vials at the site. Unopened vials returned to the store are
taken off `allocated` on both sides (what the site holds, what left the store) and counted in
`returned`, so every balance reads the same with or without returns. A lot received straight at a
site has a row with an empty `store_lot_id`. Stock per site and product, and
allocation against use per province, are sums over these rows (`projections.stock_queries`).
No personal data: doses are counted, not named.
"""

from __future__ import annotations

from ledger.campaign.stock import SiteLotStock, StoreLot
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table

TABLES = (
    Table(
        "store_lots",
        (
            "lot_id TEXT NOT NULL",
            "province TEXT NOT NULL",
            "product TEXT NOT NULL",
            "lot_number TEXT NOT NULL",
            "expiry TEXT NOT NULL",
            "doses_per_vial BIGINT NOT NULL",
            "received BIGINT NOT NULL",
            "allocated BIGINT NOT NULL",
            "written_off BIGINT NOT NULL",
            "returned BIGINT NOT NULL",
            "received_on TEXT NOT NULL",
        ),
        ("lot_id",),
        indexes=(("province",),),
    ),
    Table(
        "site_lots",
        (
            "record_id TEXT NOT NULL",  # the stock record (its events' originator)
            "site_lot_id TEXT NOT NULL",  # the VaccineLot at the site that doses name
            "store_lot_id TEXT NOT NULL",
            "site_id TEXT NOT NULL",
            "province TEXT NOT NULL",
            "product TEXT NOT NULL",
            "lot_number TEXT NOT NULL",
            "expiry TEXT NOT NULL",
            "doses_per_vial BIGINT NOT NULL",
            "allocated BIGINT NOT NULL",
            "used BIGINT NOT NULL",
            "vials_opened BIGINT NOT NULL",
            "wasted_open BIGINT NOT NULL",
            "wasted_expired BIGINT NOT NULL",
            "open_doses BIGINT NOT NULL",
            "returned BIGINT NOT NULL",
            "allocated_on TEXT NOT NULL",
        ),
        ("record_id",),
        indexes=(("site_id",), ("province",), ("store_lot_id",), ("site_lot_id",)),
    ),
)


class StockView(ViewProjection):
    """Province store lots and site allocations with their balances."""

    name = "stock"
    version = 2  # bump when the tables or handlers change (2: `returned`, lots received at a site)
    tables = TABLES

    @handles(StoreLot.Received)
    def _on_received(self, e: StoreLot.Received, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('store_lots')} (lot_id, province, product, lot_number, expiry, doses_per_vial, "
            "received, allocated, written_off, returned, received_on) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, ?)",
            str(e.originator_id),
            e.province_code,
            e.product,
            e.lot_number,
            e.expiry.isoformat(),
            e.doses_per_vial,
            e.doses,
            e.at.isoformat(),
        )

    @handles(StoreLot.Allocated)
    def _on_store_allocated(self, e: StoreLot.Allocated, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('store_lots')} SET allocated = allocated + ? WHERE lot_id = ?",
            e.doses,
            str(e.originator_id),
        )

    @handles(StoreLot.WrittenOff)
    def _on_store_written_off(self, e: StoreLot.WrittenOff, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('store_lots')} SET written_off = written_off + ? WHERE lot_id = ?",
            e.doses,
            str(e.originator_id),
        )

    @handles(SiteLotStock.Allocated)
    def _on_site_allocated(self, e: SiteLotStock.Allocated, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('site_lots')} (record_id, site_lot_id, store_lot_id, site_id, province, product, "
            "lot_number, expiry, doses_per_vial, allocated, used, vials_opened, wasted_open, wasted_expired, "
            "open_doses, returned, allocated_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, ?)",
            str(e.originator_id),
            str(e.site_lot_id),
            str(e.store_lot_id) if e.store_lot_id is not None else "",
            str(e.site_id),
            e.province_code,
            e.product,
            e.lot_number,
            e.expiry.isoformat(),
            e.doses_per_vial,
            e.doses,
            e.at.isoformat(),
        )

    @handles(SiteLotStock.Drawn)
    def _on_drawn(self, e: SiteLotStock.Drawn, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('site_lots')} SET used = used + ?, vials_opened = vials_opened + ?, "
            "open_doses = open_doses + ? * doses_per_vial - ? WHERE record_id = ?",
            e.doses,
            e.vials_opened,
            e.vials_opened,
            e.doses,
            str(e.originator_id),
        )

    @handles(SiteLotStock.VialsClosed)
    def _on_closed(self, e: SiteLotStock.VialsClosed, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('site_lots')} SET wasted_open = wasted_open + ?, open_doses = open_doses - ? "
            "WHERE record_id = ?",
            e.wasted,
            e.wasted,
            str(e.originator_id),
        )

    @handles(SiteLotStock.Returned)
    def _on_returned(self, e: SiteLotStock.Returned, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('site_lots')} SET used = used - ?, wasted_open = wasted_open + ?, "
            "open_doses = open_doses + ? WHERE record_id = ?",
            e.doses,
            e.wasted,
            e.doses - e.wasted,
            str(e.originator_id),
        )

    @handles(SiteLotStock.WrittenOff)
    def _on_site_written_off(self, e: SiteLotStock.WrittenOff, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('site_lots')} SET wasted_expired = wasted_expired + ? WHERE record_id = ?",
            e.doses,
            str(e.originator_id),
        )

    @handles(StoreLot.TakenBack)
    def _on_taken_back(self, e: StoreLot.TakenBack, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('store_lots')} SET allocated = allocated - ?, returned = returned + ? WHERE lot_id = ?",
            e.doses,
            e.doses,
            str(e.originator_id),
        )

    @handles(SiteLotStock.SentBack)
    def _on_sent_back(self, e: SiteLotStock.SentBack, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('site_lots')} SET allocated = allocated - ?, returned = returned + ? WHERE record_id = ?",
            e.doses,
            e.doses,
            str(e.originator_id),
        )

    @handles(SiteLotStock.Moved)
    def _on_moved(self, e: SiteLotStock.Moved, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('site_lots')} SET site_id = ? WHERE record_id = ?",
            str(e.site_id),
            str(e.originator_id),
        )

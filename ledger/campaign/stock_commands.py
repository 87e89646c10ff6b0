"""Use cases: vaccine stock — shipments to a province store, allocation to sites, unopened vials
returned to the store, end-of-day vials, expired doses written off. Doses draw from their site's allocation in ledger.doses (same transaction
as the dose).

Who: a province officer only for their own province (store and sites), administrators and the
system everywhere; site staff close their own site's vials and return its unopened vials. Every input is checked before anything
is written, and each command writes all of its events in one transaction or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from ledger import checks
from ledger import permissions as ledger_permissions
from ledger.campaign import permissions
from ledger.campaign.base import CampaignBase
from ledger.campaign.errors import (
    AllocationOtherProvince,
    StockLotExpired,
    StockQuantityInvalid,
    StoreLotNotFound,
)
from ledger.campaign.stock import SiteLotStock, StoreLot, check_doses, check_doses_per_vial
from ledger.campaign.values import lot_stock_id
from ledger.commands import Outcome
from ledger.domainmodel import VaccineLot
from ledger.errors import LotNotAtSite, LotNotFound, NotPermitted
from ledger.values import Actor, Role

STOCK_MANAGERS = (Role.PROVINCE_OFFICER, Role.ADMIN, Role.SYSTEM)


def doses_of(doses: int | None, vials: int | None, doses_per_vial: int) -> int:
    """The doses a shipment or allocation counts, given in doses or in vials (exactly one of them)."""
    if (doses is None) == (vials is None):
        raise StockQuantityInvalid(
            "Give the quantity either in doses or in vials, not both and not neither.",
            what="doses_or_vials",
            value="",
        )
    if vials is not None:
        if isinstance(vials, bool) or not isinstance(vials, int) or vials < 1:
            raise StockQuantityInvalid(
                f"The number of vials must be a whole number of at least 1, not {vials!r}: count the vials again.",
                what="vials",
                value=vials,
            )
        doses = vials * doses_per_vial
    assert doses is not None
    return check_doses(doses, doses_per_vial)


def require_stock_manager(actor: Actor, province_code: str) -> None:
    """Receive shipments, allocate, write off at the store: a province officer of that province, an
    administrator or the system."""
    if actor.role not in STOCK_MANAGERS:
        raise NotPermitted(
            f"Only a province officer of province {province_code} receives and allocates vaccine: "
            "sign in with that role."
        )
    ledger_permissions.require_in_province(actor, province_code)


class StockCommands(CampaignBase):
    """Shipments, allocations, closing opened vials, writing off expired doses."""

    def store_lot(self, lot_id: UUID) -> StoreLot:
        """A lot of a province store that must exist."""
        found = self.maybe(StoreLot, checks.as_uuid(lot_id, "lot"))
        if found is None:
            raise StoreLotNotFound(
                f"No lot {lot_id} in any province store: check the lot id, or receive it first."
            )
        return found

    def site_stock(self, site_lot_id: UUID) -> SiteLotStock | None:
        """The stock record of a site lot allocated from a store (None for a lot received at the site)."""
        return self.stock_records.get(checks.as_uuid(site_lot_id, "lot"))

    def receive_shipment(
        self,
        *,
        province_code: str,
        product: str,
        lot_number: str,
        expiry: date,
        doses_per_vial: int,
        actor: Actor,
        idempotency_key: str,
        doses: int | None = None,
        vials: int | None = None,
        manufacturer: str | None = None,
    ) -> UUID:
        """A shipment line arrives at a province store; returns the store lot's id."""
        province = self.reference.province(checks.text(province_code, "province code", 10)).code
        vaccine = self.reference.vaccine(product)
        lot_number = checks.text(lot_number, "lot number", 50)
        expiry = checks.as_date(expiry, "expiry date")
        manufacturer = vaccine.ma if manufacturer is None else checks.text(manufacturer, "manufacturer", 100)
        per_vial = check_doses_per_vial(doses_per_vial)
        count = doses_of(doses, vials, per_vial)
        require_stock_manager(actor, province)
        today = self.today()
        if expiry < today:
            raise StockLotExpired(
                f"Lot {lot_number} expired on {expiry.isoformat()}: do not receive it into the store; "
                "send it back to the supplier.",
                lot_number=lot_number,
                expiry=expiry,
            )
        args = {
            "province": province,
            "product": vaccine.mp,
            "lot": lot_number,
            "expiry": expiry,
            "doses": count,
            "per_vial": per_vial,
            "ma": manufacturer,
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            lot = StoreLot(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=actor,
                at=at,
                province_code=province,
                product=vaccine.mp,
                manufacturer=manufacturer,
                lot_number=lot_number,
                expiry=expiry,
                doses=count,
                doses_per_vial=per_vial,
            )
            return Outcome([lot], {"lot_id": lot.id.hex})

        return UUID(self.run_command("receive_shipment", idempotency_key, args, attempt)["lot_id"])

    def allocate_lot(
        self,
        *,
        store_lot_id: UUID,
        site_id: UUID,
        actor: Actor,
        idempotency_key: str,
        doses: int | None = None,
        vials: int | None = None,
    ) -> UUID:
        """Send whole vials of a store lot to a site of the same province; returns the site lot's id
        (a VaccineLot at the site, which doses then name)."""
        lot = self.store_lot(store_lot_id)
        site = self.get_site(checks.as_uuid(site_id, "site"))
        count = doses_of(doses, vials, lot.doses_per_vial)
        require_stock_manager(actor, lot.province_code)
        if site.province_code != lot.province_code:
            raise AllocationOtherProvince(
                f"Lot {lot.lot_number} is in the store of province {lot.province_code}; site {site.name} is in "
                f"province {site.province_code}: allocate to a site of the same province.",
                lot_number=lot.lot_number,
                province=lot.province_code,
                site_province=site.province_code,
            )
        ledger_permissions.require_in_province(actor, site.province_code)
        today = self.today()
        args = {"lot": lot.id, "site": site.id, "doses": count, "actor": actor}

        def attempt(at: datetime) -> Outcome:
            store = self.store_lot(lot.id)
            site_lot_id = self.new_id()
            store.allocate(
                site_id=site.id, site_lot_id=site_lot_id, doses=count, day=today, actor=actor, at=at
            )
            site_lot = VaccineLot(  # type: ignore[call-arg]
                id=site_lot_id,
                actor=actor,
                at=at,
                product=store.product,
                manufacturer=store.manufacturer,
                lot_number=store.lot_number,
                expiry=store.expiry,
                site_id=site.id,
                quantity=count,
            )
            stock = SiteLotStock(  # type: ignore[call-arg]
                id=lot_stock_id(site_lot_id),
                actor=actor,
                at=at,
                store_lot_id=store.id,
                site_lot_id=site_lot_id,
                site_id=site.id,
                province_code=site.province_code,
                product=store.product,
                lot_number=store.lot_number,
                expiry=store.expiry,
                doses=count,
                doses_per_vial=store.doses_per_vial,
            )
            return Outcome([store, site_lot, stock], {"site_lot_id": site_lot_id.hex})

        return UUID(self.run_command("allocate_lot", idempotency_key, args, attempt)["site_lot_id"])

    def return_vials(
        self,
        *,
        site_lot_id: UUID,
        actor: Actor,
        idempotency_key: str,
        doses: int | None = None,
        vials: int | None = None,
    ) -> int:
        """Unopened vials of a site's lot go back to the province store it was allocated from (both
        records in one transaction); returns the doses returned. Never more than the site holds sealed,
        never an opened vial; a province officer of that province (or the site's own staff)."""
        lot_id = checks.as_uuid(site_lot_id, "lot")
        stock = self.site_stock(lot_id)
        if stock is None:
            raise LotNotFound(f"No counted lot {lot_id} at any site: check the lot id.")
        count = doses_of(doses, vials, stock.doses_per_vial)
        permissions.require_site_worker(actor, stock.site_id, stock.province_code)
        today = self.today()

        def attempt(at: datetime) -> Outcome:
            current = self.site_stock(lot_id)
            assert current is not None
            current.send_back(doses=count, day=today, actor=actor, at=at)
            assert current.store_lot_id is not None  # send_back refuses a lot received at the site
            store = self.store_lot(current.store_lot_id)
            store.take_back(site_id=current.site_id, site_lot_id=lot_id, doses=count, actor=actor, at=at)
            return Outcome([current, store], {"doses": count})

        args = {"lot": lot_id, "doses": count, "actor": actor}
        return int(self.run_command("return_vials", idempotency_key, args, attempt)["doses"])

    def close_vials(
        self, *, site_id: UUID, day: date, lot_ids: Sequence[UUID], actor: Actor, idempotency_key: str
    ) -> int:
        """End of the sessions of `day` at a site: what is left in the vials opened that day (or before)
        is wasted. `lot_ids` are the site's lots with opened vials (the stock view lists them); returns
        the doses wasted."""
        site = self.get_site(checks.as_uuid(site_id, "site"))
        day = checks.as_date(day, "day")
        ids = [checks.as_uuid(i, "lot") for i in lot_ids]
        permissions.require_site_worker(actor, site.id, site.province_code)

        def attempt(at: datetime) -> Outcome:
            changed = []
            wasted = 0
            for lot_id in dict.fromkeys(ids):
                stock = self.site_stock(lot_id)
                if stock is None:
                    raise LotNotFound(f"No lot {lot_id} allocated from a store: check the lot id.")
                if stock.site_id != site.id:
                    raise LotNotAtSite(
                        f"Lot {stock.lot_number} was allocated to another site: close only this site's vials.",
                        lot_number=stock.lot_number,
                    )
                n = stock.close_vials(day=day, actor=actor, at=at)
                if n:
                    wasted += n
                    changed.append(stock)
            return Outcome(list(changed), {"wasted": wasted})

        args = {"site": site.id, "day": day, "lots": sorted(i.hex for i in ids), "actor": actor}
        return int(self.run_command("close_vials", idempotency_key, args, attempt)["wasted"])

    def write_off_expired(self, *, lot_id: UUID, actor: Actor, idempotency_key: str) -> int:
        """After its expiry, what is left of a lot (in its store, or at a site) is written off as wasted;
        returns the doses written off."""
        lot_id = checks.as_uuid(lot_id, "lot")
        today = self.today()
        stock = self.site_stock(lot_id)
        if stock is not None:
            permissions.require_site_worker(actor, stock.site_id, stock.province_code)
        else:
            require_stock_manager(actor, self.store_lot(lot_id).province_code)

        def attempt(at: datetime) -> Outcome:
            if stock is not None:
                current_site = self.site_stock(lot_id)
                assert current_site is not None
                n = current_site.write_off_expired(day=today, actor=actor, at=at)
                return Outcome([current_site] if n else [], {"wasted": n})
            current = self.store_lot(lot_id)
            n = current.write_off_expired(day=today, actor=actor, at=at)
            return Outcome([current] if n else [], {"wasted": n})

        args = {"lot": lot_id, "day": today, "actor": actor}
        return int(self.run_command("write_off_expired", idempotency_key, args, attempt)["wasted"])

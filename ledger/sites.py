"""Use cases: vaccination sites and vaccine lots."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from ledger import checks, permissions
from ledger.base import LedgerBase
from ledger.campaign.stock import SiteLotStock
from ledger.campaign.values import lot_stock_id
from ledger.commands import Outcome
from ledger.domainmodel import VaccinationSite, VaccineLot
from ledger.errors import RuleViolation
from ledger.eventstore import reading
from ledger.values import Actor, normalise_name


class SiteCommands(LedgerBase):
    """Register sites, receive and move lots, change capacity."""

    def maybe_stock_tracked(self, lot_id: UUID) -> bool:
        """Whether a lot was allocated from a province store (it has a stock record)."""
        try:
            with reading():
                self.repository.get(lot_stock_id(lot_id))
        except AggregateNotFoundError:
            return False
        return True

    def register_site(
        self,
        *,
        code: str,
        name: str,
        ward_code: str,
        capacity_per_day: int,
        actor: Actor,
        idempotency_key: str,
    ) -> UUID:
        """Register a vaccination site in a ward; returns the site id."""
        code = checks.text(code, "site code", 50)
        name = normalise_name(name) if isinstance(name, str) else checks.text(name, "site name")
        ward = self.reference.ward(ward_code)
        checks.capacity(capacity_per_day)
        permissions.require_site_registrar(actor)
        permissions.require_in_province(actor, ward.province_code)
        args = {"code": code, "name": name, "ward": ward.code, "capacity": capacity_per_day, "actor": actor}

        def attempt(at: datetime) -> Outcome:
            site = VaccinationSite(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=actor,
                at=at,
                code=code,
                name=name,
                ward_code=ward.code,
                province_code=ward.province_code,
                capacity_per_day=capacity_per_day,
            )
            return Outcome([site], {"site_id": site.id.hex})

        return UUID(self.run_command("register_site", idempotency_key, args, attempt)["site_id"])

    def receive_lot(
        self,
        *,
        product: str,
        lot_number: str,
        expiry: date,
        site_id: UUID,
        quantity: int,
        actor: Actor,
        idempotency_key: str,
        manufacturer: str | None = None,
    ) -> UUID:
        """Record a vaccine lot received at a site; returns the lot id. Manufacturer defaults to the product's."""
        vaccine = self.reference.vaccine(product)
        lot_number = checks.text(lot_number, "lot number", 50)
        expiry = checks.as_date(expiry, "expiry date")
        manufacturer = vaccine.ma if manufacturer is None else checks.text(manufacturer, "manufacturer", 100)
        checks.quantity(quantity)
        permissions.require_staff(actor, "staff receive vaccine lots")
        site = self.get_site(site_id)
        permissions.require_at_site(actor, site.id)
        permissions.require_in_province(actor, site.province_code)
        args = {
            "product": vaccine.mp,
            "lot": lot_number,
            "expiry": expiry,
            "site": site.id,
            "qty": quantity,
            "ma": manufacturer,
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            lot = VaccineLot(  # type: ignore[call-arg]
                id=self.new_id(),
                actor=actor,
                at=at,
                product=vaccine.mp,
                manufacturer=manufacturer,
                lot_number=lot_number,
                expiry=expiry,
                site_id=site.id,
                quantity=quantity,
            )
            # Counted down by doses like a lot allocated from a store (no store lot to return it to).
            stock = SiteLotStock(  # type: ignore[call-arg]
                id=lot_stock_id(lot.id),
                actor=actor,
                at=at,
                store_lot_id=None,
                site_lot_id=lot.id,
                site_id=site.id,
                province_code=site.province_code,
                product=vaccine.mp,
                lot_number=lot_number,
                expiry=expiry,
                doses=quantity,
                doses_per_vial=1,
            )
            return Outcome([lot, stock], {"lot_id": lot.id.hex})

        return UUID(self.run_command("receive_lot", idempotency_key, args, attempt)["lot_id"])

    def transfer_lot(self, *, lot_id: UUID, site_id: UUID, actor: Actor, idempotency_key: str) -> None:
        """Move a lot to another site."""
        permissions.require_staff(actor, "staff move vaccine lots")
        site = self.get_site(site_id)
        permissions.require_in_province(actor, site.province_code)

        def attempt(at: datetime) -> Outcome:
            lot = self.get_lot(lot_id)
            permissions.require_in_province(actor, self.get_site(lot.site_id).province_code)
            stock = self.stock_records.get(lot.id)
            if stock is not None and stock.store_lot_id is not None:
                raise RuleViolation(
                    f"Lot {lot.lot_number} was allocated from a province store: its doses stay counted at "
                    "that site; return its unopened vials to the store and allocate them to the other site."
                )
            lot.transfer(site_id=site.id, actor=actor, at=at)
            if stock is None:  # received before lots at a site were counted
                return Outcome([lot], {})
            stock.move(site_id=site.id, actor=actor, at=at)
            return Outcome([lot, stock], {})

        self.run_command(
            "transfer_lot", idempotency_key, {"lot": str(lot_id), "site": site.id, "actor": actor}, attempt
        )

    def change_site_capacity(
        self, *, site_id: UUID, capacity_per_day: int, actor: Actor, idempotency_key: str
    ) -> None:
        """Change a site's daily capacity."""
        checks.capacity(capacity_per_day)
        permissions.require_capacity_editor(actor)
        permissions.require_at_site(actor, checks.as_uuid(site_id, "site"))
        permissions.require_in_province(actor, self.get_site(site_id).province_code)

        def attempt(at: datetime) -> Outcome:
            site = self.get_site(site_id)
            site.change_capacity(capacity_per_day=capacity_per_day, actor=actor, at=at)
            return Outcome([site], {})

        self.run_command(
            "change_site_capacity",
            idempotency_key,
            {"site": str(site_id), "cap": capacity_per_day, "actor": actor},
            attempt,
        )

"""Vaccine stock for the web, the API, the CLI and the demo: shipments, allocations, the day's vials,
expired doses, and what each caller may see.

Writes go through the ledger's stock commands (which check the actor's province and site); reads come
from the stock view after catching it up, filtered to the caller's reach (`ledger.permissions.in_reach`):
site staff see their own site, a province officer their province, national roles everything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.application import Ledger
from ledger.campaign.errors import StockQuantityInvalid
from ledger.campaign.permissions import require_site_worker
from ledger.errors import NotPermitted
from ledger.permissions import in_reach
from ledger.values import Actor, Role
from projections import stock_queries as sq
from projections.registry import catch_up_views
from projections.store import ViewStore
from services.campaign_base import as_id

VIEWS = ("operations", "campaign", "stock")
DAY_CLOSER = Actor("stock-day-closer", Role.SYSTEM)


def _key(*parts: object) -> str:
    """An idempotency key derived from what a command does (a retry is the same request)."""
    return "stock:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _int(value: object, what: str) -> int | None:
    """A whole number typed in a form or sent as JSON (None when left empty)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise StockQuantityInvalid(f"{what} must be a whole number, not {value!r}.", what=what, value=value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise StockQuantityInvalid(
            f"{what} must be a whole number, not {str(value)[:20]!r}.", what=what, value=str(value)[:20]
        ) from None


@dataclass(frozen=True)
class StockPicture:
    """What one caller sees: store lots, site allocations, allocation vs use per province and product."""

    store_lots: list[sq.StoreLotRow]
    site_lots: list[sq.SiteLotRow]
    provinces: list[sq.ProvinceProduct]

    def as_json(self) -> dict[str, Any]:
        return {
            "store_lots": [r.as_json() for r in self.store_lots],
            "site_lots": [r.as_json() for r in self.site_lots],
            "provinces": [r.as_json() for r in self.provinces],
        }


class StockService:
    """Receive, allocate, close the day's vials, write off expired doses; read within one's reach."""

    def __init__(self, ledger: Ledger, store: ViewStore) -> None:
        self.ledger = ledger
        self.store = store

    def refresh(self) -> None:
        """Bring the stock (and the operations and campaign) views up to the log."""
        for _ in range(5):
            try:
                catch_up_views(self.ledger, self.store, VIEWS)
                return
            except IntegrityError:  # a follower applied the same page first: resume from there
                continue
        catch_up_views(self.ledger, self.store, VIEWS)

    # ---- writes ----------------------------------------------------------------------------------

    def receive(
        self,
        *,
        province_code: str,
        product: str,
        lot_number: str,
        expiry: date | str,
        doses_per_vial: object,
        actor: Actor,
        doses: object = None,
        vials: object = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        """A shipment line arrives at a province store; returns the store lot id."""
        per_vial = _int(doses_per_vial, "Doses per vial")
        args = dict(
            province_code=province_code,
            product=product,
            lot_number=lot_number,
            expiry=expiry,
            doses_per_vial=per_vial if per_vial is not None else 0,
            doses=_int(doses, "The number of doses"),
            vials=_int(vials, "The number of vials"),
        )
        key = idempotency_key or _key("receive", actor, *sorted(args.items()))
        return self.ledger.receive_shipment(**args, actor=actor, idempotency_key=key)  # type: ignore[arg-type]

    def allocate(
        self,
        *,
        store_lot_id: object,
        site_id: object,
        actor: Actor,
        doses: object = None,
        vials: object = None,
        idempotency_key: str | None = None,
    ) -> UUID:
        """Send whole vials of a store lot to a site of the same province; returns the site lot id.

        Without an idempotency key each call is a new allocation (two identical allocations are two
        deliveries); the web and API pass the form's or request's key, so a double submit is one."""
        lot = as_id(store_lot_id, "lot")
        site = as_id(site_id, "site")
        key = idempotency_key or _key("allocate", lot, site, actor, self.ledger.new_id())
        return self.ledger.allocate_lot(
            store_lot_id=lot,
            site_id=site,
            doses=_int(doses, "The number of doses"),
            vials=_int(vials, "The number of vials"),
            actor=actor,
            idempotency_key=key,
        )

    def return_vials(
        self,
        *,
        site_lot_id: object,
        actor: Actor,
        doses: object = None,
        vials: object = None,
        idempotency_key: str | None = None,
    ) -> int:
        """Unopened vials of a site's lot go back to the province store it came from; returns the doses
        returned. Without an idempotency key each call is a new return (the web and API pass theirs)."""
        lot = as_id(site_lot_id, "lot")
        key = idempotency_key or _key("return", lot, actor, self.ledger.new_id())
        return self.ledger.return_vials(
            site_lot_id=lot,
            doses=_int(doses, "The number of doses"),
            vials=_int(vials, "The number of vials"),
            actor=actor,
            idempotency_key=key,
        )

    def close_day(self, site_id: object, day: date, *, actor: Actor) -> int:
        """End of a site's sessions: what is left in the vials opened that day (or before) is wasted;
        returns the doses wasted. Run again, it writes nothing."""
        site = str(as_id(site_id, "site"))
        self.refresh()
        # Who may close this site's day is the ledger's rule, asked even when no vial is open.
        require_site_worker(actor, UUID(site), self.ledger.get_site(UUID(site)).province_code)
        rows = [r for r in sq.site_lots(self.store, site_ids=[site]) if r.open_doses > 0]
        if not rows:
            return 0
        # The key names each lot's state: a vial opened after an earlier close is closed too.
        state = sorted((r.site_lot_id, r.used, r.open_doses) for r in rows)
        return self.ledger.close_vials(
            site_id=UUID(site),
            day=day,
            lot_ids=[UUID(r.site_lot_id) for r in rows],
            actor=actor,
            idempotency_key=_key("close", site, day, state),
        )

    def end_of_day(self, day: date, *, actor: Actor = DAY_CLOSER) -> dict[str, int]:
        """The daily job: close every site's opened vials up to `day` and write off what has expired
        (store and sites); returns the doses wasted by each."""
        self.refresh()
        wasted_open = 0
        sites = sorted({r.site_id for r in sq.site_lots(self.store) if r.open_doses > 0})
        for site in sites:
            wasted_open += self.close_day(site, day, actor=actor)
        expired = 0
        today = self.ledger.today()
        for lot in sq.store_lots(self.store):
            if lot.expiry < today and lot.available > 0:
                expired += self.ledger.write_off_expired(
                    lot_id=UUID(lot.lot_id), actor=actor, idempotency_key=_key("expire", lot.lot_id, today)
                )
        for s in sq.site_lots(self.store):
            if s.expiry < today and s.remaining > 0:
                expired += self.ledger.write_off_expired(
                    lot_id=UUID(s.site_lot_id),
                    actor=actor,
                    idempotency_key=_key("expire", s.site_lot_id, today),
                )
        return {"wasted_open": wasted_open, "expired": expired}

    def deliver(
        self,
        *,
        province_code: str,
        product: str,
        lot_number: str,
        expiry: date,
        doses_per_vial: int,
        allocations: Mapping[UUID, int],
        actor: Actor,
        key: str,
    ) -> dict[UUID, UUID]:
        """A shipment received at the province store and allocated at once to sites (site -> doses);
        returns site -> site lot id. The demo and the simulator use this; `key` makes it repeatable."""
        total = sum(allocations.values())
        lot = self.receive(
            province_code=province_code,
            product=product,
            lot_number=lot_number,
            expiry=expiry,
            doses_per_vial=doses_per_vial,
            doses=total,
            actor=actor,
            idempotency_key=f"{key}:receive",
        )
        return {
            site: self.allocate(
                store_lot_id=lot, site_id=site, doses=n, actor=actor, idempotency_key=f"{key}:allocate:{site}"
            )
            for site, n in allocations.items()
            if n > 0
        }

    # ---- reads -----------------------------------------------------------------------------------

    def picture(self, actor: Actor, *, site_id: object = None) -> StockPicture:
        """The stock the actor may see (one site's when `site_id` is given)."""
        if actor.role not in (
            Role.SITE_STAFF,
            Role.VACCINATOR,
            Role.PROVINCE_OFFICER,
            Role.ADMIN,
            Role.SYSTEM,
        ):
            raise NotPermitted("Only staff see vaccine stock: sign in as site staff or a province officer.")
        self.refresh()
        site = str(as_id(site_id, "site")) if site_id not in (None, "") else None
        if site is not None:
            site_province = self.ledger.get_site(UUID(site)).province_code
            if not in_reach(actor, province_code=site_province, site_id=UUID(site)):
                raise NotPermitted(
                    "You see only the stock of your own site (site staff) or province (province officer)."
                )
        province = actor.province_code if actor.role is Role.PROVINCE_OFFICER else None
        if actor.role is Role.PROVINCE_OFFICER and province is None:
            return StockPicture([], [], [])
        lots = [
            r
            for r in sq.site_lots(self.store, site_ids=[site] if site else None, province=province)
            if in_reach(actor, province_code=r.province, site_id=UUID(r.site_id))
        ]
        if actor.role.is_site_bound:
            return StockPicture([], lots, [])
        stores = [] if site else sq.store_lots(self.store, province=province)
        return StockPicture(stores, lots, sq.allocation_vs_use(self.store, province=province))

    def allocation_vs_use(self, *, province: str | None = None) -> list[sq.ProvinceProduct]:
        """Per province and product: received, in store, allocated, used, wasted, left at sites."""
        self.refresh()
        return sq.allocation_vs_use(self.store, province=province)

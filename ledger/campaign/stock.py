"""Vaccine stock: a lot shipped to a province store, allocated to sites, drawn by doses, wasted, expired.

Two aggregates, so that the busy path (a dose drawing from its site's allocation) never contends
with other sites:

- `StoreLot` (one per shipment line): the lot as received at the province's store, and what left it
  (allocations to the province's sites, expired doses written off). Never allocates more than it
  holds, never an expired lot.
- `SiteLotStock` (one per allocation, id `lot_stock_id(site lot id)`): the doses a site received
  from a store lot, as a `VaccineLot` at that site (so lot pickers, certificates and the operations
  view keep working unchanged), and what became of them: doses drawn by recorded doses, vials opened,
  doses left in opened vials wasted at the end of their day, doses written off at expiry, unopened
  vials returned to the store. A lot received straight at a site (no store lot: `store_lot_id` None)
  has one too, so its doses are counted down the same way.

Doses are counted in doses; a multi-dose vial is opened when a dose needs it, and what is left in it
at the end of its day is wasted (`close_vials`). For each site lot, at every moment:
allocated = used + wasted + returned + remaining, remaining >= 0, and for each store lot
received = allocated - returned + written off + available, available >= 0 (returned doses are in the
store again, and may be allocated again).
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.campaign.errors import (
    AllocationExceedsStore,
    LotExhausted,
    LotNotExpired,
    ReturnExceedsSealed,
    ReturnWithoutStore,
    StockLotExpired,
    StockQuantityInvalid,
)
from ledger.values import Actor

MAX_DOSES = 10_000_000  # one shipment line: a sanity bound (a national delivery is a few million)
MAX_DOSES_PER_VIAL = 50


def check_doses_per_vial(doses_per_vial: object) -> int:
    """Doses in one vial: 1 (single-dose) to 50."""
    if isinstance(doses_per_vial, bool) or not isinstance(doses_per_vial, int):
        raise StockQuantityInvalid(
            f"Doses per vial must be a whole number, not {doses_per_vial!r}: read it from the vial label.",
            what="doses_per_vial",
            value=doses_per_vial,
        )
    if not 1 <= doses_per_vial <= MAX_DOSES_PER_VIAL:
        raise StockQuantityInvalid(
            f"Doses per vial must be 1 to {MAX_DOSES_PER_VIAL}, not {doses_per_vial}: read it from the vial label.",
            what="doses_per_vial",
            value=doses_per_vial,
        )
    return doses_per_vial


def check_doses(doses: object, doses_per_vial: int) -> int:
    """A number of doses in whole vials: at least one vial, at most MAX_DOSES."""
    if isinstance(doses, bool) or not isinstance(doses, int) or not 1 <= doses <= MAX_DOSES:
        raise StockQuantityInvalid(
            f"The number of doses must be 1 to {MAX_DOSES:,}, not {doses!r}: count the doses again.",
            what="doses",
            value=doses,
        )
    if doses % doses_per_vial:
        raise StockQuantityInvalid(
            f"{doses} doses is not a whole number of vials of {doses_per_vial} doses: count whole vials.",
            what="whole_vials",
            value=doses,
        )
    return doses


class StoreLot(Aggregate):
    """A lot received at a province's store, and what left it."""

    id: UUID

    class Received(Aggregate.Created):
        """A shipment line arrived at the province store."""

        actor: Actor
        at: datetime
        province_code: str
        product: str  # vaccines.csv mp_code
        manufacturer: str  # vaccines.csv ma_code
        lot_number: str
        expiry: date
        doses: int
        doses_per_vial: int

    @event(Received)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        province_code: str,
        product: str,
        manufacturer: str,
        lot_number: str,
        expiry: date,
        doses: int,
        doses_per_vial: int,
    ) -> None:
        self.province_code = province_code
        self.product = product
        self.manufacturer = manufacturer
        self.lot_number = lot_number
        self.expiry = expiry
        self.received = doses
        self.doses_per_vial = doses_per_vial
        self.allocated = 0
        self.written_off = 0
        self.returned = 0  # doses sites sent back (in the store again)
        self.allocations: dict[UUID, int] = {}  # site id -> doses (net of returns)

    @property
    def available(self) -> int:
        """Doses still in the store."""
        return self.received - self.allocated + self.returned - self.written_off

    def usable_on(self, day: date) -> bool:
        """A lot can be used up to and including its expiry date."""
        return day <= self.expiry

    class Allocated(Aggregate.Event):
        """Doses left the store for a site (as the site lot `site_lot_id`)."""

        actor: Actor
        at: datetime
        site_id: UUID
        site_lot_id: UUID
        doses: int

    def allocate(
        self, *, site_id: UUID, site_lot_id: UUID, doses: int, day: date, actor: Actor, at: datetime
    ) -> None:
        """Send whole vials to a site: never more than the store holds, never an expired lot."""
        check_doses(doses, self.doses_per_vial)
        if not self.usable_on(day):
            raise StockLotExpired(
                f"Lot {self.lot_number} expired on {self.expiry.isoformat()}: do not allocate it; "
                "write it off as expired.",
                lot_number=self.lot_number,
                expiry=self.expiry,
            )
        if doses > self.available:
            raise AllocationExceedsStore(
                f"Lot {self.lot_number} has {self.available} doses left in the store, fewer than the "
                f"{doses} asked: allocate at most {self.available}.",
                lot_number=self.lot_number,
                available=self.available,
                asked=doses,
                # The page asks for vials: the sentence names both units (whole vials: check_doses).
                available_vials=self.available // self.doses_per_vial,
                asked_vials=doses // self.doses_per_vial,
            )
        self._allocated(actor=actor, at=at, site_id=site_id, site_lot_id=site_lot_id, doses=doses)

    @event(Allocated)
    def _allocated(self, actor: Actor, at: datetime, site_id: UUID, site_lot_id: UUID, doses: int) -> None:
        self.allocated += doses
        self.allocations[site_id] = self.allocations.get(site_id, 0) + doses

    class TakenBack(Aggregate.Event):
        """Unopened vials came back from a site (its site lot `site_lot_id`): in the store again."""

        actor: Actor
        at: datetime
        site_id: UUID
        site_lot_id: UUID
        doses: int

    def take_back(self, *, site_id: UUID, site_lot_id: UUID, doses: int, actor: Actor, at: datetime) -> None:
        """Vials a site returns: never more than that site was allocated (net of earlier returns)."""
        check_doses(doses, self.doses_per_vial)
        held = self.allocations.get(site_id, 0)
        if doses > held:
            raise ReturnExceedsSealed(
                f"The site holds {held} doses of lot {self.lot_number} from this store, fewer than the "
                f"{doses} returned: return at most {held}.",
                lot_number=self.lot_number,
                sealed=held,
                asked=doses,
                open=0,
            )
        self._taken_back(actor=actor, at=at, site_id=site_id, site_lot_id=site_lot_id, doses=doses)

    @event(TakenBack)
    def _taken_back(self, actor: Actor, at: datetime, site_id: UUID, site_lot_id: UUID, doses: int) -> None:
        self.returned += doses
        self.allocations[site_id] = self.allocations.get(site_id, 0) - doses

    class WrittenOff(Aggregate.Event):
        """Doses left in the store after the lot's expiry were written off as wasted."""

        actor: Actor
        at: datetime
        doses: int

    def write_off_expired(self, *, day: date, actor: Actor, at: datetime) -> int:
        """Write off what is left in the store once the lot has expired; returns the doses written off."""
        if self.usable_on(day):
            raise LotNotExpired(
                f"Lot {self.lot_number} is usable until {self.expiry.isoformat()}: write it off after that day.",
                lot_number=self.lot_number,
                expiry=self.expiry,
            )
        left = self.available
        if left > 0:
            self._written_off(actor=actor, at=at, doses=left)
        return left

    @event(WrittenOff)
    def _written_off(self, actor: Actor, at: datetime, doses: int) -> None:
        self.written_off += doses


class SiteLotStock(Aggregate):
    """A site's allocation of a store lot: doses used, vials opened, doses wasted, doses left."""

    id: UUID  # lot_stock_id(site_lot_id)

    class Allocated(Aggregate.Created):
        """A site received doses of a store lot (the site lot is a VaccineLot saved with this), or, with
        `store_lot_id` None, a lot received straight at the site (counted the same way)."""

        actor: Actor
        at: datetime
        store_lot_id: UUID | None
        site_lot_id: UUID
        site_id: UUID
        province_code: str
        product: str
        lot_number: str
        expiry: date
        doses: int
        doses_per_vial: int

    @event(Allocated)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        store_lot_id: UUID | None,
        site_lot_id: UUID,
        site_id: UUID,
        province_code: str,
        product: str,
        lot_number: str,
        expiry: date,
        doses: int,
        doses_per_vial: int,
    ) -> None:
        self.store_lot_id = store_lot_id
        self.site_lot_id = site_lot_id
        self.site_id = site_id
        self.province_code = province_code
        self.product = product
        self.lot_number = lot_number
        self.expiry = expiry
        self.allocated = doses
        self.doses_per_vial = doses_per_vial
        self.used = 0
        self.wasted_open = 0  # left in an opened vial at the end of its day
        self.wasted_expired = 0
        self.vials_opened = 0
        self.returned = 0  # unopened vials sent back to the store
        self.open: dict[str, int] = {}  # day (ISO) -> doses left in vials opened that day
        self.closed_through = ""  # the last day (ISO) whose opened vials were closed

    def clone(self) -> SiteLotStock:
        """An independent copy, for the dose path's cached copies (`copy.deepcopy` of this record cost
        ~1 ms here, most of a dose's CPU). Every field is immutable (ids, strings, dates, numbers) but
        `open` and the pending events: those are copied. A new mutable field must be copied here too."""
        twin = copy.copy(self)
        twin.open = dict(self.open)
        twin._pending_events = list(self._pending_events)
        return twin

    @property
    def wasted(self) -> int:
        """Doses wasted: left in opened vials, or expired."""
        return self.wasted_open + self.wasted_expired

    @property
    def remaining(self) -> int:
        """Doses still at the site (sealed vials and opened ones not yet closed)."""
        return self.allocated - self.used - self.wasted - self.returned

    def available_on(self, day: date) -> int:
        """Doses a dose on `day` may draw: sealed vials and vials opened that day (0 after expiry)."""
        if day > self.expiry:
            return 0
        other_days = sum(n for d, n in self.open.items() if d != day.isoformat())
        return self.remaining - other_days

    class Drawn(Aggregate.Event):
        """Recorded doses drew from this allocation (opening vials when the open ones ran out)."""

        actor: Actor
        at: datetime
        day: date
        doses: int
        vials_opened: int

    def draw(self, *, day: date, doses: int, actor: Actor, at: datetime) -> None:
        """Doses given on `day` come from here: refuse after expiry or beyond what is left."""
        if day > self.expiry:
            raise StockLotExpired(
                f"Lot {self.lot_number} expired on {self.expiry.isoformat()}, before {day.isoformat()}: "
                "do not use it; record the lot actually used.",
                lot_number=self.lot_number,
                expiry=self.expiry,
            )
        available = self.available_on(day)
        if doses > available:
            raise LotExhausted(
                f"Lot {self.lot_number} has {available} doses left at this site, fewer than {doses}: "
                "record the lot actually used, or ask the province for an allocation.",
                lot_number=self.lot_number,
                available=available,
                asked=doses,
            )
        already_open = self.open.get(day.isoformat(), 0)
        short = max(0, doses - already_open)
        vials = -(-short // self.doses_per_vial)
        self._drawn(actor=actor, at=at, day=day, doses=doses, vials_opened=vials)

    @event(Drawn)
    def _drawn(self, actor: Actor, at: datetime, day: date, doses: int, vials_opened: int) -> None:
        key = day.isoformat()
        self.used += doses
        self.vials_opened += vials_opened
        left = self.open.get(key, 0) + vials_opened * self.doses_per_vial - doses
        if left:
            self.open[key] = left
        else:
            self.open.pop(key, None)

    @property
    def open_doses(self) -> int:
        """Doses left in opened vials, all days."""
        return sum(self.open.values())

    class VialsClosed(Aggregate.Event):
        """At the end of the sessions up to `day`, what was left in opened vials was wasted."""

        actor: Actor
        at: datetime
        day: date
        wasted: int

    def close_vials(self, *, day: date, actor: Actor, at: datetime) -> int:
        """Waste what is left in vials opened on `day` or before; returns the doses wasted (0: no event)."""
        wasted = sum(n for d, n in self.open.items() if d <= day.isoformat())
        if wasted:
            self._vials_closed(actor=actor, at=at, day=day, wasted=wasted)
        return wasted

    @event(VialsClosed)
    def _vials_closed(self, actor: Actor, at: datetime, day: date, wasted: int) -> None:
        for key in [d for d in self.open if d <= day.isoformat()]:
            del self.open[key]
        self.wasted_open += wasted
        self.closed_through = max(self.closed_through, day.isoformat())

    @property
    def sealed(self) -> int:
        """Doses in vials not opened (the only ones that can go back to the store)."""
        return self.remaining - self.open_doses

    class SentBack(Aggregate.Event):
        """Unopened vials were returned to the province store the lot came from."""

        actor: Actor
        at: datetime
        doses: int

    def send_back(self, *, doses: int, day: date, actor: Actor, at: datetime) -> None:
        """Return whole unopened vials to the store: never more than the site holds sealed; never an
        opened vial, an expired lot, or a lot that did not come from a store."""
        if self.store_lot_id is None:
            raise ReturnWithoutStore(
                f"Lot {self.lot_number} was received at this site, not allocated from a province store: "
                "there is no store lot to return it to.",
                lot_number=self.lot_number,
            )
        check_doses(doses, self.doses_per_vial)
        if day > self.expiry:
            raise StockLotExpired(
                f"Lot {self.lot_number} expired on {self.expiry.isoformat()}: do not return it; write it off.",
                lot_number=self.lot_number,
                expiry=self.expiry,
            )
        if doses > self.sealed:
            raise ReturnExceedsSealed(
                f"Lot {self.lot_number} has {self.sealed} doses in unopened vials here, fewer than the {doses} "
                f"returned ({self.open_doses} are in opened vials, which are never returned): return at most "
                f"{self.sealed}.",
                lot_number=self.lot_number,
                sealed=self.sealed,
                asked=doses,
                open=self.open_doses,
                # The page asks for vials: the sentence names both units (whole vials: check_doses).
                sealed_vials=self.sealed // self.doses_per_vial,
                asked_vials=doses // self.doses_per_vial,
            )
        self._sent_back(actor=actor, at=at, doses=doses)

    @event(SentBack)
    def _sent_back(self, actor: Actor, at: datetime, doses: int) -> None:
        self.returned += doses

    class Moved(Aggregate.Event):
        """A lot received at a site moved to another site with what is left of it (`transfer_lot`)."""

        actor: Actor
        at: datetime
        site_id: UUID

    def move(self, *, site_id: UUID, actor: Actor, at: datetime) -> None:
        """Follow the lot to another site (a lot received at a site only; never with a vial open)."""
        if self.store_lot_id is not None or self.open_doses:
            raise LotExhausted(
                f"Lot {self.lot_number} has vials open or came from a province store: it stays at this site.",
                lot_number=self.lot_number,
                available=self.sealed,
                asked=self.remaining,
            )
        self._moved(actor=actor, at=at, site_id=site_id)

    @event(Moved)
    def _moved(self, actor: Actor, at: datetime, site_id: UUID) -> None:
        self.site_id = site_id

    class Returned(Aggregate.Event):
        """A dose record was voided (or moved to another lot): the dose was not drawn from here after
        all. It went back to the vial opened that day, or, when that day's vials were already closed,
        to what was wasted (`wasted`: the vial's leftover really was one dose more)."""

        actor: Actor
        at: datetime
        day: date
        doses: int
        wasted: int

    def give_back(self, *, day: date, doses: int, actor: Actor, at: datetime) -> None:
        """Undo `doses` drawn on `day` (never more than were used)."""
        if not 1 <= doses <= self.used:
            raise LotExhausted(
                f"Lot {self.lot_number} has {self.used} doses used here, fewer than the {doses} given back.",
                lot_number=self.lot_number,
                available=self.used,
                asked=doses,
            )
        wasted = doses if day.isoformat() <= self.closed_through else 0
        self._returned(actor=actor, at=at, day=day, doses=doses, wasted=wasted)

    @event(Returned)
    def _returned(self, actor: Actor, at: datetime, day: date, doses: int, wasted: int) -> None:
        key = day.isoformat()
        self.used -= doses
        self.wasted_open += wasted
        if doses > wasted:
            self.open[key] = self.open.get(key, 0) + doses - wasted

    class WrittenOff(Aggregate.Event):
        """The doses left at the site after the lot's expiry were written off as wasted."""

        actor: Actor
        at: datetime
        doses: int

    def write_off_expired(self, *, day: date, actor: Actor, at: datetime) -> int:
        """After expiry: close opened vials, then write off the sealed rest; returns the doses wasted."""
        if day <= self.expiry:
            raise LotNotExpired(
                f"Lot {self.lot_number} is usable until {self.expiry.isoformat()}: write it off after that day.",
                lot_number=self.lot_number,
                expiry=self.expiry,
            )
        wasted = self.close_vials(day=day, actor=actor, at=at)
        left = self.remaining
        if left > 0:
            self._written_off(actor=actor, at=at, doses=left)
        return wasted + left

    @event(WrittenOff)
    def _written_off(self, actor: Actor, at: datetime, doses: int) -> None:
        self.wasted_expired += doses

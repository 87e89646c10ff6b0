"""A one-time catch-up: lots received at a site before stock records existed get one, so they count down.

Since session 4 a lot received straight at a site (`receive_lot`) is saved with a `SiteLotStock` that
every dose draws from; a lot received before has none, so its doses were never counted and the site
could record doses from it for ever. The first time a store is opened by this code, each such lot gets
its record: the doses received, then the doses already given from it (people's doses that count,
grouped by day, as `Drawn` events of that day, so the stock pages show the days as they were). From
then on the dose path counts it down like any other.

- Which lots: every `VaccineLot` whose stock record does not exist. Allocations from a province store
  always had one; lots received at a site after session 4 too.
- History is what happened: the doses already given are drawn even if they exceed the lot or came after
  its expiry (the dose checks refuse those for new doses only).
- Once per store: a marker row says it was done (in the holds table, like the holds' own marker, so a
  restored log, which empties that table, is caught up again at the next open). Each lot is one command
  with its own idempotency key: two processes opening the store at once give one record, not two.
- Upgrade every writer together: a dose recorded by an old process between the count and the save of a
  lot's record is not in that record.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.campaign.stock import SiteLotStock
from ledger.campaign.values import lot_stock_id
from ledger.commands import Outcome
from ledger.domainmodel import Person, VaccineLot
from ledger.keytables import SITE_LOTS_COUNTED, SqlKeyTable
from ledger.values import Actor, Role

if TYPE_CHECKING:
    from ledger.base import LedgerBase

MARKER = SITE_LOTS_COUNTED
CATCH_UP = Actor("stock-catch-up", Role.SYSTEM)
PAGE = 1000


def lots_without_record(ledger: LedgerBase) -> list[VaccineLot]:
    """Every lot that has no stock record (lots received at a site by code older than stock records)."""
    missing: list[VaccineLot] = []
    after = 0
    while True:
        page = ledger.originators(get_topic(VaccineLot.Received), after, PAGE)
        if not page:
            return missing
        after = page[-1][0]
        lot_ids = [lot_id for _, lot_id in page]
        recorded = {a.id for a in ledger.load_many([lot_stock_id(i) for i in lot_ids])}
        lots = {a.id: a for a in ledger.load_many([i for i in lot_ids if lot_stock_id(i) not in recorded])}
        missing.extend(lot for lot in lots.values() if isinstance(lot, VaccineLot))


def doses_given(ledger: LedgerBase, lot_ids: set[UUID]) -> dict[UUID, Counter[date]]:
    """For these lots, the doses that count (not voided; corrected ones on their current lot) by day."""
    given: dict[UUID, Counter[date]] = defaultdict(Counter)
    seen: set[UUID] = set()
    after = 0
    while True:
        page = ledger.originators(get_topic(Person.DoseAdministered), after, PAGE)
        if not page:
            return given
        after = page[-1][0]
        people = [p for _, p in page if p not in seen]
        seen.update(people)
        for person in ledger.get_people(people).values():
            for dose in person.active_doses:
                if dose.lot_id in lot_ids:
                    given[dose.lot_id][dose.administered_on] += 1


def count_site_lots(ledger: LedgerBase, table: SqlKeyTable) -> int:
    """Give every lot without a stock record its record, once per store; returns how many were made."""
    if table.marked(MARKER):
        return 0
    lots = lots_without_record(ledger)
    given = doses_given(ledger, {lot.id for lot in lots}) if lots else {}
    for lot in lots:
        _record(ledger, lot, given.get(lot.id, Counter()))
    table.mark(MARKER)
    return len(lots)


def _record(ledger: LedgerBase, lot: VaccineLot, by_day: Counter[date]) -> None:
    site = ledger.get_site(lot.site_id)

    def attempt(at: datetime) -> Outcome:
        stock = SiteLotStock(  # type: ignore[call-arg]
            id=lot_stock_id(lot.id),
            actor=CATCH_UP,
            at=at,
            store_lot_id=None,
            site_lot_id=lot.id,
            site_id=site.id,
            province_code=site.province_code,
            product=lot.product,
            lot_number=lot.lot_number,
            expiry=lot.expiry,
            doses=lot.quantity,
            doses_per_vial=1,  # as `receive_lot` counts a lot received at a site
        )
        for day in sorted(by_day):  # what was given, day by day, as it happened (no dose check)
            stock._drawn(actor=CATCH_UP, at=at, day=day, doses=by_day[day], vials_opened=by_day[day])
        return Outcome([stock], {"n": sum(by_day.values())})

    # The key and arguments name the lot only: a second process doing the same finds this receipt.
    ledger.run_command("count_site_lot", f"count-site-lot:{lot.id.hex}", {"lot": lot.id}, attempt)

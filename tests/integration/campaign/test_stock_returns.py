"""Stock returns and lots received at a site, on memory, SQLite and PostgreSQL: unopened vials go back
from a site to its province store (never opened ones, never more than the site holds, never from another
province) and can be allocated again; a lot received straight at a site is counted down by doses and
refuses the dose after its last one; every balance still adds up, and the view rebuilt from the log is
the same."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

import pytest

from ledger.campaign.errors import LotExhausted, ReturnExceedsSealed, ReturnWithoutStore
from ledger.campaign.values import Session
from ledger.errors import NotPermitted, OutsideProvince
from ledger.values import Actor, Role
from projections.registry import digests, rebuild
from services.stock import StockService
from tests.integration.campaign.conftest import ADMIN, ASTRAZENECA, OFFICER, SINOPHARM, Story

HCM_OFFICER = Actor("officer-79", Role.PROVINCE_OFFICER, province_code="79")
EXPIRY = date(2021, 8, 20)
DAY = date(2021, 8, 1)


def unchanged(s: Story, action: Callable[[], object], error: type[Exception]) -> Exception:
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(error) as refused:
        action()
    assert s.ledger.recorder.max_notification_id() == head
    return refused.value


def dose(s: Story, lot: UUID, product: str = ASTRAZENECA, person: UUID | None = None) -> object:
    return s.ledger.record_dose(
        person_id=person or s.person(),
        dose_number=1,
        product=product,
        lot_id=lot,
        administered_on=DAY,
        site_id=s.site_id,
        actor=s.vaccinator,
        idempotency_key=s.key(),
    )


def test_unopened_vials_go_back_to_the_store_and_out_again(story: Story) -> None:
    s = story
    stock = StockService(s.ledger, s.store)
    other = UUID(
        s.service.add_site(
            code="VN-01-0002",
            name="Trường THCS Phúc Xá",
            ward_code="00001",
            address="Số 5 Phúc Xá",
            sessions=[Session("morning", "07:30", "11:30", 5)],
            actor=OFFICER,
        ).site_id
    )
    lot = stock.receive(
        province_code="01",
        product=ASTRAZENECA,
        lot_number="ABV-0901",
        expiry=EXPIRY,
        doses_per_vial=10,
        vials=5,
        actor=OFFICER,
    )
    site_lot = stock.allocate(store_lot_id=lot, site_id=s.site_id, vials=3, actor=OFFICER)
    for _ in range(3):
        dose(s, site_lot)  # one vial opened: 7 doses in it, 20 in sealed vials

    refused = unchanged(
        s, lambda: stock.return_vials(site_lot_id=site_lot, vials=3, actor=OFFICER), ReturnExceedsSealed
    )
    assert refused.params == {
        "lot_number": "ABV-0901",
        "sealed": 20,
        "asked": 30,
        "open": 7,
        "sealed_vials": 2,
        "asked_vials": 3,
    }
    unchanged(
        s, lambda: stock.return_vials(site_lot_id=site_lot, vials=1, actor=HCM_OFFICER), OutsideProvince
    )
    elsewhere = Actor("staff-2", Role.SITE_STAFF, other)
    unchanged(s, lambda: stock.return_vials(site_lot_id=site_lot, vials=1, actor=elsewhere), NotPermitted)

    # The site's own staff return one vial, the officer another (each its own request).
    assert stock.return_vials(site_lot_id=site_lot, vials=1, actor=s.vaccinator, idempotency_key="r1") == 10
    assert stock.return_vials(site_lot_id=site_lot, vials=1, actor=s.vaccinator, idempotency_key="r1") == 10
    assert stock.return_vials(site_lot_id=site_lot, doses=10, actor=OFFICER) == 10
    picture = stock.picture(OFFICER)
    [store_row] = picture.store_lots
    [site_row] = [r for r in picture.site_lots if r.from_store]
    assert (store_row.received, store_row.allocated, store_row.returned, store_row.available) == (
        50,
        10,
        20,
        40,
    )
    assert (site_row.allocated, site_row.used, site_row.returned, site_row.open_doses, site_row.sealed) == (
        10,
        3,
        20,
        7,
        0,
    )
    # The opened vial stays: nothing sealed is left to return.
    unchanged(
        s, lambda: stock.return_vials(site_lot_id=site_lot, vials=1, actor=OFFICER), ReturnExceedsSealed
    )

    # The returned vials leave the store again, to the other site.
    stock.allocate(store_lot_id=lot, site_id=other, vials=4, actor=OFFICER)
    assert stock.close_day(s.site_id, DAY, actor=s.vaccinator) == 7
    line = next(x for x in stock.allocation_vs_use(province="01") if x.product == ASTRAZENECA)
    assert line.used + line.wasted + line.in_store + line.at_sites == line.received
    assert (line.in_store, line.used, line.wasted) == (0, 3, 7)

    before = digests(s.store, ["stock"])
    rebuild(s.ledger, s.store, ["stock"])
    assert digests(s.store, ["stock"]) == before


def test_a_lot_received_at_the_site_is_counted_down_and_cannot_be_returned(story: Story) -> None:
    s = story
    stock = StockService(s.ledger, s.store)
    lot = s.ledger.receive_lot(
        product=SINOPHARM,
        lot_number="SP-TWO",
        expiry=EXPIRY,
        site_id=s.site_id,
        quantity=2,
        actor=ADMIN,
        idempotency_key="two-doses",
    )
    dose(s, lot, SINOPHARM)
    dose(s, lot, SINOPHARM)
    third = s.person()
    refused = unchanged(s, lambda: dose(s, lot, SINOPHARM, third), LotExhausted)
    assert refused.params == {"lot_number": "SP-TWO", "available": 0, "asked": 1}
    [row] = [r for r in stock.picture(OFFICER).site_lots if r.site_lot_id == str(lot)]
    assert (row.from_store, row.allocated, row.used, row.remaining) == (False, 2, 2, 0)
    assert str(lot) not in {x[0] for x in s.service.lots_at(s.site_id)}  # the picker no longer offers it
    unchanged(s, lambda: stock.return_vials(site_lot_id=lot, doses=1, actor=OFFICER), ReturnWithoutStore)

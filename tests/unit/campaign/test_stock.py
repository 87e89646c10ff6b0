"""Vaccine stock's rules with no store: a province store lot, site allocations, doses drawn, vials
opened and wasted, expiry; hypothesis walks random days of a lot's life and checks the balances."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.campaign.errors import (
    AllocationExceedsStore,
    LotExhausted,
    LotNotExpired,
    ReturnExceedsSealed,
    ReturnWithoutStore,
    StockLotExpired,
    StockQuantityInvalid,
)
from ledger.campaign.stock import SiteLotStock, StoreLot, check_doses, check_doses_per_vial
from ledger.campaign.stock_commands import doses_of
from ledger.campaign.values import lot_stock_id
from ledger.errors import LotNotAtSite, OutsideProvince
from ledger.permissions import in_reach, require_in_province
from ledger.rules import check_lot_at_site
from ledger.values import Actor, Role

AT = datetime(2021, 8, 1, 3, tzinfo=UTC)
DAY = date(2021, 8, 2)
EXPIRY = date(2021, 8, 20)
OFFICER = Actor("officer-01", Role.PROVINCE_OFFICER, province_code="01")
SITE_A, SITE_B = uuid4(), uuid4()


def store_lot(doses: int = 100, per_vial: int = 10, expiry: date = EXPIRY) -> StoreLot:
    return StoreLot(  # type: ignore[call-arg]
        id=uuid4(),
        actor=OFFICER,
        at=AT,
        province_code="01",
        product="EU/1/21/1529",
        manufacturer="ORG-100001699",
        lot_number="ABV1234",
        expiry=expiry,
        doses=doses,
        doses_per_vial=per_vial,
    )


def allocate(store: StoreLot, site: UUID, doses: int, day: date = DAY) -> SiteLotStock:
    site_lot = uuid4()
    store.allocate(site_id=site, site_lot_id=site_lot, doses=doses, day=day, actor=OFFICER, at=AT)
    return SiteLotStock(  # type: ignore[call-arg]
        id=lot_stock_id(site_lot),
        actor=OFFICER,
        at=AT,
        store_lot_id=store.id,
        site_lot_id=site_lot,
        site_id=site,
        province_code="01",
        product=store.product,
        lot_number=store.lot_number,
        expiry=store.expiry,
        doses=doses,
        doses_per_vial=store.doses_per_vial,
    )


def test_a_ten_dose_vial_opened_for_three_people_wastes_seven_at_the_end_of_the_day() -> None:
    store = store_lot()
    site = allocate(store, SITE_A, 30)
    site.draw(day=DAY, doses=3, actor=OFFICER, at=AT)
    assert (site.used, site.vials_opened, site.open_doses, site.remaining) == (3, 1, 7, 27)
    site.draw(day=DAY, doses=8, actor=OFFICER, at=AT)  # 7 from the open vial, one more vial opened
    assert (site.used, site.vials_opened, site.open_doses) == (11, 2, 9)
    assert site.close_vials(day=DAY, actor=OFFICER, at=AT) == 9
    assert (site.used, site.wasted, site.remaining, site.open_doses) == (11, 9, 10, 0)
    assert site.close_vials(day=DAY, actor=OFFICER, at=AT) == 0  # nothing left open: no event


def test_a_voided_dose_goes_back_to_its_vial_or_to_the_waste_once_the_day_is_closed() -> None:
    site = allocate(store_lot(), SITE_A, 20)
    site.draw(day=DAY, doses=2, actor=OFFICER, at=AT)
    site.give_back(day=DAY, doses=1, actor=OFFICER, at=AT)  # typed twice: one dose was not drawn
    assert (site.used, site.open_doses, site.remaining) == (1, 9, 19)
    assert site.close_vials(day=DAY, actor=OFFICER, at=AT) == 9
    site.give_back(day=DAY, doses=1, actor=OFFICER, at=AT)  # after closing: the leftover was one more
    assert (site.used, site.wasted, site.open_doses, site.remaining) == (0, 10, 0, 10)
    with pytest.raises(LotExhausted):
        site.give_back(day=DAY, doses=1, actor=OFFICER, at=AT)  # nothing used is left to give back


def test_a_vial_opened_yesterday_is_not_used_today() -> None:
    site = allocate(store_lot(), SITE_A, 20)
    site.draw(day=DAY, doses=1, actor=OFFICER, at=AT)
    # Nine doses sit in yesterday's vial: today only the sealed vial counts.
    assert site.available_on(DAY + timedelta(days=1)) == 10
    with pytest.raises(LotExhausted) as refused:
        site.draw(day=DAY + timedelta(days=1), doses=11, actor=OFFICER, at=AT)
    assert refused.value.params == {"lot_number": "ABV1234", "available": 10, "asked": 11}


def test_no_dose_after_expiry_and_expired_doses_are_written_off_as_wasted() -> None:
    store = store_lot()
    site = allocate(store, SITE_A, 20)
    site.draw(day=EXPIRY, doses=2, actor=OFFICER, at=AT)  # the expiry day itself is still usable
    with pytest.raises(StockLotExpired):
        site.draw(day=EXPIRY + timedelta(days=1), doses=1, actor=OFFICER, at=AT)
    with pytest.raises(LotNotExpired):
        site.write_off_expired(day=EXPIRY, actor=OFFICER, at=AT)
    assert site.write_off_expired(day=EXPIRY + timedelta(days=1), actor=OFFICER, at=AT) == 18  # 8 open + 10
    assert (site.used, site.wasted_open, site.wasted_expired, site.remaining) == (2, 8, 10, 0)
    assert store.write_off_expired(day=EXPIRY + timedelta(days=1), actor=OFFICER, at=AT) == 80
    assert store.available == 0


def test_allocation_never_exceeds_the_store_nor_uses_an_expired_lot() -> None:
    store = store_lot(doses=50, per_vial=10)
    allocate(store, SITE_A, 30)
    with pytest.raises(AllocationExceedsStore) as refused:
        allocate(store, SITE_B, 30)
    assert refused.value.params == {
        "lot_number": "ABV1234",
        "available": 20,
        "asked": 30,
        "available_vials": 2,
        "asked_vials": 3,
    }
    assert store.available == 20
    with pytest.raises(StockQuantityInvalid):
        allocate(store, SITE_B, 15)  # not whole vials
    with pytest.raises(StockLotExpired):
        allocate(store, SITE_B, 10, day=EXPIRY + timedelta(days=1))
    assert store.allocations == {SITE_A: 30}


@pytest.mark.parametrize("bad", [0, -1, 51, True, "10", 2.5])
def test_doses_per_vial_must_be_1_to_50(bad: object) -> None:
    with pytest.raises(StockQuantityInvalid):
        check_doses_per_vial(bad)


def test_quantities_in_doses_or_vials() -> None:
    assert doses_of(None, 3, 10) == 30
    assert doses_of(20, None, 10) == 20
    for doses, vials in ((None, None), (10, 1), (None, 0), (0, None), (-10, None)):
        with pytest.raises(StockQuantityInvalid):
            doses_of(doses, vials, 10)
    with pytest.raises(StockQuantityInvalid):
        check_doses(25, 10)


def test_the_lot_rule_is_allocated_here_not_exhausted_not_expired() -> None:
    check_lot_at_site(lot_number="L", lot_site_id=SITE_A, site_id=SITE_A)  # a lot received at a site
    with pytest.raises(LotNotAtSite):
        check_lot_at_site(lot_number="L", lot_site_id=SITE_A, site_id=SITE_B, available=10)
    with pytest.raises(LotExhausted):
        check_lot_at_site(lot_number="L", lot_site_id=SITE_A, site_id=SITE_A, available=0)
    with pytest.raises(StockLotExpired):
        check_lot_at_site(
            lot_number="L",
            lot_site_id=SITE_A,
            site_id=SITE_A,
            day=DAY,
            expiry=DAY - timedelta(1),
            available=5,
        )


def test_province_reach() -> None:
    require_in_province(OFFICER, "01")
    with pytest.raises(OutsideProvince) as refused:
        require_in_province(OFFICER, "79")
    assert refused.value.params == {"province": "79", "actor_province": "01"}
    with pytest.raises(OutsideProvince):  # an officer without a province reaches none
        require_in_province(Actor("officer-x", Role.PROVINCE_OFFICER), "01")
    require_in_province(Actor("admin", Role.ADMIN), "79")
    staff = Actor("staff", Role.SITE_STAFF, SITE_A)
    assert in_reach(staff, province_code="01", site_id=SITE_A)
    assert not in_reach(staff, province_code="01", site_id=SITE_B)
    assert not in_reach(staff, province_code="01")
    assert in_reach(OFFICER, province_code="01", site_id=SITE_B)
    assert not in_reach(OFFICER, province_code="79", site_id=SITE_B)
    assert not in_reach(Actor("c", Role.CITIZEN), province_code="01")


# ---- properties -------------------------------------------------------------------------------

STEP = st.one_of(
    st.tuples(st.just("allocate"), st.integers(0, 1), st.integers(1, 6)),  # site, vials
    st.tuples(st.just("draw"), st.integers(0, 1), st.integers(1, 25)),  # site, doses
    st.tuples(st.just("close"), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("give_back"), st.integers(0, 1), st.integers(1, 3)),  # site, doses
    st.tuples(st.just("return"), st.integers(0, 1), st.integers(1, 6)),  # site, vials
    st.tuples(st.just("next_day"), st.just(0), st.just(0)),
    st.tuples(st.just("expire"), st.just(0), st.just(0)),
)


@given(
    per_vial=st.sampled_from([1, 2, 5, 6, 10, 20]),
    vials=st.integers(1, 20),
    steps=st.lists(STEP, max_size=40),
)
def test_stock_never_negative_and_every_dose_is_accounted_for(
    per_vial: int, vials: int, steps: list[tuple[str, int, int]]
) -> None:
    """Whatever happens (returns of unopened vials and allocating them again included): allocated <=
    received, nothing negative, and used + wasted + remaining (store and sites) = received."""
    received = per_vial * vials
    store = store_lot(doses=received, per_vial=per_vial, expiry=DAY + timedelta(days=5))
    sites: dict[int, list[SiteLotStock]] = {0: [], 1: []}
    day = DAY
    expired = False
    for action, which, n in steps:
        try:
            if action == "allocate" and not expired:
                sites[which].append(allocate(store, (SITE_A, SITE_B)[which], n * per_vial, day))
            elif action == "draw" and sites[which] and not expired:
                sites[which][-1].draw(day=day, doses=n, actor=OFFICER, at=AT)
            elif action == "give_back" and sites[which]:
                sites[which][-1].give_back(day=day, doses=n, actor=OFFICER, at=AT)
            elif action == "return" and sites[which]:
                s = sites[which][-1]
                s.send_back(doses=n * per_vial, day=day, actor=OFFICER, at=AT)
                store.take_back(
                    site_id=s.site_id, site_lot_id=s.site_lot_id, doses=n * per_vial, actor=OFFICER, at=AT
                )
            elif action == "close":
                for s in sites[which]:
                    s.close_vials(day=day, actor=OFFICER, at=AT)
            elif action == "next_day":
                day += timedelta(days=1)
            elif action == "expire":
                day = store.expiry + timedelta(days=1)
                expired = True
                store.write_off_expired(day=day, actor=OFFICER, at=AT)
                for s in sites[0] + sites[1]:
                    s.write_off_expired(day=day, actor=OFFICER, at=AT)
        except (AllocationExceedsStore, LotExhausted, StockLotExpired, ReturnExceedsSealed):
            pass  # refused: nothing changed (checked by the balances below)
        every = sites[0] + sites[1]
        assert store.available >= 0
        assert store.allocated - store.returned <= store.received
        assert store.allocated == sum(s.allocated for s in every)
        assert store.returned == sum(s.returned for s in every)
        for which, site_id in enumerate((SITE_A, SITE_B)):
            assert store.allocations.get(site_id, 0) == sum(s.allocated - s.returned for s in sites[which])
        for s in every:
            assert s.used >= 0
            assert s.returned >= 0
            assert 0 <= s.open_doses <= s.remaining
            assert s.used + s.wasted + s.returned + s.remaining == s.allocated
            assert s.sealed % per_vial == 0  # sealed doses are whole vials
        used = sum(s.used for s in every)
        wasted = store.written_off + sum(s.wasted for s in every)
        remaining = store.available + sum(s.remaining for s in every)
        assert used + wasted + remaining == received
        if expired:
            assert remaining == 0


@given(per_vial=st.sampled_from([1, 5, 10]), draws=st.lists(st.integers(1, 12), min_size=1, max_size=15))
def test_a_refused_draw_changes_nothing(per_vial: int, draws: list[int]) -> None:
    site = allocate(store_lot(doses=100 * per_vial, per_vial=per_vial), SITE_A, 3 * per_vial)
    for n in draws:
        before = (site.used, site.vials_opened, dict(site.open), site.version)
        try:
            site.draw(day=DAY, doses=n, actor=OFFICER, at=AT)
        except LotExhausted:
            assert (site.used, site.vials_opened, dict(site.open), site.version) == before
        else:
            assert site.used == before[0] + n
    assert site.used <= 3 * per_vial


def test_unopened_vials_go_back_to_the_store_and_can_be_allocated_again() -> None:
    store = store_lot(doses=50, per_vial=10)
    site = allocate(store, SITE_A, 30)
    site.draw(day=DAY, doses=3, actor=OFFICER, at=AT)  # one vial opened: 7 doses in it, 20 sealed
    with pytest.raises(ReturnExceedsSealed) as refused:
        site.send_back(doses=30, day=DAY, actor=OFFICER, at=AT)
    assert refused.value.params == {
        "lot_number": "ABV1234",
        "sealed": 20,
        "asked": 30,
        "open": 7,
        "sealed_vials": 2,
        "asked_vials": 3,
    }
    with pytest.raises(StockQuantityInvalid):
        site.send_back(doses=5, day=DAY, actor=OFFICER, at=AT)  # half a vial
    site.send_back(doses=20, day=DAY, actor=OFFICER, at=AT)
    store.take_back(site_id=SITE_A, site_lot_id=site.site_lot_id, doses=20, actor=OFFICER, at=AT)
    assert (site.returned, site.sealed, site.open_doses, site.remaining) == (20, 0, 7, 7)
    assert (store.available, store.allocations[SITE_A]) == (40, 10)
    with pytest.raises(ReturnExceedsSealed):
        store.take_back(site_id=SITE_A, site_lot_id=site.site_lot_id, doses=20, actor=OFFICER, at=AT)
    again = allocate(store, SITE_B, 40)  # the returned vials leave the store again
    assert (again.allocated, store.available) == (40, 0)
    with pytest.raises(StockLotExpired):
        again.send_back(doses=10, day=EXPIRY + timedelta(days=1), actor=OFFICER, at=AT)


def site_received(doses: int) -> SiteLotStock:
    """A lot received straight at a site (the old path): counted, with no store lot behind it."""
    lot = uuid4()
    return SiteLotStock(  # type: ignore[call-arg]
        id=lot_stock_id(lot),
        actor=OFFICER,
        at=AT,
        store_lot_id=None,
        site_lot_id=lot,
        site_id=SITE_A,
        province_code="01",
        product="BBIBP-CorV",
        lot_number="SP-1",
        expiry=EXPIRY,
        doses=doses,
        doses_per_vial=1,
    )


@given(doses=st.integers(1, 30), draws=st.lists(st.integers(1, 8), max_size=12))
def test_a_lot_received_at_a_site_is_counted_down_and_never_goes_negative(
    doses: int, draws: list[int]
) -> None:
    site = site_received(doses)
    for n in draws:
        with contextlib.suppress(LotExhausted):
            site.draw(day=DAY, doses=n, actor=OFFICER, at=AT)
        assert 0 <= site.remaining == doses - site.used
        assert site.open_doses == 0  # single doses: nothing is left open
    with pytest.raises(ReturnWithoutStore):
        site.send_back(doses=1, day=DAY, actor=OFFICER, at=AT)


def test_a_clone_is_a_deep_copy_that_changes_apart() -> None:
    """The dose path's cached copies use `SiteLotStock.clone` (deepcopy cost ~1 ms): every field equal
    to a deep copy's, and drawing from the clone leaves the original as it was."""
    import copy

    record = allocate(store_lot(), SITE_A, 50)
    record.draw(day=DAY, doses=3, actor=OFFICER, at=AT)  # a vial open today, two events pending
    twin, deep = record.clone(), copy.deepcopy(record)
    assert vars(twin).keys() == vars(deep).keys()
    assert {k: v for k, v in vars(twin).items() if k != "_pending_events"} == {
        k: v for k, v in vars(deep).items() if k != "_pending_events"
    }
    assert len(twin.collect_events()) == 2
    twin.draw(day=DAY, doses=8, actor=OFFICER, at=AT)
    assert (record.used, record.open, record.version) == (3, {DAY.isoformat(): 7}, 2)
    assert len(record.collect_events()) == 2

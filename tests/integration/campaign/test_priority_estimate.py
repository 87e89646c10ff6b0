"""Issue 13: the public list's cut-off counts what can really be given, not places.

The estimate runs the planner ahead (services.queue_estimate): places with a dose in stock of the
product each waiting dose may use. Before, a ward with 5 free places and 2 doses of the one vaccine
its second-dose people need said "5 places" and put the cut-off among first-dose people.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from ledger.campaign.values import Session
from tests.integration.campaign.conftest import ADMIN, OFFICER, PFIZER, Story

WARD = "00004"  # Phường Trúc Bạch, Ba Đình


def site_with(s: Story, stock: dict[str, int]) -> str:
    site = s.service.add_site(
        code="VN-01-0009",
        name="Điểm tiêm Trúc Bạch",
        ward_code=WARD,
        address="2 Trúc Bạch",
        sessions=[Session("morning", "07:30", "11:30", 3), Session("afternoon", "13:30", "16:30", 2)],
        actor=OFFICER,
    )
    for product, n in stock.items():
        s.ledger.receive_lot(
            product=product,
            lot_number=f"TB-{product[-4:]}",
            expiry=date(2022, 3, 1),
            site_id=UUID(site.site_id),
            quantity=n,
            actor=ADMIN,
            idempotency_key=f"tb-{product}",
        )
    return site.site_id


def test_the_cutoff_counts_doses_in_stock_for_the_doses_people_wait_for(sqlite_story: Story) -> None:
    s = sqlite_story
    site_with(s, {PFIZER: 2})
    today = s.ledger.today()
    second = []
    for n in range(4):  # a first dose of Comirnaty 30 days ago: the second is due, and needs Comirnaty
        p = s.person(ward_code=WARD)
        s.ledger.record_dose(
            person_id=p,
            dose_number=1,
            product=PFIZER,
            lot_id=s.lots[PFIZER],
            administered_on=today - timedelta(days=30),
            site_id=s.site_id,
            actor=s.vaccinator,
            idempotency_key=f"d1-{n}",
        )
        s.service.register(person=p, group="OTHER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
        second.append(p)
    for _ in range(6):
        s.service.register(person=s.person(ward_code=WARD), group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)

    found = s.service.priority_list(WARD)
    body = found.as_json()
    assert body["next_day"] == today.isoformat()
    assert body["free_places_next_day"] == 5
    assert body["places_next_day"] == 2  # only two doses of Comirnaty: what can really be given
    assert body["cutoff"]["later_dose"] is True  # the places end among the second doses
    assert body["everyone_fits"] is False
    assert body["later_doses"] == "<5"  # 4 people: still suppressed
    assert "stock" in body["estimate_basis"]
    # The people: the first two second-dose people today, the others not within two weeks (no stock).
    assert s.service.queue_places(second[0])[0].expected_day == today.isoformat()
    assert s.service.queue_places(second[1])[0].expected_day == today.isoformat()
    assert s.service.queue_places(second[2])[0].expected_day is None


def test_first_doses_use_any_vaccine_in_stock(sqlite_story: Story) -> None:
    s = sqlite_story
    site_with(s, {"BBIBP-CorV": 50})
    for _ in range(7):
        s.service.register(person=s.person(ward_code=WARD), group="HEALTH_WORKER", actor=ADMIN)
        s.clock.now += timedelta(minutes=1)
    found = s.service.priority_list(WARD)
    assert (found.free_places, found.usable_places) == (5, 5)
    assert found.cutoff is not None
    assert found.cutoff.rank == 1
    # Tomorrow 5 more: the sixth and seventh are expected tomorrow.
    sixth = s.people[5]
    assert s.service.queue_places(sixth)[0].expected_day == (s.ledger.today() + timedelta(days=1)).isoformat()

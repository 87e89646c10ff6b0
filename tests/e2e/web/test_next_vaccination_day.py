"""Issue 13: what the citizen's page says about the next vaccination day, case by case.

Found in the user trial (s3): before any planning the page said the next day was tomorrow while the
planner's first plan was today; a person due for a second dose weeks ahead read "the next day (tomorrow)
does not reach you yet"; the estimate counted places, not vaccine in stock for the dose. Each case here
failed on the old page. The clock is fixed: Sunday 1 August 2021, 10:00 in Viet Nam.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as

ADMIN = Actor("admin", LedgerRole.ADMIN)
OFFICER = Actor("officer", LedgerRole.PROVINCE_OFFICER, province_code="01")
PFIZER = "EU/1/20/1528"
ASTRAZENECA = "EU/1/21/1529"
SINOPHARM = "BBIBP-CorV"
PHONE = "0912000444"
SUNDAY = date(2021, 8, 1)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2021, 8, 1, 3, 0, tzinfo=UTC)  # 10:00 in Viet Nam

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    ledger: Ledger
    service: CampaignService
    client: FlaskClient
    clock: Clock
    site_id: UUID
    vaccinator: Actor
    mother: UUID
    child: UUID
    keys: int = 0

    def key(self) -> str:
        self.keys += 1
        return f"k{self.keys}"

    def lot(self, product: str, quantity: int = 10) -> UUID:
        return self.ledger.receive_lot(
            product=product,
            lot_number=f"L-{product[-4:]}-{self.keys}",
            expiry=date(2022, 3, 1),
            site_id=self.site_id,
            quantity=quantity,
            actor=ADMIN,
            idempotency_key=self.key(),
        )

    def dose(self, person: UUID, product: str, day: date, lot: UUID) -> None:
        self.ledger.record_dose(
            person_id=person,
            dose_number=1,
            product=product,
            lot_id=lot,
            administered_on=day,
            site_id=self.site_id,
            actor=self.vaccinator,
            idempotency_key=self.key(),
        )

    def page(self, person: UUID) -> str:
        response = self.client.get(f"/me/vaccination/{person}")
        assert response.status_code == 200
        return " ".join(response.get_data(as_text=True).split())


@pytest.fixture
def world(tmp_path: Path) -> World:
    clock = Clock()
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=clock)
    app = make_app(tmp_path, ledger)
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    site = service.add_site(
        code="VN-01-0001",
        name="Trạm Y tế Phường Phúc Xá",
        ward_code="00001",
        address="Số 1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 2), Session("afternoon", "13:30", "16:30", 1)],
        actor=OFFICER,
    )
    site_id = UUID(site.site_id)
    mother = ledger.register_person(
        national_id="001185000444",
        full_name="Phạm Thị Hoa",
        date_of_birth="1985-02-03",
        sex="female",
        phone=PHONE,
        ward_code="00001",
        priority_group="OTHER",
        actor=ADMIN,
        idempotency_key="mother",
    )
    child = ledger.register_person(
        national_id=None,
        full_name="Phạm Minh Khang",
        date_of_birth="2008-06-07",
        sex="male",
        phone=None,
        ward_code="00001",
        priority_group="POOR_SOCIAL_POLICY",
        actor=ADMIN,
        idempotency_key="child",
        guardian_id=mother,
        relationship="child",
    )
    client = app.test_client()
    sign_in_as(client, "citizen", phone=PHONE)
    vaccinator = Actor("nurse", LedgerRole.VACCINATOR, site_id)
    return World(ledger, service, client, clock, site_id, vaccinator, mother, child)


def test_before_any_planning_today_counts_while_its_sessions_are_not_over(world: World) -> None:
    world.lot(PFIZER)
    world.service.register(person=world.mother, group="OTHER", actor=ADMIN)
    page = world.page(world.mother)
    assert "Dự kiến có lịch ngày 01/08/2021" in page  # today: the planner's default day
    assert "02/08/2021" not in page
    # At 17:00 today's sessions are over: the next day is tomorrow.
    world.clock.now = datetime(2021, 8, 1, 10, 0, tzinfo=UTC)
    assert "Dự kiến có lịch ngày 02/08/2021" in world.page(world.mother)


def test_after_a_first_dose_the_next_dose_is_due_after_the_products_interval(world: World) -> None:
    pfizer = world.lot(PFIZER)
    world.dose(world.mother, PFIZER, SUNDAY, pfizer)
    page = world.page(world.mother)
    # Comirnaty's rule: 21 days (Reference.min_days_between), and the daily job registers the person then.
    assert "Mũi 2 đến hạn từ 22/08/2021" in page
    assert "ít nhất 21 ngày" in page
    assert "tự đăng ký" in page
    # A dependant on the same phone, after AstraZeneca: 28 days.
    az = world.lot(ASTRAZENECA)
    world.dose(world.child, ASTRAZENECA, SUNDAY - timedelta(days=3), az)
    child = world.page(world.child)
    assert "Mũi 2 đến hạn từ 26/08/2021" in child
    assert "ít nhất 28 ngày" in child


def test_a_second_dose_weeks_ahead_is_expected_on_its_due_day_not_told_tomorrow_is_too_early(
    world: World,
) -> None:
    pfizer = world.lot(PFIZER)
    world.dose(world.mother, PFIZER, SUNDAY, pfizer)
    world.service.register(person=world.mother, group="OTHER", actor=ADMIN)
    page = world.page(world.mother)
    assert "Đến hạn tiêm từ 22/08/2021" in page
    assert "Dự kiến có lịch ngày 22/08/2021" in page
    assert "chưa đến lượt" not in page


def test_no_vaccine_for_the_dose_means_no_expected_day(world: World) -> None:
    # The site holds only Sinopharm; a second dose after Comirnaty needs Comirnaty (or an allowed mix).
    pfizer = world.lot(PFIZER, quantity=1)
    world.dose(world.mother, PFIZER, SUNDAY - timedelta(days=30), pfizer)
    world.lot(SINOPHARM, quantity=50)
    world.service.register(person=world.mother, group="OTHER", actor=ADMIN)
    page = world.page(world.mother)
    assert "Dự kiến có lịch" not in page
    assert "chưa có chỗ với vắc xin phù hợp" in page
    # The public list says the same: places are free, but no vaccine the one person waiting can have.
    found = world.service.priority_list("00001")
    assert found.next_day is None
    assert found.free_places == 3
    assert found.usable_places == 0
    public = " ".join(world.client.get("/priority?ward_code=00001").get_data(as_text=True).split())
    assert "không còn vắc xin phù hợp" in public
    assert "Cách ước tính" in public


def test_a_booked_appointment_is_shown_and_a_past_one_is_not_upcoming(world: World) -> None:
    world.lot(PFIZER)
    world.service.register(person=world.child, group="OTHER", actor=ADMIN)
    tomorrow = SUNDAY + timedelta(days=1)
    world.service.plan_day(world.site_id, tomorrow, actor=OFFICER)
    page = world.page(world.child)
    assert "Lịch hẹn: 02/08/2021" in page
    assert "đã có lịch" in page
    assert "Dự kiến có lịch" not in page  # booked: no estimate
    book = " ".join(world.client.get(f"/me/people/{world.child}").get_data(as_text=True).split())
    assert "Lịch tiêm sắp tới:" in book
    assert "02/08/2021" in book
    # Two days on, before the daily job closed Monday: Monday is not "upcoming" any more.
    world.clock.now += timedelta(days=2)
    later = " ".join(world.client.get(f"/me/people/{world.child}").get_data(as_text=True).split())
    assert "Lịch tiêm sắp tới:" not in later


def test_the_register_form_starts_from_the_group_on_record(world: World) -> None:
    # Found in the browser story: the form offered the last group ("16. Đối tượng khác") to everyone,
    # so one tap on "Đăng ký tiêm" dropped a person of group 11 to group 16.
    html = world.client.get(f"/me/vaccination/{world.child}").get_data(as_text=True)
    assert '<option value="POOR_SOCIAL_POLICY" selected>' in html
    assert '<option value="OTHER" selected>' not in html


def test_the_next_doses_form_keeps_the_group_and_place_chosen_before(world: World) -> None:
    # Found in the browser story: after dose 1 as a health worker at a chosen site, the form for dose 2
    # offered group 16 and the home ward; the health book did not say when dose 2 is due.
    pfizer = world.lot(PFIZER)
    world.service.register(person=world.mother, group="HEALTH_WORKER", site_id=world.site_id, actor=ADMIN)
    world.service.plan_day(world.site_id, SUNDAY, actor=OFFICER)
    appointment = world.service.my_appointments(world.mother)[0].appointment_id
    world.service.record_dose(appointment, lot_id=pfizer, actor=world.vaccinator)
    html = world.client.get(f"/me/vaccination/{world.mother}").get_data(as_text=True)
    assert '<option value="HEALTH_WORKER" selected>' in html
    assert f'<option value="site:{world.site_id}" selected>' in html
    book = " ".join(world.client.get(f"/me/people/{world.mother}").get_data(as_text=True).split())
    assert "Mũi 2 đến hạn từ 22/08/2021." in book

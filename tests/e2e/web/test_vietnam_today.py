"""Every page and endpoint that shows or defaults "today" uses Viet Nam's day (UTC+7, the ledger's
`vietnam_day`), not the UTC date: at 18:00 UTC on 30 November it is 01:00 on 1 December in Viet Nam."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.commands import vietnam_day
from ledger.values import Actor, Role
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as
from web.formats import show_date

BEFORE = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)  # setup: 10:00 on 29 November in Viet Nam
EVENING_UTC = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)  # 01:00 on 1 December in Viet Nam
VN_DAY = date(2026, 12, 1)
UTC_DAY = date(2026, 11, 30)
SYSTEM = Actor("test", Role.SYSTEM)


@dataclass
class World:
    client: FlaskClient
    service: CampaignService
    site_id: str
    person: UUID


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    now = [BEFORE]
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now[0])
    app = make_app(tmp_path, ledger, CLOCK=lambda: now[0])
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    site = service.add_site(
        code="VN-01-0001",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 3)],
        actor=SYSTEM,
    )
    for number, expiry in (("LAST-DAY-30-11", UTC_DAY), ("GOOD-TO-01-12", VN_DAY)):
        ledger.receive_lot(
            product="BBIBP-CorV",
            lot_number=number,
            expiry=expiry,
            site_id=UUID(site.site_id),
            quantity=10,
            actor=SYSTEM,
            idempotency_key=number,
        )
    person = ledger.register_person(
        national_id="001085000001",
        full_name="Trần Thị Lan",
        date_of_birth="1960-01-01",
        sex="female",
        phone="0912340001",
        ward_code="00001",
        priority_group="HEALTH_WORKER",
        actor=SYSTEM,
        idempotency_key="p",
    )
    service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
    now[0] = EVENING_UTC
    try:
        yield World(app.test_client(), service, site.site_id, person)
    finally:
        ledger.close()


def test_the_ledger_and_the_function_agree_on_the_day() -> None:
    assert vietnam_day(EVENING_UTC) == VN_DAY
    assert vietnam_day(datetime(2026, 11, 30, 16, 59, tzinfo=UTC)) == UTC_DAY
    assert EVENING_UTC.date() == UTC_DAY  # what the pages used to show


def test_the_staff_today_page_shows_viet_nams_day_and_its_list(world: World) -> None:
    assert world.service.ledger.today() == VN_DAY
    world.service.plan_day(world.site_id, VN_DAY, actor=SYSTEM)
    sign_in_as(world.client, "staff", site_id=world.site_id)
    html = world.client.get("/staff/today").get_data(as_text=True)
    assert show_date(VN_DAY, "vi") in html
    assert show_date(UTC_DAY, "vi") not in html
    assert "Trần Thị Lan" in html
    assert "GOOD-TO-01-12" in html  # the lot picker offers only lots still good in Viet Nam
    assert "LAST-DAY-30-11" not in html


def test_the_desk_lots_api_leaves_out_a_lot_that_expired_yesterday_in_viet_nam(world: World) -> None:
    sign_in_as(world.client, "staff", site_id=world.site_id)
    lots = world.client.get("/api/v1/desk/lots").get_json()["lots"]
    assert [lot["lot_number"] for lot in lots] == ["GOOD-TO-01-12"]


def test_the_desk_dose_form_defaults_to_viet_nams_day(world: World) -> None:
    sign_in_as(world.client, "staff", site_id=world.site_id)
    html = world.client.get(f"/desk/people/{world.person}").get_data(as_text=True)
    assert 'value="01/12/2026"' in html  # typed as dd/mm/yyyy
    assert 'value="30/11/2026"' not in html
    assert "LAST-DAY-30-11" not in html


def test_the_province_page_and_api_flag_the_lot_expired(world: World) -> None:
    sign_in_as(world.client, "province", province_code="01")
    lots = world.client.get("/api/v1/province").get_json()["lots"]
    flags = {lot["lot_number"]: lot["expired"] for lot in lots}
    assert flags["LAST-DAY-30-11"] is True
    assert flags["GOOD-TO-01-12"] is False
    page = world.client.get("/province/").get_data(as_text=True)
    assert "badge red" in page[page.index("LAST-DAY-30-11") :].split("</tr>")[0]


def test_the_operations_chart_ends_on_viet_nams_day(world: World) -> None:
    sign_in_as(world.client, "response")
    html = world.client.get("/operations/").get_data(as_text=True)
    # The doses-per-day chart's axis: the last 14 days, ending today in Viet Nam.
    assert 'text-anchor="end" fill="#1a1a1a">01/12/2026</text>' in html
    assert ">18/11/2026</text>" in html
    assert ">30/11/2026</text>" not in html


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_moment_is_shown_as_the_day_it_was_in_viet_nam(lang: str) -> None:
    # a certificate issued or a reaction reported at 18:00 UTC happened on Viet Nam's next day
    assert show_date(EVENING_UTC, lang) == show_date(VN_DAY, lang)
    assert show_date(EVENING_UTC.isoformat(), lang) == show_date(VN_DAY, lang)
    # a date or a moment without a timezone is shown as it is
    assert show_date(EVENING_UTC.replace(tzinfo=None), lang) == show_date(UTC_DAY, lang)
    assert show_date("2026-11-30", lang) == show_date(UTC_DAY, lang)

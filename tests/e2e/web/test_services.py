"""The service layer under the pages: one phone number however it was typed, one status, one next dose."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.values import Actor, Role
from services import citizen, desk
from services.desk import DoseForm, StaffMember
from services.people import PersonForm
from tests.e2e.web.conftest import make_app, sign_in_as

ADMIN = Actor("services-test", Role.ADMIN)
TODAY = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("typed", ["+84 912 345 678", "84912345678", "0912.345.678"])
def test_a_number_typed_in_any_form_at_registration_signs_in_as_the_national_form(
    tmp_path: Path, typed: str
) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: TODAY)
    person = ledger.register_person(
        national_id="001185012345",
        full_name="Nguyễn Thị Ánh",
        date_of_birth="1985",
        sex="female",
        phone=typed,
        ward_code="00001",
        priority_group="OTHER",
        actor=ADMIN,
        idempotency_key="p",
    )
    assert ledger.person_record(person).phone == "0912345678"
    app = make_app(tmp_path, ledger, CLOCK=lambda: TODAY)
    client = app.test_client()
    sign_in_as(client, "citizen", phone="0912345678")
    page = client.get("/me/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    assert "Nguyễn Thị Ánh" in page
    assert [p.id for p in citizen.family(app.extensions["immunize"].backend, "+84912345678")] == [str(person)]


def test_the_desk_records_the_next_dose_and_the_status_follows_the_one_rule(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: TODAY)
    site = ledger.register_site(
        code="S",
        name="Trạm Y tế Phúc Xá",
        ward_code="00001",
        capacity_per_day=10,
        actor=ADMIN,
        idempotency_key="s",
    )
    lot = ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="PF-1",
        expiry=date(2030, 1, 1),
        site_id=site,
        quantity=10,
        actor=ADMIN,
        idempotency_key="l",
    )
    app = make_app(tmp_path, ledger, CLOCK=lambda: TODAY)
    backend = app.extensions["immunize"].backend
    nurse = StaffMember("nurse.lan", site)
    person = desk.register_at_site(
        backend,
        PersonForm(
            full_name="Trần Văn Bình",
            date_of_birth="1970",
            sex="male",
            ward_code="00001",
            national_id="001070012345",
        ),
        phone=None,
        staff=nurse,
    )
    assert citizen.health_book(backend, person).status == "none"
    first = desk.record_dose(ledger, person, DoseForm(lot_id=lot, given_on=date(2021, 8, 2)), staff=nurse)
    book = citizen.health_book(backend, person)
    assert (first.dose_number, book.status, book.status_reason, book.next_dose_number) == (
        1,
        "yellow",
        "primary_incomplete",
        2,
    )
    second = desk.record_dose(ledger, person, DoseForm(lot_id=lot, given_on=date(2021, 8, 23)), staff=nurse)
    book = citizen.health_book(backend, person)
    assert (second.dose_number, second.vaccine, book.status, book.status_reason) == (
        2,
        "Pfizer-BioNTech Comirnaty",
        "green",
        "primary_complete",
    )

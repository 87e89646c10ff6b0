"""A reaction report or a health declaration sent again (a double tap, a browser resend, an API client's
retry) is recorded once: its idempotency key is derived from the request, not drawn at random."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.errors import IdempotencyKeyReused
from ledger.values import Actor, Role
from services import citizen, desk
from services.desk import DoseForm, StaffMember
from services.people import PersonForm, ReactionForm
from tests.e2e.web.conftest import make_app, sign_in_as

ADMIN = Actor("reaction-test", Role.ADMIN)
TODAY = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)
PHONE = "0912345678"


def vaccinated(
    tmp_path: Path, clock: Callable[[], datetime] = lambda: TODAY
) -> tuple[Ledger, UUID, UUID, StaffMember]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=clock)
    site = ledger.register_site(
        code="S", name="Trạm Y tế Phúc Xá", ward_code="00001", capacity_per_day=10, actor=ADMIN,
        idempotency_key="s",
    )  # fmt: skip
    lot = ledger.receive_lot(
        product="EU/1/20/1528", lot_number="PF-1", expiry=date(2030, 1, 1), site_id=site, quantity=10,
        actor=ADMIN, idempotency_key="l",
    )  # fmt: skip
    nurse = StaffMember("nurse.lan", site)
    person = desk.register(
        ledger,
        PersonForm(
            full_name="Trần Văn Bình", date_of_birth="1970", sex="male", ward_code="00001",
            national_id="001070012345",
        ),
        phone=PHONE,
        actor=nurse.actor,
    )  # fmt: skip
    dose = desk.record_dose(ledger, person, DoseForm(lot_id=lot, given_on=date(2021, 9, 20)), staff=nurse)
    return ledger, person, dose.dose_id, nurse


def reactions(ledger: Ledger, person: UUID) -> list[str | None]:
    return [r.symptoms.text for r in ledger.person_record(person).reactions]


def test_the_form_and_the_api_sent_twice_record_one_reaction(tmp_path: Path) -> None:
    ledger, person, dose, _ = vaccinated(tmp_path)
    app = make_app(tmp_path, ledger, CLOCK=lambda: TODAY, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in_as(client, "citizen", phone=PHONE)
    form = {"dose_id": str(dose), "onset": "2021-09-21", "symptoms": "sốt nhẹ", "severity": "mild"}

    for _ in range(2):  # the page sent twice
        assert client.post(f"/me/people/{person}/reaction", data=form).status_code == 302
    head = ledger.recorder.max_notification_id()
    for _ in range(2):  # and the API retried
        assert client.post(f"/api/v1/me/people/{person}/reactions", json=form).status_code == 200
    assert reactions(ledger, person) == ["sốt nhẹ"]
    assert ledger.recorder.max_notification_id() == head  # the retries wrote nothing

    other = {**form, "symptoms": "đau đầu"}  # another report is another reaction
    assert client.post(f"/me/people/{person}/reaction", data=other).status_code == 302
    assert reactions(ledger, person) == ["sốt nhẹ", "đau đầu"]


def test_the_key_is_the_request_the_reporter_and_never_the_symptoms_in_clear(tmp_path: Path) -> None:
    ledger, person, dose, nurse = vaccinated(tmp_path)
    form = ReactionForm(onset=date(2021, 9, 21), symptoms="sốt nhẹ", severity="mild", dose_id=dose)
    me = Actor(str(person), Role.CITIZEN)
    key = citizen.reaction_key(ledger, person, form, me)
    assert "sốt" not in key
    assert key.startswith("reaction-")
    assert citizen.reaction_key(ledger, person, form, me) == key
    first = citizen.report_reaction(ledger, person, form, actor=me)
    assert citizen.report_reaction(ledger, person, form, actor=me) == first
    # the same words from the nurse at the desk are the nurse's report, recorded beside the citizen's
    staff = nurse.actor
    assert citizen.report_reaction(ledger, person, form, actor=staff) != first
    assert len(reactions(ledger, person)) == 2
    # a caller's own key wins, and reusing it for another report is refused, not silently merged
    mine = citizen.report_reaction(ledger, person, form, actor=me, idempotency_key="client-42")
    assert citizen.report_reaction(ledger, person, form, actor=me, idempotency_key="client-42") == mine
    with pytest.raises(IdempotencyKeyReused):
        citizen.report_reaction(
            ledger,
            person,
            ReactionForm(date(2021, 9, 21), "ho", "mild", dose),
            actor=me,
            idempotency_key="client-42",
        )
    assert len(reactions(ledger, person)) == 3


def test_a_declaration_sent_twice_the_same_day_is_one_and_the_next_days_is_another(tmp_path: Path) -> None:
    now = [TODAY]
    ledger, person, _, _ = vaccinated(tmp_path, lambda: now[0])
    app = make_app(tmp_path, ledger, CLOCK=lambda: now[0], WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in_as(client, "citizen", phone=PHONE)
    form = {"symptoms": "", "no_symptoms": "on", "travel": "", "no_travel": "on"}
    for _ in range(2):
        assert client.post(f"/me/people/{person}/declaration", data=form).status_code == 302
    assert len(ledger.person_record(person).declarations) == 1
    now[0] = TODAY + timedelta(days=1)  # before the next visit
    assert client.post(f"/me/people/{person}/declaration", data=form).status_code == 302
    assert len(ledger.person_record(person).declarations) == 2

"""The today page's "did not come" and "came late" through the Flask client on SQLite: each refusal is
one Vietnamese sentence on the person's card and writes nothing; another site's staff cannot touch the
list; the JSON API does the same."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor, Role
from services.campaign import CampaignService
from tests.e2e.web.conftest import csrf_token, make_app, sign_in_as

NOW = datetime(2021, 8, 2, 1, 0, tzinfo=UTC)  # Monday 2 August 2021, 08:00 in Hà Nội
DAY = date(2021, 8, 2)
SYSTEM = Actor("test", Role.SYSTEM)
SINOPHARM = "BBIBP-CorV"


def test_refusals_are_one_sentence_on_the_card_and_other_sites_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, clock=lambda: NOW, key_dir=tmp_path / "ledger-keys")
    try:
        app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
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
        lot = ledger.receive_lot(
            product=SINOPHARM,
            lot_number="SP-9",
            expiry=date(2022, 3, 1),
            site_id=UUID(site.site_id),
            quantity=10,
            actor=SYSTEM,
            idempotency_key="lot",
        )
        people = []
        for n in range(2):
            person = ledger.register_person(
                national_id=f"0010850{n:05d}",
                full_name=f"Trần Thị Lan {'AB'[n]}",
                date_of_birth="1960-01-01",
                sex="female",
                phone=f"091234{n:04d}",
                ward_code="00001",
                priority_group="HEALTH_WORKER",
                actor=SYSTEM,
                idempotency_key=f"p{n}",
            )
            service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM)
            people.append(person)
        service.plan_day(site.site_id, DAY, actor=SYSTEM)
        day = service.day(site.site_id, DAY)
        assert day is not None
        ids = {a.person_id: a.appointment_id for a in day.sessions[0].appointments}
        # The first was vaccinated at the desk, outside the appointment.
        ledger.record_dose(
            person_id=people[0],
            dose_number=1,
            product=SINOPHARM,
            lot_id=lot,
            administered_on=DAY,
            site_id=UUID(site.site_id),
            actor=Actor("v", Role.VACCINATOR, UUID(site.site_id)),
            idempotency_key="desk",
        )

        other = app.test_client()
        sign_in_as(other, "staff", site_id=str(uuid4()))
        token = csrf_token(other)
        head = ledger.recorder.max_notification_id()
        refused = other.post(f"/staff/today/{ids[str(people[1])]}/no-show", data={"csrf_token": token})
        assert refused.status_code == 403
        api = other.post(
            f"/api/v1/campaign/appointments/{ids[str(people[1])]}/no-show", headers={"X-CSRFToken": token}
        )
        assert api.status_code == 403
        assert ledger.recorder.max_notification_id() == head

        client = app.test_client()
        sign_in_as(client, "staff", site_id=site.site_id)
        token = csrf_token(client)
        answer = client.post(f"/staff/today/{ids[str(people[0])]}/no-show", data={"csrf_token": token})
        assert answer.status_code == 409
        html = answer.get_data(as_text=True)
        card = html.split(f'id="a-{ids[str(people[0])]}"')[1].split("</li>")[0]
        assert "Người này đã được tiêm ngày 02/08/2021 nên không thể ghi là không đến." in card
        assert ledger.recorder.max_notification_id() == head

        late = client.post(f"/staff/today/{ids[str(people[1])]}/came-late", data={"csrf_token": token})
        assert late.status_code == 409
        assert "không ở trạng thái vắng mặt" in late.get_data(as_text=True)

        headers = {"X-CSRFToken": token}
        api = client.post(f"/api/v1/campaign/appointments/{ids[str(people[1])]}/no-show", headers=headers)
        assert api.status_code == 200
        assert api.get_json() == {"status": "no_show"}
        back = client.post(f"/api/v1/campaign/appointments/{ids[str(people[1])]}/came-late", headers=headers)
        assert back.get_json() == {"status": "arrived"}
        listed = client.get("/staff/today").get_data(as_text=True)
        card = listed.split(f'id="a-{ids[str(people[1])]}"')[1].split("</li>")[0]
        assert "status-arrived" in listed.split(f'id="a-{ids[str(people[1])]}"')[1][:40]
        assert "Đến muộn" not in card
    finally:
        ledger.close()

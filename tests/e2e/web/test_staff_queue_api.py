"""Staff move or withdraw a waiting place through the API only for their own site's (or ward's) queue,
an officer only in their province: another site's staff get 403 `waiting_place_of_another_site` with one
sentence in the request's language, and nothing is written (the rule is the ledger's, the same for the
pages and the CLI)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor, Role
from projections import queue_queries
from services.campaign import CampaignService
from tests.e2e.web.conftest import csrf_token, make_app, sign_in_as

NOW = datetime(2021, 8, 2, 1, 0, tzinfo=UTC)
SYSTEM = Actor("test", Role.SYSTEM)


def test_staff_of_another_site_get_403_and_their_own_site_moves_the_place(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, clock=lambda: NOW, key_dir=tmp_path / "ledger-keys")
    try:
        app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
        backend = app.extensions["immunize"].backend
        service = CampaignService(backend.ledger, backend.views)

        def site(code: str, ward: str) -> str:
            return service.add_site(
                code=code, name=f"Trạm {code}", ward_code=ward, address="1",
                sessions=[Session("morning", "07:30", "11:30", 3)], actor=SYSTEM,
            ).site_id  # fmt: skip

        phuc_xa, truc_bach = site("VN-01-0001", "00001"), site("VN-01-0004", "00004")
        person = ledger.register_person(
            national_id="001085000001", full_name="Trần Thị Lan", date_of_birth="1960-01-01", sex="female",
            phone="0912340000", ward_code="00001", priority_group="HEALTH_WORKER", actor=SYSTEM,
            idempotency_key="p",
        )  # fmt: skip
        reg = str(service.register(person=person, group="HEALTH_WORKER", actor=SYSTEM).registration_id)
        client = app.test_client()
        move = f"/api/v1/campaign/registrations/{reg}/move"
        withdraw = f"/api/v1/campaign/registrations/{reg}/withdraw"
        head = ledger.recorder.max_notification_id()

        sign_in_as(client, "staff", site_id=truc_bach)
        for lang, sentence in (
            ("vi", "Người này đang chờ ở hàng đợi của điểm tiêm hoặc phường/xã khác."),
            ("en", "This person waits in the queue of another site or ward."),
        ):
            headers = {"X-CSRFToken": csrf_token(client), "Accept-Language": lang}
            for url_, body in ((move, {"ward_code": "00004"}), (withdraw, {"reason": "x"})):
                refused = client.post(url_, json=body, headers=headers)
                assert refused.status_code == 403, refused.get_json()
                assert refused.get_json()["error"] == "waiting_place_of_another_site"
                assert refused.get_json()["message"].startswith(sentence)
        sign_in_as(client, "province", province_code="79")
        refused = client.post(withdraw, json={}, headers={"X-CSRFToken": csrf_token(client)})
        assert (refused.status_code, refused.get_json()["error"]) == (403, "outside_province")
        assert ledger.recorder.max_notification_id() == head  # nothing written

        sign_in_as(client, "staff", site_id=phuc_xa)
        moved = client.post(move, json={"ward_code": "00004"}, headers={"X-CSRFToken": csrf_token(client)})
        assert moved.status_code == 200, moved.get_json()
        assert moved.get_json() == {"status": "moved", "moves": 1}
        sign_in_as(client, "staff", site_id=truc_bach)  # now Trúc Bạch's place
        gone = client.post(withdraw, json={"reason": "đi xa"}, headers={"X-CSRFToken": csrf_token(client)})
        assert gone.status_code == 200, gone.get_json()
        service.refresh()
        [row] = queue_queries.registrations_of_person(backend.views, person)
        assert (row.ward, row.status) == ("00004", "withdrawn")
    finally:
        ledger.close()

""" "HUY" arriving through the gateway's inbound API (`POST /api/v1/sms/inbound`): the appointment is
cancelled once however often the gateway delivers the text, and the person's place is back in the queue."""

from __future__ import annotations

from pathlib import Path

from services.sms_gateways import FileGateway
from tests.e2e.web.conftest import make_app
from tests.integration.campaign.conftest import MONDAY, OFFICER, Clock, make_story

SECRET = {"X-Gateway-Secret": "gateway-shared-secret"}


def test_huy_through_the_inbound_api_cancels_once(tmp_path: Path) -> None:
    s = make_story(f"sqlite:///{tmp_path / 'ledger.db'}", Clock(), tmp_path / "keys")
    try:
        person = s.person(phone="0912345678")
        s.service.register(person=person, group="HEALTH_WORKER", actor=OFFICER)
        s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
        s.service.send_pending(FileGateway(tmp_path / "outbox.jsonl"))
        client = make_app(
            tmp_path, s.ledger, CLOCK=s.clock, SMS_INBOUND_SECRET="gateway-shared-secret"
        ).test_client()
        body = {"from": "+84912345678", "text": "HỦY", "message_id": "gw-501"}
        first = client.post("/api/v1/sms/inbound", json=body, headers=SECRET)
        head = s.ledger.recorder.max_notification_id()
        again = client.post("/api/v1/sms/inbound", json=body, headers=SECRET)
        assert [first.status_code, again.status_code] == [200, 200]
        assert [first.get_json(), again.get_json()] == [{"outcome": "cancelled"}] * 2
        assert s.ledger.recorder.max_notification_id() == head
        assert [a.status for a in s.service.my_appointments(person)] == ["cancelled"]
        assert [r.status for r, _ in s.service.my_registrations(person)] == ["waiting"]
        assert len(s.service.messages(kind="cancel")) == 1
        # Without the gateway's secret nothing is cancelled or answered.
        refused = client.post("/api/v1/sms/inbound", json={**body, "message_id": "gw-502"})
        assert refused.status_code == 403
        assert s.ledger.recorder.max_notification_id() == head
    finally:
        s.store.close()
        s.ledger.close()

"""Issue 12, item 11: no GET writes a ledger event. The first view of the certificate page issued a
certificate (a CertificateIssued event on a GET); issuing is now an explicit POST."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from keys.development import ensure_development_keys
from ledger.application import Ledger
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.people import listed


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=12, seed=3)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    holder = next(r for r in listed(ledger, limit=100) if r.phone and r.doses and not r.guardian_id)
    client = app.test_client()
    sign_in_as(client, "citizen", phone=holder.phone)
    return {"ledger": ledger, "holder": holder, "client": client}


def log_length(ledger: Ledger) -> int:
    return int(ledger.recorder.max_notification_id() or 0)


def test_looking_at_the_certificate_page_and_downloads_writes_nothing(world: dict[str, Any]) -> None:
    ledger, client, pid = world["ledger"], world["client"], world["holder"].person_id
    before = log_length(ledger)
    page = client.get(f"/me/people/{pid}/certificate", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert f'action="/me/people/{pid}/certificate"' in page.get_data(as_text=True)  # a button to ask
    assert client.get(f"/api/v1/me/people/{pid}/certificate").status_code == 409
    assert client.get(f"/me/people/{pid}/certificate.png").status_code == 409
    assert log_length(ledger) == before


def test_asking_for_the_certificate_issues_it_once_then_reads_show_it(world: dict[str, Any]) -> None:
    ledger, client, pid = world["ledger"], world["client"], world["holder"].person_id
    asked = client.post(f"/me/people/{pid}/certificate")
    assert asked.status_code == 302
    after_issue = log_length(ledger)
    assert after_issue > 0
    page = client.get(f"/me/people/{pid}/certificate").get_data(as_text=True)
    assert "cert-status" in page
    api = client.get(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert api["hc1"].startswith("HC1:")
    assert client.get(f"/me/people/{pid}/certificate.png").status_code == 200
    again = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert again["uci"] == api["uci"]  # asking again reuses the current one
    assert log_length(ledger) == after_issue

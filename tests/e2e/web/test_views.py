"""Public statistics, the operations view and the auditor's page, read from the real projections and audit chain."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask

from ledger.application import Ledger
from projections.registry import catch_up_views
from services.demo_population import seed_demo
from tests.e2e.web.conftest import copy_seeded, make_app, sign_in_as
from tests.people import listed


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite ledger (the audit chain needs a real database) with a seeded campaign, projections caught up.

    Seeded once per module and never handed to a test: each test gets its own copy (`seeded_app`).
    """
    base = tmp_path_factory.mktemp("views")
    url = f"sqlite:///{base / 'ledger.db'}"
    ledger = Ledger(url, key_dir=base / "lk")
    seed_demo(ledger, people=80, seed=4)
    app = make_app(base, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    return base


@pytest.fixture
def seeded_app(seeded_template: Path, tmp_path: Path) -> Flask:
    """A private copy of the seeded template: tests here write events and checkpoints."""
    base = copy_seeded(seeded_template, tmp_path / "views")
    url = f"sqlite:///{base / 'ledger.db'}"
    ledger = Ledger(url, key_dir=base / "lk")
    return make_app(base, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)


def test_the_statistics_page_shows_every_province_and_hides_small_counts(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    page = client.get("/statistics", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    data = client.get("/api/v1/statistics").get_json()
    assert len(data["provinces"]) == 63
    assert data["total_doses"] > 0
    assert f"{data['total_doses']:,}" in html
    assert html.count("<svg") >= 4  # doses per day, vaccines, groups, provinces: drawn on the server
    assert "Cà Mau" in html
    assert "Hà Nội" in html
    assert any(p["doses"] is None for p in data["provinces"])  # provinces with < 5 doses are suppressed
    assert "&lt; 5" in html
    assert "By dose number" in html
    assert "Reactions by severity" in html
    # nothing personal on a public page
    ledger: Ledger = seeded_app.extensions["immunize"].platform.ledger
    for record in listed(ledger, limit=20):
        assert record.full_name not in html
        assert (record.national_id or "-") not in html


def test_the_operations_view_refreshes_itself_and_shows_the_lag(seeded_app: Flask) -> None:
    client = seeded_app.test_client()
    sign_in_as(client, "response")
    page = client.get("/operations/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="15">' in html
    assert "How current the figures are" in html
    assert "health_book" not in html  # no internal view names
    lag = client.get("/api/v1/operations").get_json()["lag"]
    assert {entry["name"] for entry in lag} >= {"statistics", "operations", "health_book"}
    assert all(entry["behind"] == 0 for entry in lag)
    # new events put the views behind, and the page says by how much
    ledger: Ledger = seeded_app.extensions["immunize"].platform.ledger
    person = next(r for r in listed(ledger, limit=100) if r.national_id and not r.erased)
    from ledger.values import Actor, Role

    ledger.declare_health(
        person_id=person.person_id,
        symptoms="",
        exposure="",
        travel="",
        actor=Actor("op-test", Role.SYSTEM),
        idempotency_key="ops-lag-1",
    )
    lag = client.get("/api/v1/operations").get_json()["lag"]
    assert all(entry["behind"] > 0 for entry in lag)


def test_the_auditor_verifies_the_chain_and_downloads_the_export(seeded_app: Flask, tmp_path: Path) -> None:
    from keys.settings import DEVELOPMENT_PASSPHRASE
    from projections.audit import AuditKey, Database, make_checkpoints

    platform = seeded_app.extensions["immunize"].platform
    key, _ = AuditKey.load_or_create(platform.key_dir, DEVELOPMENT_PASSPHRASE.encode())
    with Database(platform.store) as db:
        make_checkpoints(db, key, datetime.now(UTC).replace(microsecond=0))
    client = seeded_app.test_client()
    sign_in_as(client, "auditor")
    assert "audit.never" not in client.get("/audit/").get_data(as_text=True)
    response = client.post("/audit/verify")
    assert response.status_code == 302
    overview = client.get("/api/v1/audit").get_json()
    assert overview["last_verification"]["ok"] is True
    assert overview["checkpoints"]
    html = client.get("/audit/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Intact" in html
    export = client.get("/audit/export")
    assert export.status_code == 200
    assert export.headers["Content-Disposition"] == 'attachment; filename="ledger-audit.jsonl"'
    lines = export.get_data().splitlines()
    assert len(lines) > overview["events"] // 2
    export.close()

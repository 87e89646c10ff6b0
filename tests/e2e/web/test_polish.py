"""Small problems a user trial met on the demo (/work/notes/s3-usertrial.md); each test reproduces one."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from ledger.application import Ledger
from tests.e2e.web.conftest import make_app, sign_in_as


@pytest.fixture
def app(tmp_path: Path, ledger: Ledger) -> Flask:
    return make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)


@pytest.mark.parametrize(
    ("language", "header"), [("vi", "Thời điểm (giờ Việt Nam)"), ("en", "When (Viet Nam time)")]
)
def test_the_audit_reads_time_column_says_viet_nam_time_as_its_cells_are(
    app: Flask, language: str, header: str
) -> None:
    auditor = app.test_client()
    sign_in_as(auditor, "auditor")
    page = auditor.get("/audit/reads", headers={"Accept-Language": language}).get_data(as_text=True)
    assert header in page
    assert "(UTC)" not in page


def test_the_stock_page_names_the_officers_province(app: Flask) -> None:
    officer = app.test_client()
    sign_in_as(officer, "province", province_code="01")
    page = officer.get("/stock").get_data(as_text=True)
    heading = page[page.index("<h1>") : page.index("</h1>")]
    assert "Hà Nội" in heading
    assert "01" not in heading


def test_pages_link_an_icon_and_favicon_ico_finds_it(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon" href="/static/favicon.svg"' in page
    with client.get("/favicon.ico", follow_redirects=True) as answer:
        assert answer.status_code == 200
        assert answer.mimetype == "image/svg+xml"
        assert answer.get_data(as_text=True).startswith("<svg")


def test_the_audit_pages_last_verification_is_in_the_pages_language(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from keys.settings import DEVELOPMENT_PASSPHRASE
    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from projections.audit import AuditKey, Database, make_checkpoints

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    ledger = Ledger(url, key_dir=tmp_path / "lk")
    for n in range(3):
        ledger.register_site(
            code=f"HN-{n}",
            name=f"Trạm Y tế {n}",
            ward_code="00001",
            capacity_per_day=50,
            actor=Actor("test", LedgerRole.SYSTEM),
            idempotency_key=f"site-{n}",
        )
    app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)
    platform = app.extensions["immunize"].platform
    key, _ = AuditKey.load_or_create(platform.key_dir, DEVELOPMENT_PASSPHRASE.encode())
    with Database(platform.store) as db:
        make_checkpoints(db, key, datetime.now(UTC).replace(microsecond=0))
    auditor = app.test_client()
    sign_in_as(auditor, "auditor")
    assert auditor.post("/audit/verify").status_code == 302
    vi = auditor.get("/audit/", headers={"Accept-Language": "vi"}).get_data(as_text=True)
    events = ledger.recorder.max_notification_id()
    assert f"{events} sự kiện, đến vị trí {events}, khớp với" in vi
    assert "events up to position" not in vi
    assert "WARNING" not in vi
    en = auditor.get("/audit/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"{events} events, up to position {events}, match" in en

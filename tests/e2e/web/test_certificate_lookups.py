"""A desk lookup by certificate QR (a picture or pasted HC1 text, page or API) is logged like a lookup by
number (who, when, which site, kind, how many found, a keyed digest of the certificate's UCI, never the
UCI or the HC1) and counts against the same per-account budget (RATE_STAFF_LOOKUPS); the auditor finds
who looked a certificate up by typing its UCI at /audit/reads."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from keys.development import ensure_development_keys
from ledger.application import Ledger
from projections.registry import catch_up_views
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.people import listed

SITE = str(UUID(int=1))


@pytest.fixture
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("qrlookups")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=30, seed=8)
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False, RATE_STAFF_LOOKUPS=(5, 600))
    holder = next(r for r in listed(ledger, limit=100) if r.phone and len(r.doses) >= 1 and not r.guardian_id)
    asker = app.test_client()
    sign_in_as(asker, "citizen", phone=holder.phone)
    cert = asker.post(f"/api/v1/me/people/{holder.person_id}/certificate").get_json()
    png = asker.get(f"/me/people/{holder.person_id}/certificate.png").data
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    return {"app": app, "holder": holder, "uci": cert["uci"], "hc1": cert["hc1"], "png": png}


def desk(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in_as(client, "staff", site_id=SITE)
    return client


def rows(app: Flask) -> list[tuple[Any, ...]]:
    return [
        tuple(r)
        for r in app.extensions["immunize_reads"].store.query(
            "SELECT actor, role, site_id, kind, digest, found FROM web_staff_lookups ORDER BY rowid"
        )
    ]


def test_each_lookup_by_certificate_is_logged_with_a_keyed_digest_of_its_uci(world: dict[str, Any]) -> None:
    app, pid, uci, hc1 = world["app"], str(world["holder"].person_id), world["uci"], world["hc1"]
    client = desk(app)
    picture = client.post(
        "/desk/find",
        data={"picture": (io.BytesIO(world["png"]), "qr.png")},
        content_type="multipart/form-data",
    )
    assert picture.status_code == 302
    assert picture.headers["Location"].endswith(f"/desk/people/{pid}")
    assert client.post("/desk/find", data={"hc1": hc1}).status_code == 302
    assert client.post("/api/v1/desk/find", json={"hc1": hc1}).get_json() == {"id": pid}
    forged = hc1[:-6] + ("A" if hc1[-6] != "A" else "B") + hc1[-5:]
    assert client.post("/desk/find", data={"hc1": forged}).status_code == 404

    logged = rows(app)
    assert [(r[1], r[2], r[3], r[5]) for r in logged] == [
        ("staff", SITE, "certificate", 1),
        ("staff", SITE, "certificate", 1),
        ("staff", SITE, "certificate", 1),
        ("staff", SITE, "certificate", 0),
    ]
    assert logged[0][4] == logged[1][4] == logged[2][4]  # one certificate, one digest (picture or text)
    assert len(logged[0][4]) == 64
    uci_core = uci.upper().removeprefix("URN:UVCI:")
    for row in logged:
        assert all(uci_core not in str(v) and hc1[4:40] not in str(v) for v in row)

    # The auditor types the UCI (with or without its prefix) and sees who looked it up.
    auditor = app.test_client()
    sign_in_as(auditor, "auditor")
    for typed in (uci, uci_core.lower()):
        page = auditor.post("/audit/reads", data={"number": typed}, headers={"Accept-Language": "en"})
        assert page.status_code == 200
        assert page.get_data(as_text=True).count("<td>Certificate QR</td>") == 3
    vi = auditor.post("/audit/reads", data={"number": uci}, headers={"Accept-Language": "vi"})
    assert vi.get_data(as_text=True).count("<td>Mã QR chứng nhận</td>") == 3
    assert uci_core not in auditor.get("/audit/reads").get_data(as_text=True)


def test_certificate_lookups_share_the_staff_accounts_budget(world: dict[str, Any]) -> None:
    app, hc1 = world["app"], world["hc1"]
    client = desk(app)
    assert client.post("/desk/find", data={"national_id": "001099999999"}).status_code == 404
    statuses = [client.post("/desk/find", data={"hc1": hc1}).status_code for _ in range(4)]
    assert statuses == [302] * 4
    refused = client.post(
        "/desk/find",
        data={"picture": (io.BytesIO(world["png"]), "qr.png")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 429
    assert client.post("/api/v1/desk/find", json={"hc1": hc1}).status_code == 429
    assert len(rows(app)) == 5  # a refused lookup looked nothing up

"""Certificates through the web: issued once per record, pictures that read back, public verification,
the staff desk finding a person by their QR, and the revocation list carrying revoked UCIs only."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from keys.development import ensure_development_keys
from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.people import listed
from tests.qr_reader import QR_ONLY
from verifier import TrustList
from web.formats import show_date


@pytest.fixture  # per test, not per module: tests write to it
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("certs")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=40, seed=8)
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False)
    holder = next(r for r in listed(ledger, limit=100) if r.phone and len(r.doses) >= 1 and not r.guardian_id)
    return {"app": app, "ledger": ledger, "holder": holder, "base": base}


def citizen(world: dict[str, Any]) -> Any:
    client = world["app"].test_client()
    sign_in_as(client, "citizen", phone=world["holder"].phone)
    return client


def test_the_certificate_is_issued_once_and_its_pictures_read_back_to_the_same_hc1(
    world: dict[str, Any],
) -> None:
    client = citizen(world)
    pid = world["holder"].person_id
    first = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    again = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert first["uci"] == again["uci"]  # looking twice does not issue (and supersede) twice
    assert first["hc1"].startswith("HC1:")
    assert first["status"] in ("green", "yellow")
    png = client.get(f"/me/people/{pid}/certificate.png")
    assert png.mimetype == "image/png"
    [read] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)), formats=QR_ONLY)
    assert read.text == first["hc1"]
    svg = client.get(f"/me/people/{pid}/certificate.svg")
    assert svg.mimetype == "image/svg+xml"
    assert b"<svg" in svg.data
    page = client.get(f"/me/people/{pid}/certificate", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert first["uci"] in page
    assert ("Green" if first["status"] == "green" else "Yellow") in page


def test_the_public_verify_page_checks_pasted_text_and_uploaded_pictures(world: dict[str, Any]) -> None:
    client = citizen(world)
    pid = world["holder"].person_id
    hc1 = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()["hc1"]
    png = client.get(f"/me/people/{pid}/certificate.png").data
    public = world["app"].test_client()
    pasted = public.post("/verify", data={"hc1": hc1}, headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Valid certificate" in pasted
    assert show_date(world["holder"].date_of_birth, "en") in pasted  # 2 Mar 1985 on an English page
    uploaded = public.post(
        "/verify",
        data={"picture": (io.BytesIO(png), "qr.png")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    ).get_data(as_text=True)
    assert "Valid certificate" in uploaded
    forged = hc1[:-6] + ("A" if hc1[-6] != "A" else "B") + hc1[-5:]
    verdict = public.post("/api/v1/verify", json={"hc1": forged}).get_json()
    assert verdict["valid"] is False
    assert verdict["reason"] in ("signature", "base45", "compression", "cbor", "cose")
    not_a_picture = public.post(
        "/verify",
        data={"picture": (io.BytesIO(b"not an image"), "x.png")},
        content_type="multipart/form-data",
        headers={"Accept-Language": "en"},
    )
    assert not_a_picture.status_code == 400
    assert "That picture cannot be read" in not_a_picture.get_data(as_text=True)


def test_staff_find_a_person_by_scanning_their_qr_picture(world: dict[str, Any]) -> None:
    from projections.registry import catch_up_views

    app: Flask = world["app"]
    pid = world["holder"].person_id
    asker = citizen(world)
    asker.post(f"/me/people/{pid}/certificate")  # issued by an explicit action (issue 12, item 11)
    png = asker.get(f"/me/people/{pid}/certificate.png").data
    catch_up_views(world["ledger"], app.extensions["immunize"].platform.views)
    desk = app.test_client()
    sign_in_as(desk, "staff", site_id=str(UUID(int=1)))
    found = desk.post(
        "/desk/find", data={"picture": (io.BytesIO(png), "qr.png")}, content_type="multipart/form-data"
    )
    assert found.status_code == 302
    assert found.headers["Location"].endswith(f"/desk/people/{pid}")


def test_a_new_dose_supersedes_the_certificate_and_the_old_one_stays_valid(world: dict[str, Any]) -> None:
    app: Flask = world["app"]
    ledger: Ledger = world["ledger"]
    person = next(r for r in listed(ledger, limit=100) if r.phone and len(r.doses) == 1 and not r.guardian_id)
    client = world["app"].test_client()
    sign_in_as(client, "citizen", phone=person.phone)
    old = client.post(f"/api/v1/me/people/{person.person_id}/certificate").get_json()
    site = person.doses[0].site_id
    today = ledger.today()
    lot = ledger.receive_lot(
        product=person.doses[0].product,
        lot_number="SECOND-1",
        expiry=today + timedelta(days=90),
        site_id=site,
        quantity=10,
        actor=Actor("t", LedgerRole.SYSTEM),
        idempotency_key="second-lot",
    )
    ledger.record_dose(
        person_id=person.person_id,
        dose_number=2,
        product=person.doses[0].product,
        lot_id=lot,
        administered_on=today,
        site_id=site,
        actor=Actor("t", LedgerRole.SYSTEM),
        idempotency_key="second-dose",
    )
    new = client.post(f"/api/v1/me/people/{person.person_id}/certificate").get_json()
    assert new["uci"] != old["uci"]
    revocation = app.test_client().get("/revocation-list")
    assert revocation.status_code == 200
    from keys.lists import uci_hash

    assert uci_hash(old["uci"]) not in revocation.data  # booster policy: a superseded certificate is true
    assert uci_hash(new["uci"]) not in revocation.data
    from services.trust import withdrawn_ucis

    revoked = withdrawn_ucis(app.extensions["immunize"].platform.backend)  # the certificate index view
    assert old["uci"] not in revoked
    assert new["uci"] not in revoked
    public = app.test_client()
    assert public.post("/api/v1/verify", json={"hc1": old["hc1"]}).get_json()["valid"] is True
    assert public.post("/api/v1/verify", json={"hc1": new["hc1"]}).get_json()["valid"] is True
    # The health book says a newer certificate exists and the older one still works.
    book = client.get(f"/me/people/{person.person_id}").get_data(as_text=True)
    assert "Mũi 1/2" in book
    assert "vẫn còn hiệu lực" in book
    assert "Đã có chứng nhận mới hơn sau mũi tiêm tiếp theo" in book
    # A revocation (wrong data, a mistake) is shown with its reason.
    from ledger.certificates import revoke_current_certificate

    revoke_current_certificate(
        ledger, person.person_id, reason="cấp nhầm lô vắc xin", actor=Actor("t", LedgerRole.ADMIN)
    )
    book = client.get(f"/me/people/{person.person_id}").get_data(as_text=True)
    assert "đã thu hồi" in book
    assert "Lý do: cấp nhầm lô vắc xin" in book
    assert public.post("/api/v1/verify", json={"hc1": new["hc1"]}).get_json()["reason"] == "revoked"


def test_the_trust_list_and_anchor_downloads_verify_the_certificates(
    world: dict[str, Any], tmp_path: Path
) -> None:
    public = world["app"].test_client()
    trust_list = tmp_path / "trust-list.cbor"
    anchor = tmp_path / "csca.pem"
    trust_list.write_bytes(public.get("/trust-list").data)
    anchor.write_bytes(public.get("/trust-anchor").data)
    trust = TrustList.load(trust_list, anchor=anchor.read_bytes())
    from verifier import verify

    hc1 = citizen(world).post(f"/api/v1/me/people/{world['holder'].person_id}/certificate").get_json()["hc1"]
    assert verify(hc1, trust, now=datetime.now(UTC)).dcc["dob"] == world["holder"].date_of_birth


def test_the_printable_pdf_carries_the_name_status_and_a_readable_qr(world: dict[str, Any]) -> None:
    from tests.unit.credentials.pdfread import images, page_text

    client = citizen(world)
    pid = world["holder"].person_id
    cert = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    response = client.get(f"/me/people/{pid}/certificate.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="certificate.pdf"'
    text = " ".join(page_text(response.data))
    assert world["holder"].full_name.split()[0] in text
    assert cert["uci"] in text
    assert ("Xanh" if cert["status"] == "green" else "Vàng") in text
    decoded = [
        r.text for image in images(response.data) for r in zxingcpp.read_barcodes(image, formats=QR_ONLY)
    ]
    assert cert["hc1"] in decoded


def test_after_a_key_rotation_a_download_is_signed_with_the_new_key(world: dict[str, Any]) -> None:
    """A certificate signed with a retired (or revoked) key is re-issued, not served again."""
    from keys.settings import DEVELOPMENT_PASSPHRASE
    from keys.store import KeyStore
    from verifier import verify

    client = citizen(world)
    pid = world["holder"].person_id
    before = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    store = KeyStore(world["base"] / "keys")
    store.rotate(DEVELOPMENT_PASSPHRASE, datetime.now(UTC))
    after = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert after["uci"] != before["uci"]
    new_kid = store.current_signer(DEVELOPMENT_PASSPHRASE, datetime.now(UTC)).kid
    from cryptography.hazmat.primitives.serialization import Encoding

    documents = store.trusted_documents(datetime.now(UTC))
    trust = TrustList.from_certificates(
        [certificate.public_bytes(Encoding.DER) for _, certificate in documents]
    )
    assert verify(after["hc1"], trust, now=datetime.now(UTC)).kid == new_kid


def test_a_certificate_download_has_a_strong_private_tag_and_answers_304(world: dict[str, Any]) -> None:
    client = citizen(world)
    pid = world["holder"].person_id
    client.post(f"/api/v1/me/people/{pid}/certificate")
    first = client.get(f"/me/people/{pid}/certificate.png")
    tag = first.headers["ETag"]
    assert not tag.startswith("W/")
    assert first.headers["Cache-Control"].startswith("private, max-age=86400")
    again = client.get(f"/me/people/{pid}/certificate.png", headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = client.get(f"/me/people/{pid}/certificate.svg", headers={"If-None-Match": tag})
    assert other.status_code == 200  # another format, other bytes, another tag
    stranger = world["app"].test_client()
    assert stranger.get(f"/me/people/{pid}/certificate.png", headers={"If-None-Match": tag}).status_code in (
        302,
        401,
        403,
    )

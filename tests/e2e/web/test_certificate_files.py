"""Certificates rendered once at issue time and served as stored files (issue 14, part 2): downloads in
fresh app instances on the same SQLite store neither sign nor draw; erasure and revocation still block."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from flask import Flask

import services.certificates as service
from keys.development import ensure_development_keys
from keys.signer import DocumentSigner
from ledger.application import Ledger
from ledger.demo import seed_demo
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services import certificate_files
from tests.e2e.web.conftest import make_app, sign_in_as

FORMATS = ("png", "svg", "pdf")


@pytest.fixture
def store(tmp_path: Path) -> dict[str, Any]:
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    path = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=20, seed=3)
    holder = next(
        r for r in ledger.list_people(limit=100) if r.phone and len(r.doses) >= 1 and not r.guardian_id
    )
    return {"base": tmp_path, "url": f"sqlite:///{path}", "ledger": ledger, "holder": holder}


def fresh_app(store: dict[str, Any]) -> Flask:
    """A new app (as a new worker process would have) on its own Ledger object over the same file."""
    ledger = Ledger(store["url"], key_dir=store["base"] / "lk")
    return make_app(store["base"], ledger, WTF_CSRF_ENABLED=False)


def citizen(app: Flask, phone: str) -> Any:
    client = app.test_client()
    sign_in_as(client, "citizen", phone=phone)
    return client


class Counter:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: dict[str, int] = {}
        for name in ("qr_matrix", "png_bytes", "svg_text", "certificate_pdf"):
            monkeypatch.setattr(service, name, self.counting(name, getattr(service, name)))
        monkeypatch.setattr(DocumentSigner, "sign", self.counting("sign", DocumentSigner.sign))

    def counting(self, name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return real(*args, **kwargs)

        return wrapper


def test_issuing_renders_once_and_downloads_in_fresh_apps_neither_sign_nor_draw(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = Counter(monkeypatch)
    holder = store["holder"]
    pid = holder.person_id
    issuer = citizen(fresh_app(store), holder.phone)
    cert = issuer.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert counter.calls["sign"] == 1
    assert counter.calls["png_bytes"] == counter.calls["svg_text"] == counter.calls["certificate_pdf"] == 1
    issued_calls = dict(counter.calls)

    seen: dict[str, list[bytes]] = {fmt: [] for fmt in FORMATS}
    for _ in range(2):  # two fresh app instances: nothing held in a process cache
        client = citizen(fresh_app(store), holder.phone)
        for fmt in FORMATS:
            response = client.get(f"/me/people/{pid}/certificate.{fmt}")
            assert response.status_code == 200
            tag = response.headers["ETag"].strip('"')
            assert hashlib.sha256(response.data).hexdigest().startswith(tag)  # the content hash
            assert response.headers["Cache-Control"].startswith("private, max-age=")
            again = client.get(f"/me/people/{pid}/certificate.{fmt}", headers={"If-None-Match": f'"{tag}"'})
            assert again.status_code == 304
            seen[fmt].append(response.data)
    assert counter.calls == issued_calls  # no signing, no drawing on any download
    for fmt in FORMATS:
        assert seen[fmt][0] == seen[fmt][1]
    stored = certificate_files.load(store["ledger"], cert["uci"], "hc1")
    assert stored is not None
    assert stored.data.decode() == cert["hc1"]


def test_stored_files_are_sealed_at_rest(store: dict[str, Any]) -> None:
    holder = store["holder"]
    client = citizen(fresh_app(store), holder.phone)
    client.post(f"/api/v1/me/people/{holder.person_id}/certificate")
    raw = (store["base"] / "ledger.db").read_bytes()
    surname = holder.full_name.split()[0].encode("utf-8")
    assert b"%PDF" not in raw
    assert b"<svg" not in raw
    assert b"\x89PNG" not in raw
    assert surname not in raw


def test_an_erased_person_gets_no_download_and_their_files_are_shredded(store: dict[str, Any]) -> None:
    holder = store["holder"]
    pid = holder.person_id
    app = fresh_app(store)
    client = citizen(app, holder.phone)
    cert = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert client.get(f"/me/people/{pid}/certificate.png").status_code == 200
    ledger: Ledger = store["ledger"]
    ledger.erase_person(
        person_id=UUID(str(pid)),
        reason="test erasure",
        actor=Actor("officer", LedgerRole.ADMIN),
        idempotency_key="erase-1",
    )
    for fmt in FORMATS:
        assert fresh_app(store).test_client().get(f"/me/people/{pid}/certificate.{fmt}").status_code != 200
        assert (
            citizen(fresh_app(store), holder.phone).get(f"/me/people/{pid}/certificate.{fmt}").status_code
            != 200
        )
        assert (
            certificate_files.load(Ledger(store["url"], key_dir=store["base"] / "lk"), cert["uci"], fmt)
            is None
        )


def test_a_revoked_certificate_is_not_served(store: dict[str, Any]) -> None:
    holder = store["holder"]
    pid = holder.person_id
    client = citizen(fresh_app(store), holder.phone)
    client.post(f"/api/v1/me/people/{pid}/certificate")
    assert client.get(f"/me/people/{pid}/certificate.pdf").status_code == 200
    service.revoke(
        store["ledger"],
        UUID(str(pid)),
        reason="issued by mistake",
        actor=Actor("admin", LedgerRole.ADMIN),
        idempotency_key="revoke-1",
    )
    later = citizen(fresh_app(store), holder.phone)
    for fmt in FORMATS:
        assert later.get(f"/me/people/{pid}/certificate.{fmt}").status_code != 200

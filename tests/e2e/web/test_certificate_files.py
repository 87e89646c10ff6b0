"""Certificates rendered once off the request and served as stored files (issue 14, part 2).

A download is one indexed read of the stored rendering and its holder: in fresh app instances on the same
SQLite store it neither signs, draws, checks a signature, loads a key file nor reads a ledger aggregate.
The issuing request draws nothing: the renderer does (here run as `immunize certificate render` would).
Erasure, revocation and corrections still block; a citizen gets only their household's certificates."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Repository
from flask import Flask

import credentials.selfcheck
import services.certificates as service
from keys.development import ensure_development_keys
from keys.signer import DocumentSigner
from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services import certificate_files, certificate_render
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.people import listed

FORMATS = ("png", "svg", "pdf")
DRAWING = ("qr_matrix", "png_bytes", "svg_text", "certificate_pdf")


@pytest.fixture
def store(tmp_path: Path) -> dict[str, Any]:
    ensure_development_keys(tmp_path / "keys", datetime.now(UTC), warn=lambda line: None)
    path = tmp_path / "ledger.db"
    ledger = Ledger(f"sqlite:///{path}", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=20, seed=3)
    adults = [r for r in listed(ledger, limit=100) if r.phone and len(r.doses) >= 1 and not r.guardian_id]
    holder, other = adults[0], next(r for r in adults if r.phone != adults[0].phone)
    people = listed(ledger, limit=100)
    dependant = next(r for r in people if r.guardian_id and r.doses)
    guardian = next(r for r in people if r.person_id == dependant.guardian_id)
    return {
        "base": tmp_path,
        "url": f"sqlite:///{path}",
        "ledger": ledger,
        "holder": holder,
        "other": other,
        "dependant": dependant,
        "guardian": guardian,
    }


def fresh_app(store: dict[str, Any], **extra: Any) -> Flask:
    """A new app (as a new worker process would have) on its own Ledger object over the same file."""
    ledger = Ledger(store["url"], key_dir=store["base"] / "lk")
    return make_app(store["base"], ledger, WTF_CSRF_ENABLED=False, **extra)


def citizen(app: Flask, phone: str) -> Any:
    client = app.test_client()
    sign_in_as(client, "citizen", phone=phone)
    return client


def render_queued(store: dict[str, Any]) -> tuple[int, int]:
    """What `immunize certificate render` does: catch the index up, render every queued certificate."""
    ledger = Ledger(store["url"], key_dir=store["base"] / "lk")
    certificate_render.catch_up_index(ledger)
    return certificate_render.render_pending(
        ledger,
        certificate_render.DocumentCertificates(store["base"] / "keys"),
        lambda hc1, signed, record: service.render_files(hc1, signed, record),
    )


class Counter:
    """Counts signing, drawing, signature checks, key-file loads and ledger aggregate reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: dict[str, int] = {}
        for name in DRAWING:
            monkeypatch.setattr(service, name, self.counting(name, getattr(service, name)))
        monkeypatch.setattr(DocumentSigner, "sign", self.counting("sign", DocumentSigner.sign))
        monkeypatch.setattr(Repository, "get", self.counting("aggregate read", Repository.get))
        monkeypatch.setattr(service, "verify", self.counting("verify", service.verify))
        monkeypatch.setattr(
            credentials.selfcheck, "verify", self.counting("read back", credentials.selfcheck.verify)
        )
        monkeypatch.setattr(
            service, "load_current_signer", self.counting("signer", service.load_current_signer)
        )

    def counting(self, name: str, real: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return real(*args, **kwargs)

        return wrapper

    def drawn(self) -> dict[str, int]:
        return {name: self.calls.get(name, 0) for name in DRAWING}


def test_issuing_draws_nothing_the_renderer_draws_once_and_downloads_are_pure_reads(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = Counter(monkeypatch)
    holder = store["holder"]
    pid = holder.person_id
    issuer = citizen(fresh_app(store), holder.phone)
    cert = issuer.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert counter.calls["sign"] == 1
    assert counter.drawn() == dict.fromkeys(DRAWING, 0)  # the request drew nothing
    assert render_queued(store) == (1, 0)
    assert counter.drawn() == {"qr_matrix": 1, "png_bytes": 1, "svg_text": 1, "certificate_pdf": 1}
    assert render_queued(store) == (0, 0)  # rendered once: nothing queued any more
    before = dict(counter.calls)
    assert before["aggregate read"] > 0
    assert before["read back"] > 0
    assert before["signer"] > 0

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
    # No signing, drawing, signature check, key file or ledger aggregate read on any download.
    assert counter.calls == before
    for fmt in FORMATS:
        assert seen[fmt][0] == seen[fmt][1]
    stored = certificate_files.load(store["ledger"], cert["uci"], "hc1")
    assert stored is not None
    assert stored.data.decode() == cert["hc1"]


def test_a_citizen_gets_only_their_household_certificates(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    holder, other = store["holder"], store["other"]
    pid = holder.person_id
    citizen(fresh_app(store), holder.phone).post(f"/api/v1/me/people/{pid}/certificate")
    render_queued(store)
    counter = Counter(monkeypatch)
    app = fresh_app(store)
    for fmt in FORMATS:
        assert citizen(app, other.phone).get(f"/me/people/{pid}/certificate.{fmt}").status_code == 404
        anonymous = app.test_client().get(f"/me/people/{pid}/certificate.{fmt}")
        assert anonymous.status_code in (302, 401, 403)
        staff = app.test_client()
        sign_in_as(staff, "staff", site_id="x")
        assert staff.get(f"/me/people/{pid}/certificate.{fmt}").status_code in (302, 401, 403)
    assert counter.drawn() == dict.fromkeys(DRAWING, 0)
    assert counter.calls.get("sign", 0) == 0


def test_a_guardian_downloads_their_dependants_certificate_and_no_one_else_does(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    dependant, guardian = store["dependant"], store["guardian"]
    pid = dependant.person_id
    stranger = next(p for p in (store["holder"], store["other"]) if p.phone != guardian.phone)
    citizen(fresh_app(store), guardian.phone).post(f"/api/v1/me/people/{pid}/certificate")
    render_queued(store)
    counter = Counter(monkeypatch)
    app = fresh_app(store)
    response = citizen(app, guardian.phone).get(f"/me/people/{pid}/certificate.png")
    assert response.status_code == 200
    assert counter.calls == {}  # the household's holder, read from the stored rendering: a pure read
    assert citizen(app, stranger.phone).get(f"/me/people/{pid}/certificate.png").status_code == 404


def test_a_download_before_the_renderer_draws_once_for_concurrent_requests(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = store["holder"]
    pid = holder.person_id
    citizen(fresh_app(store), holder.phone).post(f"/api/v1/me/people/{pid}/certificate")
    counter = Counter(monkeypatch)
    app = fresh_app(store, ADMISSION=False)  # admission (its own tests) could shed some of the 4 at once
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def download() -> None:
        response = citizen(app, holder.phone).get(f"/me/people/{pid}/certificate.png")
        with lock:
            results.append((response.status_code, response.data))

    threads = [threading.Thread(target=download) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [200] * 4
    assert len({data for _, data in results}) == 1
    assert counter.drawn()["png_bytes"] == 1  # single flight: one request drew, the others read its file
    assert render_queued(store) == (0, 0)  # and the renderer finds it done


def test_a_renderer_killed_midway_stores_nothing_and_the_next_run_renders_it(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    holder = store["holder"]
    pid = holder.person_id
    cert = citizen(fresh_app(store), holder.phone).post(f"/api/v1/me/people/{pid}/certificate").get_json()
    real = certificate_files._insert_files

    def killed(*args: Any) -> None:
        real(*args)  # the rows are written in the transaction...
        raise SystemExit("killed")  # ...and the process dies before it commits

    monkeypatch.setattr(certificate_files, "_insert_files", killed)
    with pytest.raises(SystemExit):
        render_queued(store)
    monkeypatch.setattr(certificate_files, "_insert_files", real)
    ledger = Ledger(store["url"], key_dir=store["base"] / "lk")
    assert all(certificate_files.load(ledger, cert["uci"], fmt) is None for fmt in ("hc1", *FORMATS))
    assert [e.uci for e in certificate_files.pending(ledger, 10)] == [cert["uci"]]  # still queued
    assert render_queued(store) == (1, 0)
    assert all(certificate_files.load(ledger, cert["uci"], fmt) is not None for fmt in ("hc1", *FORMATS))


def test_certificates_issued_outside_the_web_are_found_in_the_log_and_rendered(
    store: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from keys.settings import DEVELOPMENT_PASSPHRASE
    from keys.store import KeyStore
    from ledger.certificates import issue_certificate

    holder = store["holder"]
    pid = UUID(str(holder.person_id))
    signer = KeyStore(store["base"] / "keys").current_signer(DEVELOPMENT_PASSPHRASE, datetime.now(UTC))
    issued = issue_certificate(store["ledger"], pid, signer, idempotency_key="outside")  # no index mark
    assert render_queued(store) == (1, 0)  # the renderer replayed Certificate.Issued from the log
    counter = Counter(monkeypatch)
    response = citizen(fresh_app(store), holder.phone).get(f"/me/people/{pid}/certificate.png")
    assert response.status_code == 200
    assert counter.calls == {}
    stored = certificate_files.load(store["ledger"], issued.uci, "png")
    assert stored is not None
    assert stored.data == response.data


def test_a_corrected_name_stops_the_old_file_until_a_new_certificate_is_asked_for(
    store: dict[str, Any],
) -> None:
    holder = store["holder"]
    pid = holder.person_id
    client = citizen(fresh_app(store), holder.phone)
    first = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    render_queued(store)
    assert client.get(f"/me/people/{pid}/certificate.pdf").status_code == 200
    store["ledger"].correct_name(
        person_id=UUID(str(pid)),
        full_name="Nguyễn Văn Sửa",
        reason="typo on the card",
        actor=Actor("officer", LedgerRole.ADMIN),
        idempotency_key="fix-name",
    )
    render_queued(store)  # the renderer sees the correction: the old certificate is stale
    assert client.get(f"/me/people/{pid}/certificate.pdf").status_code != 200
    second = client.post(f"/api/v1/me/people/{pid}/certificate").get_json()
    assert second["uci"] != first["uci"]
    render_queued(store)
    response = client.get(f"/me/people/{pid}/certificate.pdf")
    assert response.status_code == 200
    stored = certificate_files.load(store["ledger"], second["uci"], "pdf")
    assert stored is not None
    assert stored.data == response.data


def test_stored_files_are_sealed_at_rest(store: dict[str, Any]) -> None:
    holder = store["holder"]
    client = citizen(fresh_app(store), holder.phone)
    client.post(f"/api/v1/me/people/{holder.person_id}/certificate")
    assert render_queued(store) == (1, 0)
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
    render_queued(store)  # the renderer replays the erasure: the rows are gone, not only unreadable
    ledger = Ledger(store["url"], key_dir=store["base"] / "lk")
    assert certificate_files.download(ledger, UUID(str(pid)), "png") is None
    assert not certificate_files.complete(ledger, cert["uci"], ("png",))


def test_a_revoked_certificate_is_not_served(store: dict[str, Any]) -> None:
    holder = store["holder"]
    pid = holder.person_id
    client = citizen(fresh_app(store), holder.phone)
    client.post(f"/api/v1/me/people/{pid}/certificate")
    render_queued(store)
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
    render_queued(store)  # and once the renderer has replayed the revocation too
    for fmt in FORMATS:
        assert later.get(f"/me/people/{pid}/certificate.{fmt}").status_code != 200


def test_a_certificate_signed_with_a_revoked_key_is_not_served(store: dict[str, Any]) -> None:
    from keys.settings import DEVELOPMENT_PASSPHRASE
    from keys.store import KeyStore

    holder = store["holder"]
    pid = holder.person_id
    client = citizen(fresh_app(store), holder.phone)
    client.post(f"/api/v1/me/people/{pid}/certificate")
    render_queued(store)
    assert client.get(f"/me/people/{pid}/certificate.png").status_code == 200
    keys = KeyStore(store["base"] / "keys")
    now = datetime.now(UTC)
    old = keys.current_signer(DEVELOPMENT_PASSPHRASE, now).kid
    keys.rotate(DEVELOPMENT_PASSPHRASE, now)
    assert client.get(f"/me/people/{pid}/certificate.png").status_code == 200  # rotated: still trusted
    keys.revoke(old, "compromise", now)
    for fmt in FORMATS:  # the stored files are not handed out; the citizen asks for a new certificate
        assert (
            citizen(fresh_app(store), holder.phone).get(f"/me/people/{pid}/certificate.{fmt}").status_code
            != 200
        )

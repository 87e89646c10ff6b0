"""The public transparency log over HTTP, and the citizen's per-dose proof download (real SQLite store)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

from cli.main import _register, immunize
from ledger.application import Ledger
from ledger.merkle import verify_inclusion
from projections.audit import AuditKey, Database, make_checkpoints
from projections.audit.note import NoteVerifier, open_note
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.integration.projections.rfc9162 import consistency_roots, inclusion_root
from tests.people import listed

NOW = datetime(2022, 3, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, AuditKey, Path]:
    base = tmp_path_factory.mktemp("transparency")
    url = f"sqlite:///{base / 'ledger.db'}"
    ledger = Ledger(url, key_dir=base / "lk")
    seed_demo(ledger, people=40, seed=5)
    key = AuditKey.generate()
    with Database(ledger.store) as db:
        make_checkpoints(db, key, NOW, interval=100)
    app = make_app(base, ledger, IMMUNIZE_DATABASE_URL=url, WTF_CSRF_ENABLED=False)
    return app, key, base


def _verifier(note: str, key: AuditKey) -> list[NoteVerifier]:
    return [NoteVerifier(note.split("\n", 1)[0], key.public)]


def test_the_checkpoint_and_proofs_are_public_cacheable_and_verify(
    logged: tuple[Flask, AuditKey, Path],
) -> None:
    app, key, _ = logged
    client = app.test_client()
    sign_in_as(client, "anonymous")
    response = client.get("/transparency/checkpoint")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert "public" in response.headers["Cache-Control"]
    note = response.get_data(as_text=True)
    checkpoint = open_note(note, _verifier(note, key))

    proof = client.get("/transparency/proof/inclusion?position=3")
    assert proof.status_code == 200
    assert "public" in proof.headers["Cache-Control"]
    data = proof.get_json()
    assert data["tree_size"] == checkpoint.tree_size
    path = [bytes.fromhex(h) for h in data["inclusion_path"]]
    leaf = bytes.fromhex(data["leaf_hash"])
    assert inclusion_root(data["leaf_index"], data["tree_size"], leaf, path) == checkpoint.root

    pinned = client.get("/transparency/proof/inclusion?position=3&tree_size=100")
    assert pinned.status_code == 200
    assert "immutable" in pinned.headers["Cache-Control"]
    assert pinned.get_json()["tree_size"] == 100

    consistency = client.get(f"/transparency/proof/consistency?old=100&new={checkpoint.tree_size}")
    assert consistency.status_code == 200
    body = consistency.get_json()
    old_root = bytes.fromhex(body["old_root"])
    implied = consistency_roots(
        100, checkpoint.tree_size, old_root, [bytes.fromhex(h) for h in body["consistency_path"]]
    )
    assert implied == (old_root, checkpoint.root)
    # Hashes and tree heads only: no name, national ID or phone anywhere in public output.
    ledger: Ledger = app.extensions["immunize"].platform.ledger
    text = note + proof.get_data(as_text=True) + consistency.get_data(as_text=True)
    for record in listed(ledger, limit=40):
        assert record.full_name not in text
        assert str(record.national_id) not in text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("/transparency/proof/inclusion", 400, "'position' is missing"),
        ("/transparency/proof/inclusion?position=abc", 400, "must be a whole number"),
        ("/transparency/proof/inclusion?position=-4", 400, "must be a whole number"),
        ("/transparency/proof/inclusion?position=99999999", 404, "no event at position 99999999"),
        ("/transparency/proof/inclusion?position=3&tree_size=7", 404, "no signed checkpoint of tree size 7"),
        ("/transparency/proof/consistency?old=9&new=8", 400, "larger than the new size"),
        ("/transparency/proof/consistency?old=1&new=99999999", 404, "beyond the tree"),
        ("/transparency/proof/consistency?old=1", 400, "'new' is missing"),
        ("/transparency/proof/inclusion?position=" + "9" * 40, 400, "must be a whole number"),
    ],
)
def test_bad_requests_get_one_sentence_and_are_not_cached(
    logged: tuple[Flask, AuditKey, Path], query: str, status: int, message: str
) -> None:
    app, _, _ = logged
    response = app.test_client().get(query)
    assert response.status_code == status
    assert message in response.get_json()["error"]
    assert response.headers["Cache-Control"] == "no-store"


def _holder(ledger: Ledger) -> Any:
    return next(r for r in listed(ledger, limit=100) if r.phone and r.doses and not r.guardian_id)


def test_a_citizen_downloads_the_proof_of_a_dose_and_checks_it_offline(
    logged: tuple[Flask, AuditKey, Path], tmp_path: Path
) -> None:
    app, key, _ = logged
    ledger: Ledger = app.extensions["immunize"].platform.ledger
    holder = _holder(ledger)
    client = app.test_client()
    sign_in_as(client, "citizen", phone=holder.phone)
    page = client.get(f"/me/people/{holder.person_id}", headers={"Accept-Language": "en"})
    assert "Proof that this record is in the public log" in page.get_data(as_text=True)
    dose = holder.doses[0]
    download = client.get(f"/me/people/{holder.person_id}/doses/{dose.dose_id}/proof.json")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    proof = json.loads(download.get_data())
    checkpoint = open_note(proof["checkpoint"], _verifier(proof["checkpoint"], key))
    verify_inclusion(
        proof["leaf_index"],
        proof["tree_size"],
        bytes.fromhex(proof["leaf_hash"]),
        [bytes.fromhex(h) for h in proof["inclusion_path"]],
        checkpoint.root,
    )
    # The leaf is the dose event's own: recompute it from the stored row at that position.
    with Database(ledger.store) as db:
        (row,) = db.read_events(proof["position"] - 1, 1)
    assert str(holder.person_id) == row.originator_id
    assert "DoseAdministered" in row.topic
    # Offline, with the published key only.
    path = tmp_path / "proof.json"
    path.write_bytes(download.get_data())
    pem = tmp_path / "audit.pem"
    pem.write_text(key.public.pem)
    _register()
    checked = CliRunner().invoke(
        immunize, ["audit", "check-proof", str(path), "--public-key", str(pem)], env={}
    )
    assert checked.exit_code == 0, checked.output
    # Someone else's record: not found, no hint it exists.
    other = next(r for r in listed(ledger, limit=100) if r.doses and r.person_id != holder.person_id)
    assert (
        client.get(f"/me/people/{other.person_id}/doses/{other.doses[0].dose_id}/proof.json").status_code
        == 404
    )

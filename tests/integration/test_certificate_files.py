"""The rendered-certificate store on every store (memory, SQLite, PostgreSQL): sealed, content-addressed,
seen by another Ledger on the same database, shredded by erasure."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ledger.application import Ledger
from ledger.values import Actor, Role
from services import certificate_files
from services.demo_population import seed_demo
from tests.people import listed


def test_files_round_trip_and_are_shredded_by_erasure(database_url: str, tmp_path: Path) -> None:
    ledger = Ledger(database_url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=3, seed=2)
    person = listed(ledger, limit=10)[0].person_id
    files = {"hc1": b"HC1:example", "png": b"\x89PNG fake picture"}
    hashes = certificate_files.store(ledger, person, "URN:UVCI:01:VN:TEST", files)
    assert hashes["png"] == hashlib.sha256(files["png"]).hexdigest()
    readers = (
        [ledger] if database_url == "memory://" else [ledger, Ledger(database_url, key_dir=tmp_path / "lk")]
    )
    for reader in readers:
        found = certificate_files.load(reader, "URN:UVCI:01:VN:TEST", "png")
        assert found is not None
        assert found.data == files["png"]
        assert found.sha256 == hashes["png"]
        assert certificate_files.complete(reader, "URN:UVCI:01:VN:TEST", ("hc1", "png"))
        assert not certificate_files.complete(reader, "URN:UVCI:01:VN:TEST", ("hc1", "png", "pdf"))
    certificate_files.store(ledger, person, "URN:UVCI:01:VN:TEST", files)  # a repeat is harmless
    ledger.erase_person(
        person_id=person, reason="test", actor=Actor("admin", Role.ADMIN), idempotency_key="erase-files"
    )
    assert certificate_files.load(ledger, "URN:UVCI:01:VN:TEST", "png") is None
    for reader in readers[1:]:
        reader.close()
    ledger.close()

"""Benchmark of `immunize certificate reissue` per core, beside a bare ES256 signature measured in the same run.

Seeds a SQLite ledger in a temporary folder, issues a certificate to everyone with a dose, rotates the signing
key, then times `services.certificates.reissue` person by person in this one process (CPU time): a ledger read,
a new signature, the ledger write, and the rendered files stored. Two rows:
- HC1 + PNG: the re-issue with only the HC1 and the PNG rendered (the national figure the issue asks for);
- HC1 + PNG + SVG + PDF: what `reissue --all` does (all four files stored).
Prints each rate and the hours for 75 million certificates on 2 cores (rate x 2, no other load).

Run: .venv/bin/python benchmarks/bench_reissue.py [--people N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import services.certificates as service
from keys.development import ensure_development_keys
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.store import KeyStore
from ledger.application import Ledger
from ledger.certificates import issue_certificate
from ledger.demo import seed_demo
from projections.store import open_view_store
from services.people import list_people

NATIONAL = 75_000_000


def run(ledger: Ledger, store: KeyStore, people: list[UUID], formats: tuple[str, ...]) -> float:
    """Re-issues per CPU second after a fresh key rotation, rendering only `formats`."""
    now = datetime.now(UTC)
    store.rotate(DEVELOPMENT_PASSPHRASE, now)
    signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
    real = service.render_files

    def only(issued: service.IssueResult, check: object = None) -> dict[str, bytes]:
        matrix = service.qr_matrix(issued.hc1)
        files = {"hc1": issued.hc1.encode("ascii"), "png": service.png_bytes(matrix, 4)}
        if "svg" in formats:
            files["svg"] = service.svg_text(matrix, 4).encode("utf-8")
        if "pdf" in formats:
            files["pdf"] = service.certificate_pdf(issued.signed, issued.record)
        return files

    service.render_files = only  # type: ignore[assignment]
    try:
        start = time.process_time()
        done = sum(
            service.reissue(ledger, pid, signer, now=now, validity=timedelta(days=365)) == "reissued"
            for pid in people
        )
        spent = time.process_time() - start
    finally:
        service.render_files = real  # type: ignore[assignment]
    return done / spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", type=int, default=150, help="people seeded (those with a dose are re-issued)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        now = datetime.now(UTC)
        ensure_development_keys(base / "keys", now, warn=lambda line: None)
        store = KeyStore(base / "keys")
        ledger = Ledger(f"sqlite:///{base / 'ledger.db'}", key_dir=base / "lk")
        seed_demo(ledger, people=args.people, seed=1)
        signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
        people = [
            r.person_id
            for r in list_people(ledger, open_view_store(ledger.store), limit=args.people * 2)
            if r.doses
        ]
        for pid in people:
            issue_certificate(ledger, pid, signer, now=now, idempotency_key=f"bench-{pid}")
        key = ec.generate_private_key(ec.SECP256R1())
        start = time.process_time()
        for _ in range(500):
            key.sign(b"x" * 300, ec.ECDSA(hashes.SHA256()))
        bare = 500 / (time.process_time() - start)
        print(f"bare ES256 sign: {bare:,.0f}/s per core (baseline)")
        for label, formats in (
            ("HC1 + PNG", ("hc1", "png")),
            ("HC1 + PNG + SVG + PDF", ("hc1", "png", "svg", "pdf")),
        ):
            rate = run(ledger, store, people, formats)
            hours = NATIONAL / (rate * 2) / 3600
            print(
                f"reissue {label}: {rate:,.0f}/s per core ({len(people)} people, ratio to bare sign "
                f"{rate / bare:.3f}) -> 75 million on 2 cores: {hours:,.1f} h"
            )
        ledger.close()


if __name__ == "__main__":
    main()

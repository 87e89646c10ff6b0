"""Benchmark of `immunize certificate reissue --all` per core, beside a bare ES256 signature measured in the same run.

Seeds a SQLite ledger in a temporary folder, issues a certificate to everyone with a dose (indexed and rendered, as
the web and the renderer leave them), rotates the signing key, then times `services.certificates.reissue` over the
rendering index's pages in this one process (CPU time): per certificate a new signature (with the issuer's own
verifier read-back), the ledger read and write, the rendered files sealed and stored, and the index marks.
Rows:
- HC1 + PNG: what `reissue --all` stores (the national figure the issue asks for; the SVG and the PDF are
  left to the renderer in the background, or a first download);
- HC1 + PNG + SVG + PDF: `reissue --all --all-formats` (all four files at once);
- credentials alone, HC1 + PNG: `credentials.issue` and the PNG with no ledger (the ceiling of this design).
Prints each rate and the hours for 75 million certificates on 2 cores (rate x 2, no other load).

Run: .venv/bin/python benchmarks/bench_reissue.py [--people N] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

import services.certificates as service
from credentials import issue
from credentials.qr import png_bytes, qr_matrix
from credentials.series import rules_fingerprint
from keys.development import ensure_development_keys
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.store import KeyStore
from ledger.application import Ledger
from ledger.certificate_records import vaccination_record
from ledger.demo import seed_demo
from projections.store import open_view_store
from services import certificate_files
from services.people import list_people

NATIONAL = 75_000_000


def bare_sign(count: int = 2000) -> float:
    key = ec.generate_private_key(ec.SECP256R1())
    start = time.process_time()
    for _ in range(count):
        key.sign(b"x" * 300, ec.ECDSA(hashes.SHA256()))
    return count / (time.process_time() - start)


def run(ledger: Ledger, store: KeyStore, formats: tuple[str, ...], profile: bool) -> tuple[float, int]:
    """Re-issues per CPU second after a fresh key rotation, storing only `formats`."""
    now = datetime.now(UTC)
    store.rotate(DEVELOPMENT_PASSPHRASE, now)
    signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
    rules = rules_fingerprint()
    profiler = cProfile.Profile() if profile else None
    start = time.process_time()
    if profiler is not None:
        profiler.enable()
    done = 0
    for page in certificate_files.current_entries(ledger, page=200):  # as `reissue --all` hands them out
        outcomes = service.reissue_batch(
            ledger, page, signer, now=now, validity=timedelta(days=365), rules=rules, formats=formats
        )
        done += outcomes["reissued"]
    spent = time.process_time() - start
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    return done / spent, done


def credentials_alone(ledger: Ledger, store: KeyStore, count: int) -> float:
    now = datetime.now(UTC)
    signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
    records = []
    for page in certificate_files.current_entries(ledger, page=500):
        records += [vaccination_record(ledger, ledger.get_person(e.person_id)) for e in page]
    records = records[:count]
    start = time.process_time()
    for record in records:
        signed = issue(record, signer, now=now)
        png_bytes(qr_matrix(signed.hc1), 4)
    return len(records) / (time.process_time() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--people", type=int, default=300, help="people seeded (those with a dose are re-issued)"
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the HC1 + PNG run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        now = datetime.now(UTC)
        ensure_development_keys(base / "keys", now, warn=lambda line: None)
        store = KeyStore(base / "keys")
        ledger = Ledger(f"sqlite:///{base / 'ledger.db'}", key_dir=base / "lk")
        seed_demo(ledger, people=args.people, seed=1)
        signer = store.current_signer(DEVELOPMENT_PASSPHRASE, now)
        views = open_view_store(ledger.store)
        for record in list_people(ledger, views, limit=args.people * 2):
            if record.doses:
                issued = service.issue_new(
                    ledger,
                    record.person_id,
                    signer,
                    now=now,
                    validity=timedelta(days=365),
                    idempotency_key=f"bench-{record.person_id}",
                )
                service.mark_issued(ledger, issued)
                service.keep_files(ledger, issued, formats=("hc1", "png"))
        bare = bare_sign()
        print(f"bare ES256 sign: {bare:,.0f}/s per core (baseline)")
        for label, formats in (
            ("HC1 + PNG (as --all runs it; SVG and PDF later)", ("hc1", "png")),
            ("--all-formats, HC1 + PNG + SVG + PDF", ("hc1", "png", "svg", "pdf")),
        ):
            rate, done = run(ledger, store, formats, args.profile and formats == ("hc1", "png"))
            hours = NATIONAL / (rate * 2) / 3600
            print(
                f"reissue {label}: {rate:,.0f}/s per core ({done} certificates, ratio to bare sign "
                f"{rate / bare:.3f}) -> 75 million on 2 cores: {hours:,.1f} h"
            )
        rate = credentials_alone(ledger, store, 300)
        print(
            f"credentials alone HC1 + PNG: {rate:,.0f}/s per core (ratio to bare sign {rate / bare:.3f}) "
            f"-> 75 million on 2 cores: {NATIONAL / (rate * 2) / 3600:,.1f} h"
        )
        views.close()
        ledger.close()


if __name__ == "__main__":
    main()

"""`reissue --all`'s unit of work on every store (memory, SQLite, PostgreSQL): a rule change that alters only a certificate's
status is found (the rules' fingerprint is stored with each certificate) and re-issued; one that alters
nothing is only recorded as checked; the index is streamed a page at a time (keyset) and resumable."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import credentials.series
import credentials.valuesets
from keys.development import ensure_development_keys
from keys.settings import DEVELOPMENT_PASSPHRASE
from keys.store import KeyStore
from ledger.application import Ledger
from services import certificate_files, certificates
from services.certificate_render import catch_up_index
from services.demo_population import seed_demo
from tests.people import listed

VALIDITY = timedelta(days=365)


@pytest.fixture
def issued(database_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    now = datetime.now(UTC)
    ensure_development_keys(tmp_path / "keys", now, warn=lambda line: None)
    signer = KeyStore(tmp_path / "keys").current_signer(DEVELOPMENT_PASSPHRASE, now)
    ledger = Ledger(database_url, key_dir=tmp_path / "lk")
    seed_demo(ledger, people=30, seed=4)
    people = [r for r in listed(ledger, limit=200) if r.doses][:6]
    for record in people:
        result = certificates.issue_new(
            ledger,
            record.person_id,
            signer,
            now=now,
            validity=VALIDITY,
            idempotency_key=f"t-{record.person_id}",
        )
        certificates.mark_issued(ledger, result)
        certificates.keep_files(ledger, result, formats=("hc1", "png"))
    yield {"ledger": ledger, "signer": signer, "now": now, "people": people}
    ledger.close()


def run(issued: dict[str, Any], rules: str) -> Counter[str]:
    ledger: Ledger = issued["ledger"]
    catch_up_index(ledger)
    counts: Counter[str] = Counter()
    for page in certificate_files.current_entries(ledger, page=4):
        for entry in page:
            counts[
                certificates.reissue(
                    ledger,
                    entry,
                    issued["signer"],
                    now=issued["now"],
                    validity=VALIDITY,
                    rules=rules,
                    formats=("hc1", "png"),
                )
            ] += 1
    return counts


def test_a_rule_change_that_alters_only_the_status_is_found_and_re_issued(
    issued: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger: Ledger = issued["ledger"]
    before = {e.person_id: e for page in certificate_files.current_entries(ledger) for e in page}
    assert len(before) == 6
    green = [e for e in before.values() if e.status == "green" and e.dose_number == e.series_doses]
    assert green, "the seed gives someone a complete primary series"
    product = ledger.get_person(green[0].person_id).active_doses[0].product
    real = credentials.valuesets.products()
    # A new rule: this vaccine's primary series is one dose longer. Names, doses, keys: all unchanged.
    changed = {
        mp: dataclasses.replace(p, primary_doses=p.primary_doses + 1) if mp == product else p
        for mp, p in real.items()
    }
    monkeypatch.setattr(credentials.valuesets, "products", lambda: changed)
    monkeypatch.setattr(credentials.series, "products", lambda: changed)
    rules = credentials.series.rules_fingerprint()
    assert rules != next(iter(before.values())).rules

    affected = {
        pid
        for pid, e in before.items()
        if ledger.get_person(pid).active_doses[0].product == product
        and len(ledger.get_person(pid).active_doses) <= real[product].primary_doses + 1
    }
    counts = run(issued, rules)
    assert counts["reissued"] == len(affected) >= 1, counts
    assert counts["checked"] == 6 - len(affected), counts
    after = {e.person_id: e for page in certificate_files.current_entries(ledger) for e in page}
    for pid in affected:
        assert after[pid].uci != before[pid].uci  # a new certificate...
        assert after[pid].status == "yellow"  # ...that says what the new rule says
        assert after[pid].series_doses == before[pid].series_doses + 1
        assert certificate_files.complete(ledger, after[pid].uci, ("hc1", "png"))
        assert certificate_files.entry(ledger, before[pid].uci).state == "superseded"  # type: ignore[union-attr]
    for pid in set(before) - affected:
        assert after[pid].uci == before[pid].uci
        assert after[pid].rules == rules
    assert run(issued, rules) == Counter(skipped=6)  # resumable: a second run does nothing


def test_a_rule_fingerprint_change_that_alters_nothing_is_only_checked(issued: dict[str, Any]) -> None:
    counts = run(issued, "another-fingerprint")
    assert counts == Counter(checked=6)  # files were stored by the CLI path, nothing to re-issue
    assert run(issued, "another-fingerprint") == Counter(skipped=6)


def test_the_index_streams_in_pages_and_resumes_after_any_row(issued: dict[str, Any]) -> None:
    ledger: Ledger = issued["ledger"]
    pages = list(certificate_files.current_entries(ledger, page=4))
    assert [len(p) for p in pages] == [4, 2]
    everyone = [e for p in pages for e in p]
    assert len({e.uci for e in everyone}) == 6
    keys = [(e.person_id.hex, e.uci) for e in everyone]
    assert keys == sorted(keys)
    rest = [e for p in certificate_files.current_entries(ledger, after=keys[2], page=2) for e in p]
    assert [e.uci for e in rest] == [e.uci for e in everyone[3:]]

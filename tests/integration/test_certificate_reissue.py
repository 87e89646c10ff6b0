"""`reissue --all`'s unit of work on every store (memory, SQLite, PostgreSQL): a rule change that alters only a certificate's
status is found (the rules' fingerprint is stored with each certificate) and re-issued; one that alters
nothing is only recorded as checked; the index is streamed a page at a time (keyset) and resumable."""

from __future__ import annotations

import dataclasses
import uuid
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
from ledger.certificates import certificates_of, current_certificate, revoke_current_certificate
from ledger.values import Actor, Role
from projections.audit import load_export, make_checkpoints, rebuild_all, trusted_keys, verify, write_export
from services import certificate_files, certificates
from services.certificate_render import catch_up_index
from services.demo_population import seed_demo
from tests.integration.projections.test_audit_fixtures import audit_key, database
from tests.people import listed
from verifier import TrustList
from verifier import verify as verify_hc1
from verifier.picture import read_qr

__all__ = ["audit_key"]

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
    yield {"ledger": ledger, "signer": signer, "now": now, "people": people, "keys": tmp_path / "keys"}
    ledger.close()


def rotated(issued: dict[str, Any]) -> Any:
    """The signer after a key rotation (the fixture's one is then the old key)."""
    keys = KeyStore(issued["keys"])
    keys.rotate(DEVELOPMENT_PASSPHRASE, issued["now"])
    signer = keys.current_signer(DEVELOPMENT_PASSPHRASE, issued["now"])
    assert signer.kid != issued["signer"].kid
    issued["signer"] = signer
    return signer


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


def test_a_certificate_written_under_a_person_already_read_is_not_handed_out_again(
    issued: dict[str, Any],
) -> None:
    """`reissue --all` reads the index while it writes: a new certificate of a person on a page already
    handed out (its UCI sorting after theirs, at the page's end) must not come back on a later page, where
    it was counted "already current"."""
    ledger: Ledger = issued["ledger"]
    seen: list[str] = []
    pages = certificate_files.current_entries(ledger, page=2)
    for number, page in enumerate(pages):
        seen += [e.uci for e in page]
        if number == 0:
            last = page[-1]
            # Written after the page was read, as a re-issue of that person writes it: a later UCI.
            fresh = dataclasses.replace(last, uci=last.uci + "~new", certificate_id=uuid.uuid4())
            certificate_files.mark_issued(ledger, fresh, last.uci)
    assert len(seen) == len(set(seen)) == 6, seen
    assert not any(uci.endswith("~new") for uci in seen)


def test_a_page_ends_at_a_whole_person(issued: dict[str, Any]) -> None:
    """A person's rows are never split across pages (a page may hold more than asked)."""
    ledger: Ledger = issued["ledger"]
    (first,) = next(certificate_files.current_entries(ledger, page=1))
    stale = dataclasses.replace(first, uci=first.uci + "~2", certificate_id=uuid.uuid4())
    certificate_files.mark_issued(ledger, stale, None)  # a second current row for the same person
    pages = list(certificate_files.current_entries(ledger, page=1))
    assert [len(p) for p in pages] == [2, 1, 1, 1, 1, 1]
    assert {e.person_id for e in pages[0]} == {first.person_id}


def test_after_a_key_rotation_every_certificate_is_re_issued_and_reads_back(issued: dict[str, Any]) -> None:
    """The national case: new certificates signed with the new key, whose stored PNG the real QR reader reads
    back to the stored HC1, which the verifier accepts with the new DSC; the old ones are superseded, still
    valid (booster policy), and a second run does nothing."""
    ledger: Ledger = issued["ledger"]
    before = {e.person_id: e for page in certificate_files.current_entries(ledger) for e in page}
    signer = rotated(issued)
    counts = run(issued, credentials.series.rules_fingerprint())
    # Pages are read while the run writes: none hands out a certificate this run just issued.
    assert counts == Counter(reissued=6), counts
    trusted = TrustList.from_certificates([signer.certificate_der])
    for person_id, old in before.items():
        current = current_certificate(ledger, person_id)
        assert current is not None
        assert current.uci != old.uci
        assert current.kid == signer.kid.hex()
        hc1 = certificate_files.load(ledger, current.uci, "hc1")
        png = certificate_files.load(ledger, current.uci, "png")
        assert hc1 is not None
        assert png is not None
        assert read_qr(png.data) == hc1.data.decode() == current.hc1.value
        result = verify_hc1(hc1.data.decode(), trusted, now=issued["now"])
        assert result.dcc["v"][0]["ci"] == current.uci
        first, second = certificates_of(ledger, person_id)
        assert (first.uci, first.superseded_by, first.withdrawn) == (old.uci, second.uci, False)
        assert certificate_files.entry(ledger, old.uci).state == "superseded"  # type: ignore[union-attr]
    assert run(issued, credentials.series.rules_fingerprint()) == Counter(skipped=6)


def test_a_certificate_revoked_in_the_ledger_is_not_re_issued_even_when_its_mark_was_lost(
    issued: dict[str, Any],
) -> None:
    """Revoked by the ledger command alone (as if the process stopped before the index mark): the rendering
    index still says current, the ledger says revoked, and the ledger wins."""
    ledger: Ledger = issued["ledger"]
    victim = issued["people"][0].person_id
    uci = revoke_current_certificate(ledger, victim, reason="fraud", actor=Actor("revoker", Role.ADMIN))
    assert certificate_files.entry(ledger, uci).state == "current"  # type: ignore[union-attr]
    rotated(issued)
    counts = Counter[str]()
    for page in certificate_files.current_entries(ledger, page=200):
        counts += certificates.reissue_batch(
            ledger,
            page,
            issued["signer"],
            now=issued["now"],
            validity=VALIDITY,
            rules=credentials.series.rules_fingerprint(),
            formats=("hc1", "png"),
        )
    assert counts == Counter(reissued=5, revoked=1)
    assert [c.uci for c in certificates_of(ledger, victim)] == [uci]  # nothing new
    assert current_certificate(ledger, victim) is None
    assert certificate_files.entry(ledger, uci).state == "revoked"  # type: ignore[union-attr]


def test_a_run_stopped_between_the_ledger_commit_and_the_files_resumes(
    issued: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worst moment to stop: the new certificates are in the ledger, their index rows and files are not.
    The next run (which replays the log into the index first, as `reissue --all` does) renders them and
    issues nothing twice."""
    ledger: Ledger = issued["ledger"]
    rotated(issued)
    rules = credentials.series.rules_fingerprint()

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # the process stops here

    with monkeypatch.context() as patched:
        patched.setattr(certificate_files, "store_issued", stop)
        (page,) = certificate_files.current_entries(ledger, page=200)
        with pytest.raises(KeyboardInterrupt):
            certificates.reissue_batch(
                ledger,
                page,
                issued["signer"],
                now=issued["now"],
                validity=VALIDITY,
                rules=rules,
                formats=("hc1", "png"),
            )
    counts = run(issued, rules)
    assert counts == Counter(rendered=6), counts
    for record in issued["people"]:
        assert len(certificates_of(ledger, record.person_id)) == 2  # one re-issue each, not two
        current = current_certificate(ledger, record.person_id)
        assert current is not None
        assert current.kid == issued["signer"].kid.hex()
        assert certificate_files.complete(ledger, current.uci, ("hc1", "png"))
    assert run(issued, rules) == Counter(skipped=6)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def stored(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_the_audit_log_verifies_and_an_auditors_replay_agrees_after_a_re_issue(
    stored: str, tmp_path: Path, audit_key: Any
) -> None:
    """Every event a batch re-issue writes has its transparency leaf (the log verifies against signed
    checkpoints), and an auditor's export replayed on a fresh store gives the same view digests."""
    from ledger.settings import parse_database_url

    now = datetime.now(UTC)
    ensure_development_keys(tmp_path / "keys", now, warn=lambda line: None)
    signer = KeyStore(tmp_path / "keys").current_signer(DEVELOPMENT_PASSPHRASE, now)
    ledger = Ledger(stored, key_dir=tmp_path / "lk")
    try:
        seed_demo(ledger, people=20, seed=4)
        for record in [r for r in listed(ledger, limit=200) if r.doses][:4]:
            result = certificates.issue_new(
                ledger,
                record.person_id,
                signer,
                now=now,
                validity=VALIDITY,
                idempotency_key=f"t-{record.person_id}",
            )
            certificates.mark_issued(ledger, result)
        issued = {"ledger": ledger, "signer": signer, "now": now, "people": [], "keys": tmp_path / "keys"}
        rotated(issued)
        counts = run(issued, credentials.series.rules_fingerprint())
        assert counts["reissued"] == 4, counts
        assert set(counts) <= {"reissued", "skipped"}, counts
        head = ledger.recorder.max_notification_id()
    finally:
        ledger.close()
    with database(stored) as db:
        make_checkpoints(db, audit_key, now)
        report = verify(db, trusted_keys(db, [audit_key.public]))
        assert report.events == head
        with (tmp_path / "export.jsonl").open("wb") as out:
            write_export(db, out, trusted_keys(db, [audit_key.public]), now)
    (tmp_path / "replay").mkdir()
    summary, pinned, url = load_export(tmp_path / "export.jsonl", tmp_path / "replay", [audit_key.public])
    assert (summary.events, pinned) == (head, True)
    assert rebuild_all(parse_database_url(url)) == rebuild_all(parse_database_url(stored))


def test_a_guardian_linked_after_the_certificate_holds_the_re_issued_one(issued: dict[str, Any]) -> None:
    """Staff link a guardian to someone who already has a certificate: the index follows the log (the
    guardian's phone now signs in for it), and the re-issued certificate keeps the guardian as its holder."""
    ledger: Ledger = issued["ledger"]
    adults = [r for r in listed(ledger, limit=200) if r.guardian_id is None]
    person = next(r.person_id for r in issued["people"] if r.guardian_id is None)
    guardian = next(r.person_id for r in adults if r.person_id != person)
    ledger.link_dependant(
        guardian_id=guardian,
        dependant_id=person,
        relationship="parent",
        actor=Actor("admin-1", Role.ADMIN),
        idempotency_key="link",
    )
    catch_up_index(ledger)
    (before,) = [
        e for page in certificate_files.current_entries(ledger) for e in page if e.person_id == person
    ]
    assert before.holder_id == guardian
    rotated(issued)
    run(issued, credentials.series.rules_fingerprint())
    current = current_certificate(ledger, person)
    assert current is not None
    assert current.uci != before.uci
    assert certificate_files.entry(ledger, current.uci).holder_id == guardian  # type: ignore[union-attr]

"""Certificates as ledger events: issued from a person's history, superseded by the next, revoked; on every store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from credentials import InvalidRecordError, Status
from keys.signing import InMemoryPKI, generate_test_pki
from ledger.application import Ledger
from ledger.certificates import (
    CertificateNotFound,
    certificate_for_download,
    current_certificate,
    issue_certificate,
    revoke_current_certificate,
    split_name,
    withdrawn_certificates,
)
from ledger.errors import IdempotencyKeyReused, PersonErasedError, PersonNotFound, RuleViolation
from tests.integration.ledger.conftest import ADMIN, NOW, PFIZER, Campaign, Clock, make_campaign
from tests.unit.credentials.decode import decode, verify_signature

NATIONAL_ID = "001085012345"
STAFF = ADMIN


@pytest.fixture(scope="module")
def pki() -> InMemoryPKI:
    """A test PKI whose document signer is valid at the ledger stories' clock (1 October 2021)."""
    return generate_test_pki(NOW - dt.timedelta(days=30))


@pytest.fixture
def campaign(database_url: str, tmp_path: Path) -> Iterator[Campaign]:
    """A ledger on memory, SQLite or PostgreSQL with a site, lots and a vaccinator."""
    ledger = Ledger(database_url, clock=Clock(), key_dir=tmp_path / "keys")
    try:
        yield make_campaign(ledger)
    finally:
        ledger.close()


@pytest.fixture(params=["sqlite", "postgres"])
def persistent_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store that outlives the application: a SQLite file or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def log_length(ledger: Ledger) -> int:
    return len(ledger.recorder.select_notifications(0, 100_000))


def test_a_first_dose_gives_a_yellow_certificate_with_the_persons_data(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))

    issued = issue_certificate(campaign.ledger, NATIONAL_ID, pki.document_signer)

    decoded = decode(issued.hc1)
    verify_signature(decoded, pki.document_signer.certificate_der)
    assert decoded.dcc["nam"] == {"fn": "Nguyễn", "fnt": "NGUYEN", "gn": "Thị Ánh", "gnt": "THI<ANH"}
    assert decoded.dcc["dob"] == "1985-03-02"
    entry = decoded.dcc["v"][0]
    assert (entry["mp"], entry["ma"], entry["vp"]) == ("EU/1/21/1529", "ORG-100001699", "29061000087103")
    assert (entry["dn"], entry["sd"], entry["dt"]) == (1, 2, "2021-08-01")
    assert issued.status is Status.YELLOW
    assert issued.person_id == person
    assert issued.superseded_uci is None
    assert decoded.issued_at == campaign.ledger.now().replace(microsecond=0)


def test_the_next_dose_supersedes_the_certificate_and_its_uci_is_withdrawn(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(campaign.ledger, person, pki.document_signer)
    campaign.dose(person, 2, dt.date(2021, 9, 15), lot=campaign.pfizer_lot, product=PFIZER)

    second = issue_certificate(campaign.ledger, person, pki.document_signer)

    assert second.status is Status.GREEN
    assert (second.dose_number, second.series_doses) == (2, 2)
    assert second.superseded_uci == first.uci
    assert decode(second.hc1).dcc["v"][0]["mp"] == PFIZER
    withdrawn = list(withdrawn_certificates(campaign.ledger))
    assert [(w.uci, w.reason) for w in withdrawn] == [(first.uci, "superseded")]
    current = current_certificate(campaign.ledger, NATIONAL_ID)
    assert current is not None
    assert current.uci == second.uci
    assert current.hc1.value == second.hc1  # sealed in the log, readable with the person's key
    assert current.status is Status.GREEN
    assert current.dose_number == 2


def test_a_name_correction_issues_a_new_certificate_with_the_new_name(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(campaign.ledger, person, pki.document_signer)
    campaign.ledger.correct_name(
        person_id=person, full_name="Đặng Văn Đức", reason="typo", actor=STAFF, idempotency_key="fix-name"
    )
    second = issue_certificate(campaign.ledger, person, pki.document_signer)
    assert decode(second.hc1).dcc["nam"] == {"fn": "Đặng", "fnt": "DANG", "gn": "Văn Đức", "gnt": "VAN<DUC"}
    assert [w.uci for w in withdrawn_certificates(campaign.ledger)] == [first.uci]


def test_revoking_puts_the_uci_on_the_list_and_leaves_no_current_certificate(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    issued = issue_certificate(campaign.ledger, person, pki.document_signer)

    assert (
        revoke_current_certificate(campaign.ledger, person, reason="issued in error", actor=STAFF)
        == issued.uci
    )

    assert current_certificate(campaign.ledger, person) is None
    assert [(w.uci, w.reason) for w in withdrawn_certificates(campaign.ledger)] == [
        (issued.uci, "issued in error")
    ]
    with pytest.raises(CertificateNotFound):
        revoke_current_certificate(campaign.ledger, person, reason="again", actor=STAFF)
    # A new certificate after a revocation supersedes nothing.
    assert issue_certificate(campaign.ledger, person, pki.document_signer).superseded_uci is None


def test_only_staff_revoke(campaign: Campaign, pki: InMemoryPKI) -> None:
    from ledger.values import Actor, Role

    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    issue_certificate(campaign.ledger, person, pki.document_signer)
    with pytest.raises(RuleViolation, match="staff"):
        revoke_current_certificate(
            campaign.ledger, person, reason="mine", actor=Actor("citizen-1", Role.CITIZEN)
        )


def test_a_retried_issue_or_revoke_with_the_same_key_writes_nothing_and_answers_the_same(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(campaign.ledger, person, pki.document_signer, idempotency_key="issue-1")
    after_first = log_length(campaign.ledger)

    again = issue_certificate(campaign.ledger, person, pki.document_signer, idempotency_key="issue-1")

    assert log_length(campaign.ledger) == after_first
    assert (again.certificate_id, again.uci, again.hc1) == (first.certificate_id, first.uci, first.hc1)
    assert again.signed.uvci == first.uci
    current = current_certificate(campaign.ledger, person)
    assert current is not None
    assert current.uci == first.uci

    uci = revoke_current_certificate(
        campaign.ledger, person, reason="issued in error", actor=STAFF, idempotency_key="revoke-1"
    )
    after_revoke = log_length(campaign.ledger)
    assert (
        revoke_current_certificate(
            campaign.ledger, person, reason="issued in error", actor=STAFF, idempotency_key="revoke-1"
        )
        == uci
        == first.uci
    )
    assert log_length(campaign.ledger) == after_revoke
    # The same key for a different request is refused, not silently answered.
    with pytest.raises(IdempotencyKeyReused):
        revoke_current_certificate(
            campaign.ledger, person, reason="another reason", actor=STAFF, idempotency_key="revoke-1"
        )


def test_no_dose_gives_a_clear_error_and_writes_nothing(campaign: Campaign, pki: InMemoryPKI) -> None:
    campaign.register(NATIONAL_ID)
    before = log_length(campaign.ledger)
    with pytest.raises(InvalidRecordError, match="no recorded dose"):
        issue_certificate(campaign.ledger, NATIONAL_ID, pki.document_signer)
    assert log_length(campaign.ledger) == before


def test_an_erased_person_gets_no_certificate_and_their_old_hc1_is_shredded(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    issued = issue_certificate(campaign.ledger, person, pki.document_signer)
    campaign.ledger.erase_person(person_id=person, reason="request", actor=ADMIN, idempotency_key="erase-1")
    before = log_length(campaign.ledger)

    with pytest.raises(PersonErasedError, match="erased"):
        issue_certificate(campaign.ledger, person, pki.document_signer)

    assert log_length(campaign.ledger) == before
    current = current_certificate(campaign.ledger, person)
    assert current is not None
    assert current.uci == issued.uci  # the fact of the certificate survives ...
    assert current.hc1.erased  # ... its personal content does not


def test_an_unknown_national_id_is_not_found(campaign: Campaign, pki: InMemoryPKI) -> None:
    with pytest.raises(PersonNotFound):
        issue_certificate(campaign.ledger, "079999999999", pki.document_signer)


def test_the_certificate_history_survives_reopening_the_store(
    persistent_url: str, tmp_path: Path, pki: InMemoryPKI
) -> None:
    ledger = Ledger(persistent_url, clock=Clock(), key_dir=tmp_path / "keys")
    campaign = make_campaign(ledger)
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(ledger, person, pki.document_signer)
    second = issue_certificate(ledger, person, pki.document_signer)
    ledger.close()

    reopened = Ledger(persistent_url, clock=Clock(), key_dir=tmp_path / "keys")
    try:
        current = current_certificate(reopened, NATIONAL_ID)
        assert current is not None
        assert (current.uci, current.hc1.value, current.status) == (second.uci, second.hc1, Status.YELLOW)
        assert [w.uci for w in withdrawn_certificates(reopened)] == [first.uci]
    finally:
        reopened.close()


def test_family_name_first() -> None:
    assert split_name("Nguyễn Thị Ánh") == ("Nguyễn", "Thị Ánh")
    assert split_name("  Lê   Hoàng Bảo Ngọc ") == ("Lê", "Hoàng Bảo Ngọc")
    assert split_name("Mai") == ("Mai", "")


def test_downloading_again_gives_the_same_certificate_until_something_changes(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = certificate_for_download(campaign.ledger, NATIONAL_ID, pki.document_signer)
    again = certificate_for_download(campaign.ledger, NATIONAL_ID, pki.document_signer)
    assert (again.uci, again.hc1, again.status) == (first.uci, first.hc1, Status.YELLOW)
    assert again.signed.dcc == first.signed.dcc  # read back with the verifier, for the PDF
    assert list(withdrawn_certificates(campaign.ledger)) == []

    campaign.ledger.correct_name(
        person_id=person, full_name="Nguyễn Thị Anh", reason="typo", actor=STAFF, idempotency_key="fix"
    )
    renamed = certificate_for_download(campaign.ledger, person, pki.document_signer)
    assert renamed.uci != first.uci
    assert renamed.superseded_uci == first.uci

    campaign.dose(person, 2, dt.date(2021, 9, 15), lot=campaign.pfizer_lot, product=PFIZER)
    second_dose = certificate_for_download(campaign.ledger, person, pki.document_signer)
    assert second_dose.status is Status.GREEN
    assert second_dose.superseded_uci == renamed.uci


def test_a_new_signing_key_or_a_near_expiry_gives_a_new_certificate(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = certificate_for_download(campaign.ledger, person, pki.document_signer)
    rotated = generate_test_pki(NOW - dt.timedelta(days=30))
    second = certificate_for_download(campaign.ledger, person, rotated.document_signer)
    assert second.uci != first.uci
    assert second.kid == rotated.document_signer.kid
    late = second.expires_at - dt.timedelta(days=10)
    third = certificate_for_download(campaign.ledger, person, rotated.document_signer, now=late)
    assert third.uci != second.uci
    assert third.issued_at == late.replace(microsecond=0)

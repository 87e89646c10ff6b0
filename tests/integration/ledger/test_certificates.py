"""Certificates as ledger events: issued from a person's history, superseded by the next, revoked; on every store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from credentials import InvalidRecordError, Status
from keys.lists import build_revocation_list, build_trust_list
from keys.signing import InMemoryPKI, generate_test_pki
from ledger.application import Ledger
from ledger.certificate_model import REASON_CORRECTED, CertificateNotFound
from ledger.certificates import (
    certificate_for_download,
    certificates_of,
    current_certificate,
    get_certificate,
    issue_certificate,
    revoke_current_certificate,
)
from ledger.errors import IdempotencyKeyReused, PersonErasedError, PersonNotFound, RuleViolation
from ledger.rules import split_name
from projections.queries import revoked_certificates
from projections.registry import catch_up_views
from projections.store import open_view_store
from tests.integration.ledger.conftest import ADMIN, NOW, PFIZER, Campaign, Clock, make_campaign
from tests.unit.credentials.decode import decode, verify_signature
from verifier import TrustList, verify
from verifier.errors import RevokedError

NATIONAL_ID = "001085012345"
STAFF = ADMIN


def withdrawn(ledger: Ledger) -> list[tuple[str, str | None]]:
    """The revoked UCIs with their reasons, from the certificate index view caught up (the one read side)."""
    store = open_view_store(ledger.store)
    try:
        catch_up_views(ledger, store, ["certificate_index"])
        return [(entry.uci, entry.reason) for entry in revoked_certificates(store)]
    finally:
        store.close()


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


def test_the_next_dose_supersedes_the_certificate_which_stays_valid(
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
    assert withdrawn(campaign.ledger) == []  # booster policy: the 1/2 still tells the truth
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
    # the first one carries the wrong name: revoked, with the reason the health book explains
    assert withdrawn(campaign.ledger) == [(first.uci, REASON_CORRECTED)]


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
    assert withdrawn(campaign.ledger) == [(issued.uci, "issued in error")]
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
        assert withdrawn(reopened) == []  # a renewal supersedes; the first stays valid
        assert get_certificate(reopened, first.certificate_id).superseded_by == second.uci
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
    assert withdrawn(campaign.ledger) == []

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


def revocation_checked(pki: InMemoryPKI, ledger: Ledger, tmp_path: Path, name: str) -> TrustList:
    """What an offline verifier holds: the signed trust list and the revocation list built from the ledger."""
    now = ledger.now()
    trust_file, revocation_file = tmp_path / f"{name}-trust.cose", tmp_path / f"{name}-revoked.cose"
    trust_file.write_bytes(
        build_trust_list(pki.csca_signer, [pki.document_signer.certificate_der], 1, now, dt.timedelta(days=7))
    )
    ucis = [uci for uci, _reason in withdrawn(ledger)]
    revocation_file.write_bytes(build_revocation_list(pki.csca_signer, ucis, 1, now, dt.timedelta(days=7)))
    return TrustList.load(trust_file, pki.csca_der, revocation_list=revocation_file)


def test_a_booster_leaves_the_earlier_certificate_valid_and_a_correction_revokes_the_wrong_ones(
    campaign: Campaign, pki: InMemoryPKI, tmp_path: Path
) -> None:
    ledger = campaign.ledger
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 3, 1))
    campaign.dose(person, 2, dt.date(2021, 5, 20), lot=campaign.pfizer_lot, product=PFIZER)
    complete = issue_certificate(ledger, person, pki.document_signer)
    campaign.dose(person, 3, dt.date(2021, 9, 20), lot=campaign.pfizer_lot, product=PFIZER)
    booster = issue_certificate(ledger, person, pki.document_signer)
    assert (complete.dose_number, booster.dose_number) == (2, 3)
    assert booster.superseded_uci == complete.uci

    # The printed 2/2 certificate still verifies offline with the published lists.
    trust = revocation_checked(pki, ledger, tmp_path, "after-booster")
    assert verify(complete.hc1, trust, now=ledger.now()).dcc["v"][0]["dn"] == 2
    assert verify(booster.hc1, trust, now=ledger.now()).dcc["v"][0]["dn"] == 3

    # A corrected date of birth makes both wrong: the next issue revokes both, with a reason.
    ledger.correct_date_of_birth(
        person_id=person, date_of_birth="1985-03-12", reason="typo", actor=STAFF, idempotency_key="dob"
    )
    corrected = issue_certificate(ledger, person, pki.document_signer)
    assert sorted(withdrawn(ledger)) == sorted(
        [(complete.uci, REASON_CORRECTED), (booster.uci, REASON_CORRECTED)]
    )
    trust = revocation_checked(pki, ledger, tmp_path, "after-correction")
    with pytest.raises(RevokedError):
        verify(complete.hc1, trust, now=ledger.now())
    with pytest.raises(RevokedError):
        verify(booster.hc1, trust, now=ledger.now())
    assert verify(corrected.hc1, trust, now=ledger.now()).dcc["dob"] == "1985-03-12"
    history = [(c.uci, c.superseded_by, c.revoked_reason) for c in certificates_of(ledger, person)]
    assert history == [
        (complete.uci, booster.uci, REASON_CORRECTED),
        (booster.uci, corrected.uci, REASON_CORRECTED),
        (corrected.uci, None, None),
    ]


def test_voiding_a_dose_revokes_only_the_certificate_that_names_it(
    campaign: Campaign, pki: InMemoryPKI
) -> None:
    ledger = campaign.ledger
    person = campaign.register(NATIONAL_ID)
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(ledger, person, pki.document_signer)
    wrong = campaign.dose(person, 2, dt.date(2021, 9, 15), lot=campaign.pfizer_lot, product=PFIZER)
    second = issue_certificate(ledger, person, pki.document_signer)
    ledger.void_dose(
        person_id=person, dose_id=wrong.dose_id, reason="wrong person", actor=STAFF, idempotency_key="v"
    )
    again = issue_certificate(ledger, person, pki.document_signer)
    assert again.dose_number == 1
    assert withdrawn(ledger) == [(second.uci, REASON_CORRECTED)]
    assert first.uci not in {uci for uci, _reason in withdrawn(ledger)}

"""What a certificate says, built from a person's ledger history: the `VaccinationRecord` handed to
`credentials.issue`, a keyed hash of it (`record_basis`) that tells whether a stored certificate
still tells the truth after a correction, and what issuing hands back (`IssueResult`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from credentials import (
    DocumentSigner,
    DoseRecord,
    InvalidRecordError,
    IssuedCertificate,
    Status,
    VaccinationRecord,
    reread,
)
from ledger.application import Ledger
from ledger.certificate_model import Certificate
from ledger.domainmodel import Person
from ledger.errors import PersonErasedError
from ledger.rules import split_name
from ledger.values import PersonalData


class DoseSource(Protocol):
    """A dose as a certificate reads it (a `Dose`, or `ledger.certificate_facts.DoseFacts`)."""

    @property
    def dose_id(self) -> UUID: ...
    @property
    def dose_number(self) -> int: ...
    @property
    def product(self) -> str: ...
    @property
    def lot_id(self) -> UUID: ...
    @property
    def administered_on(self) -> date: ...


class RecordSource(Protocol):
    """A person as a certificate reads them: a `Person` aggregate, or the few facts a re-issue reads
    from the stored events (`ledger.certificate_facts.PersonFacts`)."""

    @property
    def erased(self) -> bool: ...
    @property
    def full_name(self) -> PersonalData: ...
    @property
    def date_of_birth(self) -> PersonalData: ...
    @property
    def active_doses(self) -> Sequence[DoseSource]: ...


def vaccination_record(ledger: Ledger, person: RecordSource) -> VaccinationRecord:
    """The input of credentials.issue, built from a person's ledger history (valid doses only, oldest first)."""
    if person.erased or person.full_name.erased or person.date_of_birth.erased:
        raise PersonErasedError("This person was erased: no certificate can be issued for them.")
    family, given = split_name(person.full_name.text)
    doses: list[DoseRecord] = []
    for dose in person.active_doses:
        vaccine = ledger.reference.vaccines.get(dose.product)
        if vaccine is None:
            raise InvalidRecordError(
                f"Unknown vaccine code {dose.product!r} on dose {dose.dose_number}: correct the dose first."
            )
        lot = ledger.known_lot(dose.lot_id)  # its manufacturer never changes: read once per process
        doses.append(
            DoseRecord(mp=dose.product, ma=lot.manufacturer, vp=vaccine.vp, date=dose.administered_on)
        )
    return VaccinationRecord(
        family_name=family,
        given_names=given,
        date_of_birth=person.date_of_birth.text,
        doses=tuple(doses),
    )


def record_basis(ledger: Ledger, record: VaccinationRecord) -> str:
    """A keyed hash of everything a certificate says about the person: equal when nothing changed."""
    canonical = json.dumps(
        [
            record.family_name,
            record.given_names,
            record.date_of_birth,
            [[d.mp, d.ma, d.vp, d.date.isoformat(), d.country] for d in record.doses],
        ],
        ensure_ascii=False,
    )
    return ledger.keys.master.fingerprint(b"certificate-basis:" + canonical.encode("utf-8"))


def still_true(
    ledger: Ledger,
    certificate: Certificate,
    person: Person,
    record: VaccinationRecord,
    basis: str | None = None,
) -> bool:
    """Whether `certificate` still says what the record says up to its dose (name, birth date, doses).
    `basis`: the record's own `record_basis`, when the caller has it (a certificate of the latest dose,
    as most are, is then checked without hashing again)."""
    return still_true_of(
        ledger,
        certificate.dose_id,
        certificate.basis,
        [d.dose_id for d in person.active_doses],
        record,
        basis,
    )


def still_true_of(
    ledger: Ledger,
    dose_id: UUID,
    said: str,
    active_dose_ids: Sequence[UUID],
    record: VaccinationRecord,
    basis: str | None = None,
) -> bool:
    """`still_true` for a certificate about `dose_id` whose basis is `said`, the person's doses that count
    being `active_dose_ids` (in order) and their record `record` (`basis`: its own `record_basis`)."""
    if dose_id not in active_dose_ids:
        return False  # its dose was voided
    upto = list(active_dose_ids).index(dose_id) + 1
    if basis is not None and upto == len(record.doses):
        return said == basis
    then = VaccinationRecord(
        family_name=record.family_name,
        given_names=record.given_names,
        date_of_birth=record.date_of_birth,
        doses=record.doses[:upto],
    )
    return said == record_basis(ledger, then)


@dataclass(frozen=True)
class IssueResult:
    """What `issue_certificate` hands back: the HC1 to show, what it says, and what it replaced."""

    certificate_id: UUID
    person_id: UUID
    uci: str
    hc1: str
    status: Status
    dose_number: int
    series_doses: int
    issued_at: datetime
    expires_at: datetime
    kid: bytes
    record: VaccinationRecord  # what the certificate was built from (the PDF lists every dose)
    signed: IssuedCertificate  # the credentials result (the DCC itself), for the pictures and the PDF
    superseded_uci: str | None

    @classmethod
    def of_signed(
        cls,
        certificate_id: UUID,
        person_id: UUID,
        record: VaccinationRecord,
        signed: IssuedCertificate,
        superseded_uci: str | None,
    ) -> IssueResult:
        """The result of a certificate just signed (an issue and a batch re-issue build it alike)."""
        return cls(
            certificate_id=certificate_id,
            person_id=person_id,
            uci=signed.uvci,
            hc1=signed.hc1,
            status=signed.status,
            dose_number=signed.dose_number,
            series_doses=signed.series_doses,
            issued_at=signed.issued_at,
            expires_at=signed.expires_at,
            kid=signed.kid,
            record=record,
            signed=signed,
            superseded_uci=superseded_uci,
        )


def stored_result(
    ledger: Ledger,
    certificate: Certificate,
    signer: DocumentSigner,
    at: datetime,
    superseded: str | None,
) -> IssueResult:
    """The IssueResult of a certificate already stored (a reused one, or a retried request's)."""
    if certificate.hc1.value is None:
        raise PersonErasedError("This person was erased: their certificate is gone.")
    record = vaccination_record(ledger, ledger.get_person(certificate.person_id))
    return IssueResult(
        certificate_id=certificate.id,
        person_id=certificate.person_id,
        uci=certificate.uci,
        hc1=certificate.hc1.value,
        status=certificate.status,
        dose_number=certificate.dose_number,
        series_doses=certificate.series_doses,
        issued_at=certificate.issued_at,
        expires_at=certificate.expires_at,
        kid=bytes.fromhex(certificate.kid),
        record=record,
        signed=reread(certificate.hc1.value, signer, at),
        superseded_uci=superseded,
    )

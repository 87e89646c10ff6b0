"""Certificates as ledger events (issued, superseded, revoked) and the use case that issues one from a person's history.

A `Certificate` aggregate is one signed certificate: `Issued` carries its UCI, the signing key id, the
person, validity, green/yellow status and the dose it is about; the HC1 text itself is personal data
(name and date of birth), so it is sealed with the person's key and disappears with erasure. A
`CertificateIndex` per person (id derived from the person's random id, never from personal data)
names the current certificate, so issuing a new one supersedes the old one in the same transaction.

Booster policy: a certificate superseded by a later dose (or renewed under a new key) still tells the
truth and stays valid: a printed 2/2 certificate keeps verifying after dose 3. Only a certificate
whose content became wrong (a corrected name or date of birth, a voided or corrected dose) or that
was issued by mistake is revoked, always with a reason; revoked UCIs alone go on the revocation list
(read from the `certificate_index` projection: `projections.queries.revoked_ucis`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import PersistenceError

from credentials import (
    DEFAULT_VALIDITY,
    DocumentSigner,
    DoseRecord,
    InvalidRecordError,
    IssuedCertificate,
    Status,
    VaccinationRecord,
    issue,
    reread,
)
from credentials.uvci import RandomBytes
from ledger import permissions
from ledger.application import Ledger
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import (
    InvalidInput,
    NotFound,
    PersonErasedError,
    PersonNotFound,
    RuleViolation,
    StoreError,
)
from ledger.rules import split_name
from ledger.values import Actor, NationalId, PersonalData, Role

CERTIFICATE_INDEX_NAMESPACE = uuid5(NAMESPACE_URL, "https://immunize.invalid/ledger/certificate-index")
CERTIFICATE_SERVICE = Actor("certificate-service", Role.SYSTEM)


class CertificateNotFound(NotFound):
    """No certificate with that id, or the person has no current certificate."""

    code = "certificate_not_found"


class Certificate(Aggregate):
    """One signed vaccination certificate: issued, then possibly superseded by a newer one or revoked."""

    id: UUID  # random, given by the ledger

    class Issued(Aggregate.Created):
        """A certificate was signed and handed out."""

        actor: Actor
        at: datetime
        person_id: UUID
        uci: str
        kid: str  # hex of the document signing certificate's kid
        issued_at: datetime
        expires_at: datetime
        status: str  # "green" or "yellow"
        dose_id: UUID  # the dose the certificate is about
        dose_number: int  # dn
        series_doses: int  # sd
        hc1: PersonalData  # the HC1 text holds name and date of birth: sealed with the person's key
        basis: str  # keyed hash of what the certificate says (names, date of birth, doses): no personal data

    @event(Issued)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        person_id: UUID,
        uci: str,
        kid: str,
        issued_at: datetime,
        expires_at: datetime,
        status: str,
        dose_id: UUID,
        dose_number: int,
        series_doses: int,
        hc1: PersonalData,
        basis: str,
    ) -> None:
        self.person_id = person_id
        self.uci = uci
        self.kid = kid
        self.issued_at = issued_at
        self.expires_at = expires_at
        self.status = Status(status)  # stored as text: back to the enum on replay
        self.dose_id = dose_id
        self.dose_number = dose_number
        self.series_doses = series_doses
        self.hc1 = hc1
        self.basis = basis
        self.superseded_by: str | None = None
        self.revoked_reason: str | None = None
        self.revoked_at: datetime | None = None

    @property
    def withdrawn(self) -> bool:
        """Revoked: verifiers must refuse it (it is on the revocation list). Superseded ones stay valid."""
        return self.revoked_reason is not None

    class Superseded(Aggregate.Event):
        """A newer certificate (a later dose, or a renewal) is now the current one; this one stays valid."""

        actor: Actor
        at: datetime
        uci: str
        by_uci: str

    def supersede(self, *, by_uci: str, actor: Actor, at: datetime) -> None:
        """Name `by_uci` as the newer certificate; this one keeps verifying."""
        if self.withdrawn or self.superseded_by is not None:
            raise RuleViolation(f"The certificate {self.uci} was already replaced or revoked.")
        self._superseded(actor=actor, at=at, uci=self.uci, by_uci=by_uci)

    @event(Superseded)
    def _superseded(self, actor: Actor, at: datetime, uci: str, by_uci: str) -> None:
        self.superseded_by = by_uci

    class Revoked(Aggregate.Event):
        """The certificate was revoked (issued in error, fraud, a signing key compromised)."""

        actor: Actor
        at: datetime
        uci: str
        reason: str

    def revoke(self, *, reason: str, actor: Actor, at: datetime) -> None:
        """Revoke this certificate (who may: ledger.permissions); a superseded one may be revoked too."""
        if self.withdrawn:
            raise RuleViolation(f"The certificate {self.uci} was already revoked.")
        self._revoked(actor=actor, at=at, uci=self.uci, reason=reason)

    @event(Revoked)
    def _revoked(self, actor: Actor, at: datetime, uci: str, reason: str) -> None:
        self.revoked_reason = reason
        self.revoked_at = at


class CertificateIndex(Aggregate):
    """Which certificate is a person's current one (id = uuid5 of the person's random id)."""

    id: UUID

    class Started(Aggregate.Created):
        """The person got their first certificate."""

        person_id: UUID

    @event(Started)
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.current_id: UUID | None = None
        self.issued = 0
        self.certificate_ids: list[UUID] = []  # every certificate the person was given, oldest first

    class Linked(Aggregate.Event):
        """A new certificate became the person's current one."""

        certificate_id: UUID

    @event(Linked)
    def link(self, certificate_id: UUID) -> None:
        """Make `certificate_id` the current certificate."""
        self.current_id = certificate_id
        self.issued += 1
        self.certificate_ids.append(certificate_id)

    class Unlinked(Aggregate.Event):
        """The current certificate was revoked: the person has none until a new one is issued."""

    @event(Unlinked)
    def unlink(self) -> None:
        """Leave the person without a current certificate."""
        self.current_id = None


def index_id(person_id: UUID) -> UUID:
    """The CertificateIndex id of a person."""
    return uuid5(CERTIFICATE_INDEX_NAMESPACE, person_id.hex)


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


# The reason recorded when a correction makes an earlier certificate wrong (the health book explains it).
REASON_CORRECTED = "record corrected"


def vaccination_record(ledger: Ledger, person: Person) -> VaccinationRecord:
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
        lot = ledger.get_lot(dose.lot_id)
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


def _still_true(ledger: Ledger, certificate: Certificate, person: Person, record: VaccinationRecord) -> bool:
    """Whether `certificate` still says what the record says up to its dose (name, birth date, doses)."""
    dose_ids = [dose.dose_id for dose in person.active_doses]
    if certificate.dose_id not in dose_ids:
        return False  # its dose was voided
    upto = dose_ids.index(certificate.dose_id) + 1
    then = VaccinationRecord(
        family_name=record.family_name,
        given_names=record.given_names,
        date_of_birth=record.date_of_birth,
        doses=record.doses[:upto],
    )
    return certificate.basis == record_basis(ledger, then)


def _person_id(ledger: Ledger, person: UUID | str) -> UUID:
    """A person id, or the id registered under a national ID number."""
    if isinstance(person, UUID):
        return person
    found = ledger.find_person(NationalId(person).number)
    if found is None:
        raise PersonNotFound(
            "No person is registered with that national ID number: check it or register them."
        )
    return found


def _load(ledger: Ledger, aggregate_id: UUID) -> Aggregate | None:
    try:
        aggregate: Aggregate = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    except PersistenceError as exc:
        raise StoreError(f"The ledger database failed while reading ({exc}): try again later.") from exc
    return aggregate


def _index(ledger: Ledger, person_id: UUID) -> CertificateIndex | None:
    index = _load(ledger, index_id(person_id))
    return index if isinstance(index, CertificateIndex) else None


def get_certificate(ledger: Ledger, certificate_id: UUID) -> Certificate:
    """The Certificate aggregate with that id."""
    certificate = _load(ledger, certificate_id)
    if not isinstance(certificate, Certificate):
        raise CertificateNotFound(f"No certificate {certificate_id}: check the id.")
    return certificate


def current_certificate(ledger: Ledger, person: UUID | str) -> Certificate | None:
    """The person's current (not withdrawn) certificate, or None."""
    index = _index(ledger, _person_id(ledger, person))
    if index is None or index.current_id is None:
        return None
    return get_certificate(ledger, index.current_id)


def certificates_of(ledger: Ledger, person: UUID | str) -> list[Certificate]:
    """Every certificate the person was given, oldest first (superseded ones stay valid; revoked ones say why)."""
    index = _index(ledger, _person_id(ledger, person))
    return [] if index is None else [get_certificate(ledger, c) for c in index.certificate_ids]


def _issued(
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


def issue_certificate(
    ledger: Ledger,
    person: UUID | str,
    signer: DocumentSigner,
    *,
    now: datetime | None = None,
    random_bytes: RandomBytes = os.urandom,
    validity: timedelta = DEFAULT_VALIDITY,
    actor: Actor = CERTIFICATE_SERVICE,
    idempotency_key: str | None = None,
) -> IssueResult:
    """Issue a certificate for the person's latest dose (by person id or national ID number).

    The person's current certificate, if any, is superseded in the same transaction and stays valid
    when it still tells the truth (booster policy, see the module docstring); every earlier certificate
    whose content a correction made wrong is revoked with `REASON_CORRECTED`. An erased person, no dose, or an unknown vaccine code gives a clear
    error and writes nothing. It runs in the ledger's command runner: a retry with the same
    `idempotency_key` returns the certificate the first request issued (without a key, each call is
    a new request).
    """
    person_id = _person_id(ledger, person)
    issued: list[IssueResult] = []

    def attempt(at: datetime) -> Outcome:
        issued.clear()
        subject = ledger.get_person(person_id)
        record = vaccination_record(ledger, subject)
        signed = issue(record, signer, now=at, random_bytes=random_bytes, validity=validity)
        latest = subject.active_doses[-1]
        certificate = Certificate(
            id=ledger.new_id(),  # type: ignore[call-arg]
            actor=actor,
            at=at,
            person_id=person_id,
            uci=signed.uvci,
            kid=signed.kid.hex(),
            issued_at=signed.issued_at,
            expires_at=signed.expires_at,
            status=signed.status.value,
            dose_id=latest.dose_id,
            dose_number=signed.dose_number,
            series_doses=signed.series_doses,
            hc1=PersonalData(person_id, signed.hc1),
            basis=record_basis(ledger, record),
        )
        index = _index(ledger, person_id)
        changed: list[Aggregate] = [certificate]
        superseded: str | None = None
        if index is None:
            index = CertificateIndex(id=index_id(person_id), person_id=person_id)  # type: ignore[call-arg]
        else:
            for earlier_id in index.certificate_ids:
                earlier = get_certificate(ledger, earlier_id)
                if earlier.withdrawn:
                    continue
                touched = False
                if earlier_id == index.current_id:
                    earlier.supersede(by_uci=signed.uvci, actor=actor, at=at)
                    superseded, touched = earlier.uci, True
                if not _still_true(ledger, earlier, subject, record):
                    earlier.revoke(reason=REASON_CORRECTED, actor=actor, at=at)
                    touched = True
                if touched:
                    changed.append(earlier)
        index.link(certificate.id)
        changed.append(index)
        issued.append(
            IssueResult(
                certificate_id=certificate.id,
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
                superseded_uci=superseded,
            )
        )
        return Outcome(changed, {"certificate_id": certificate.id.hex, "superseded_uci": superseded})

    args = {"p": person_id, "kid": signer.kid.hex(), "validity": validity.total_seconds(), "actor": actor}
    result = ledger.run_command("issue_certificate", idempotency_key or uuid4().hex, args, attempt, at=now)
    if issued and issued[0].certificate_id.hex == result["certificate_id"]:
        return issued[0]
    # A retried request: hand back what the first one issued.
    certificate = get_certificate(ledger, UUID(hex=result["certificate_id"]))
    return _issued(ledger, certificate, signer, now or ledger.now(), result["superseded_uci"])


def certificate_for_download(
    ledger: Ledger,
    person: UUID | str,
    signer: DocumentSigner,
    *,
    now: datetime | None = None,
    renew_before: timedelta = timedelta(days=30),
    random_bytes: RandomBytes = os.urandom,
    validity: timedelta = DEFAULT_VALIDITY,
) -> IssueResult:
    """The person's current certificate if it still says the right thing, else a newly issued one.

    A citizen downloading again gets the same certificate (same UCI) while their record is unchanged,
    the certificate is not within `renew_before` of expiry, and it was signed with the current key;
    otherwise a new one is issued and supersedes it. The reused HC1 is read back with the verifier.
    """
    at = now if now is not None else ledger.now()
    found = reusable_certificate(ledger, person, signer, now=at, renew_before=renew_before)
    if found is not None:
        return found
    return issue_certificate(
        ledger, _person_id(ledger, person), signer, now=at, random_bytes=random_bytes, validity=validity
    )


def reusable_certificate(
    ledger: Ledger,
    person: UUID | str,
    signer: DocumentSigner,
    *,
    now: datetime | None = None,
    renew_before: timedelta = timedelta(days=30),
) -> IssueResult | None:
    """The person's current certificate if it still says the right thing, else None; writes nothing
    (pages that only look use this: no GET issues a certificate, issue 12 item 11)."""
    at = now if now is not None else ledger.now()
    person_id = _person_id(ledger, person)
    subject = ledger.get_person(person_id)
    record = vaccination_record(ledger, subject)
    index = _index(ledger, person_id)
    if index is not None and index.current_id is not None:
        current = get_certificate(ledger, index.current_id)
        reusable = (
            not current.withdrawn
            and not current.hc1.erased
            and current.kid == signer.kid.hex()
            and current.dose_id == subject.active_doses[-1].dose_id
            and current.basis == record_basis(ledger, record)
            and current.issued_at <= at < current.expires_at - renew_before
        )
        if reusable and current.hc1.value is not None:
            signed = reread(current.hc1.value, signer, at)
            return IssueResult(
                certificate_id=current.id,
                person_id=person_id,
                uci=current.uci,
                hc1=current.hc1.value,
                status=current.status,
                dose_number=current.dose_number,
                series_doses=current.series_doses,
                issued_at=current.issued_at,
                expires_at=current.expires_at,
                kid=signer.kid,
                record=record,
                signed=signed,
                superseded_uci=None,
            )
    return None


def revoke_current_certificate(
    ledger: Ledger,
    person: UUID | str,
    *,
    reason: str,
    actor: Actor,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> str:
    """Revoke the person's current certificate (its UCI goes on the revocation list); returns the UCI.

    Runs in the ledger's command runner: a retry with the same `idempotency_key` returns the same UCI.
    """
    why = " ".join(str(reason).split()) if isinstance(reason, str) else ""
    if not why or len(why) > 500:
        raise InvalidInput("Give a reason of 1 to 500 characters for revoking the certificate.")
    permissions.require_revoker(actor)
    person_id = _person_id(ledger, person)

    def attempt(at: datetime) -> Outcome:
        index = _index(ledger, person_id)
        if index is None or index.current_id is None:
            raise CertificateNotFound("This person has no current certificate to revoke.")
        certificate = get_certificate(ledger, index.current_id)
        certificate.revoke(reason=why, actor=actor, at=at)
        index.unlink()
        return Outcome([certificate, index], {"uci": certificate.uci})

    args = {"p": person_id, "why": why, "actor": actor}
    result = ledger.run_command("revoke_certificate", idempotency_key or uuid4().hex, args, attempt, at=now)
    return str(result["uci"])

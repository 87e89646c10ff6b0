"""The certificate use cases: issue one from a person's history (superseding or revoking earlier ones),
hand back the current one for a download, and revoke it. The aggregates are in
`ledger.certificate_model`; what a certificate says is built by `ledger.certificate_records`.

Issue and revoke run in the ledger's command runner with idempotency keys: a retried request returns
what the first one wrote and the log does not grow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate

from credentials import (
    DEFAULT_VALIDITY,
    DocumentSigner,
    issue,
    reread,
)
from credentials.uvci import RandomBytes
from ledger import permissions
from ledger.application import Ledger
from ledger.certificate_lookups import (
    certificates_of,
    current_certificate,
    get_certificate,
    index_of,
    person_id_of,
)
from ledger.certificate_model import (
    REASON_CORRECTED,
    Certificate,
    CertificateIndex,
    CertificateNotFound,
    index_id,
)
from ledger.certificate_records import (
    IssueResult,
    record_basis,
    still_true,
    stored_result,
    vaccination_record,
)
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import InvalidInput
from ledger.values import Actor, PersonalData, Role

CERTIFICATE_SERVICE = Actor("certificate-service", Role.SYSTEM)

# The lookups (ledger.certificate_lookups) and IssueResult (ledger.certificate_records) are re-exported:
# callers import the certificate API from here.
__all__ = [
    "CERTIFICATE_SERVICE",
    "IssueResult",
    "certificate_for_download",
    "certificates_of",
    "current_certificate",
    "get_certificate",
    "issue_certificate",
    "reusable_certificate",
    "revoke_current_certificate",
]


def _issue_for(
    ledger: Ledger,
    subject: Person,
    index: CertificateIndex | None,
    certificate: Callable[[UUID], Certificate],
    signer: DocumentSigner,
    *,
    at: datetime,
    random_bytes: RandomBytes,
    validity: timedelta,
    actor: Actor,
    self_check: bool = True,
) -> tuple[list[Aggregate], IssueResult]:
    """Sign a certificate for `subject`'s latest dose, link it as current, supersede the current one and
    revoke every earlier one a correction made wrong: the changed aggregates (not saved) and the result."""
    person_id = subject.id
    record = vaccination_record(ledger, subject)
    signed = issue(
        record, signer, now=at, random_bytes=random_bytes, validity=validity, self_check=self_check
    )
    latest = subject.active_doses[-1]
    basis = record_basis(ledger, record)
    new = Certificate(
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
        basis=basis,
    )
    changed: list[Aggregate] = [new]
    superseded: str | None = None
    if index is None:
        index = CertificateIndex(id=index_id(person_id), person_id=person_id)  # type: ignore[call-arg]
    else:
        for earlier_id in index.certificate_ids:
            earlier = certificate(earlier_id)
            if earlier.withdrawn:
                continue
            touched = False
            if earlier_id == index.current_id:
                earlier.supersede(by_uci=signed.uvci, actor=actor, at=at)
                superseded, touched = earlier.uci, True
            if not still_true(ledger, earlier, subject, record, basis):
                earlier.revoke(reason=REASON_CORRECTED, actor=actor, at=at)
                touched = True
            if touched:
                changed.append(earlier)
    index.link(new.id)
    changed.append(index)
    result = IssueResult.of_signed(new.id, person_id, record, signed, superseded)
    return changed, result


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
    person_id = person_id_of(ledger, person)
    issued: list[IssueResult] = []

    def attempt(at: datetime) -> Outcome:
        issued.clear()
        subject = ledger.get_person(person_id)
        changed, result = _issue_for(
            ledger,
            subject,
            index_of(ledger, person_id),
            lambda earlier_id: get_certificate(ledger, earlier_id),
            signer,
            at=at,
            random_bytes=random_bytes,
            validity=validity,
            actor=actor,
        )
        issued.append(result)
        return Outcome(
            changed, {"certificate_id": result.certificate_id.hex, "superseded_uci": result.superseded_uci}
        )

    args = {"p": person_id, "kid": signer.kid.hex(), "validity": validity.total_seconds(), "actor": actor}
    result = ledger.run_command("issue_certificate", idempotency_key or uuid4().hex, args, attempt, at=now)
    if issued and issued[0].certificate_id.hex == result["certificate_id"]:
        return issued[0]
    # A retried request: hand back what the first one issued.
    certificate = get_certificate(ledger, UUID(hex=result["certificate_id"]))
    return stored_result(ledger, certificate, signer, now or ledger.now(), result["superseded_uci"])


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
        ledger, person_id_of(ledger, person), signer, now=at, random_bytes=random_bytes, validity=validity
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
    person_id = person_id_of(ledger, person)
    subject = ledger.get_person(person_id)
    record = vaccination_record(ledger, subject)
    index = index_of(ledger, person_id)
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
    person_id = person_id_of(ledger, person)

    def attempt(at: datetime) -> Outcome:
        index = index_of(ledger, person_id)
        if index is None or index.current_id is None:
            raise CertificateNotFound("This person has no current certificate to revoke.")
        certificate = get_certificate(ledger, index.current_id)
        certificate.revoke(reason=why, actor=actor, at=at)
        index.unlink()
        return Outcome([certificate, index], {"uci": certificate.uci})

    args = {"p": person_id, "why": why, "actor": actor}
    result = ledger.run_command("revoke_certificate", idempotency_key or uuid4().hex, args, attempt, at=now)
    return str(result["uci"])

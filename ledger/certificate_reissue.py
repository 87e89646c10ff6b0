"""Re-issuing many certificates in one ledger command (`immunize certificate reissue --all` after a key
rotation, a rule change or near expiry), without the aggregate machinery where it cost most.

Each certificate is re-issued exactly as `ledger.certificates.issue_certificate` issues one, with the
same events (`Certificate.Issued`, the current one `Superseded`, any earlier one a correction made wrong
`Revoked`, the index `Linked`), the same checks and the same receipt; what changes is how:
- **reads**: the batch's people, certificate indexes and certificates come in two queries, and only what
  a certificate needs is parsed from their stored events (`ledger.certificate_facts`); a stream those
  readers do not know is loaded as an aggregate instead;
- **writes**: the events are built directly at the next version of each stream (the versions read are the
  optimistic check: if another writer added an event since, the store refuses the whole transaction and
  the command runs again on a fresh read, as with a stale aggregate), and the three frequent classes are
  encoded from a field list to the library's exact bytes (`ledger.event_encoding`). They are saved with
  the receipt in one transaction through the event store, so each event gets its transparency-log leaf.

One check is added for a re-issue: the certificate to renew must still be the person's current one in
the ledger. A revoked certificate (its index unlinked) is not re-issued, whatever the rendering index
says (its mark may have been lost in a crash); neither is one a newer certificate replaced since.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from credentials import (
    DEFAULT_VALIDITY,
    CredentialError,
    DocumentSigner,
    IssuedCertificate,
    VaccinationRecord,
    issue,
)
from credentials.uvci import RandomBytes
from ledger.application import Ledger
from ledger.certificate_facts import (
    CertificateFacts,
    DoseFacts,
    IndexFacts,
    PersonFacts,
    certificate_facts,
    index_facts,
    person_facts,
)
from ledger.certificate_lookups import get_certificate
from ledger.certificate_model import REASON_CORRECTED, Certificate, CertificateIndex, index_id
from ledger.certificate_records import (
    IssueResult,
    record_basis,
    still_true_of,
    stored_result,
    vaccination_record,
)
from ledger.certificates import CERTIFICATE_SERVICE
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import LedgerError, PersonErasedError, PersonNotFound, RuleViolation
from ledger.eventstore import reading
from ledger.values import Actor, PersonalData

_CERTIFICATE_TOPIC = get_topic(Certificate)

# Refusal codes of a re-issue (beside the errors' own codes: person_erased, person_not_found...).
NOT_CURRENT_REVOKED = "certificate_revoked"  # revoked in the ledger: never re-issued
NOT_CURRENT_REPLACED = "certificate_replaced"  # a newer certificate is current: it has its own row


def _person_of(person: Person) -> PersonFacts:
    return PersonFacts(
        id=person.id,
        version=person.version,
        erased=person.erased,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        active_doses=tuple(
            DoseFacts(d.dose_id, d.dose_number, d.product, d.lot_id, d.administered_on)
            for d in person.active_doses
        ),
    )


def _index_of(index: CertificateIndex) -> IndexFacts:
    return IndexFacts(
        index.id, index.version, index.person_id, index.current_id, tuple(index.certificate_ids)
    )


def _certificate_of(certificate: Certificate) -> CertificateFacts:
    return CertificateFacts(
        id=certificate.id,
        version=certificate.version,
        person_id=certificate.person_id,
        uci=certificate.uci,
        dose_id=certificate.dose_id,
        basis=certificate.basis,
        superseded_by=certificate.superseded_by,
        withdrawn=certificate.withdrawn,
    )


def read_batch(
    ledger: Ledger, person_ids: Sequence[UUID]
) -> tuple[dict[UUID, PersonFacts], dict[UUID, IndexFacts], dict[UUID, CertificateFacts]]:
    """The people, their certificate indexes (by person) and every certificate they were given: the
    people's and indexes' streams in one query per 250 people, the certificates' in one more, their data
    keys in one; a stream the fact readers do not know is loaded as an aggregate."""
    ledger.keys.prefetch(person_ids)
    by_index = {index_id(pid): pid for pid in person_ids}
    streams = ledger.streams([*person_ids, *by_index])
    people: dict[UUID, PersonFacts] = {}
    indexes: dict[UUID, IndexFacts] = {}
    unknown: list[UUID] = []
    for pid in person_ids:
        if pid in streams:
            found = person_facts(streams[pid], ledger.keys.open)
            if found is None:
                unknown.append(pid)
            else:
                people[pid] = found
    for iid, pid in by_index.items():
        if iid in streams:
            index = index_facts(streams[iid])
            if index is None:
                unknown.append(iid)
            else:
                indexes[pid] = index
    certificate_ids = [c for index in indexes.values() for c in index.certificate_ids]
    certificates: dict[UUID, CertificateFacts] = {}
    for cid, stream in ledger.streams(certificate_ids).items():
        facts = certificate_facts(stream)
        if facts is None:
            unknown.append(cid)
        else:
            certificates[cid] = facts
    if unknown:  # the aggregate path, for whatever the readers do not know
        with reading():
            for aggregate in ledger.load_many(unknown):
                if isinstance(aggregate, Person):
                    people[aggregate.id] = _person_of(aggregate)
                elif isinstance(aggregate, CertificateIndex):
                    indexes[aggregate.person_id] = _index_of(aggregate)
                    missing = [c for c in aggregate.certificate_ids if c not in certificates]
                    for certificate in ledger.load_many(missing):
                        if isinstance(certificate, Certificate):
                            certificates[certificate.id] = _certificate_of(certificate)
                elif isinstance(aggregate, Certificate):
                    certificates[aggregate.id] = _certificate_of(aggregate)
    return people, indexes, certificates


def _reissue_one(
    ledger: Ledger,
    person: PersonFacts,
    index: IndexFacts,
    certificates: dict[UUID, CertificateFacts],
    record: VaccinationRecord,
    signed: IssuedCertificate,
    *,
    at: datetime,
    timestamp: datetime,
    actor: Actor,
) -> tuple[list[Aggregate.Event], IssueResult]:
    """The events `issue_certificate` would record for this person's `signed` certificate of `record`
    (not saved), and the result."""
    basis = record_basis(ledger, record)
    dose_ids = [d.dose_id for d in person.active_doses]
    new_id = ledger.new_id()
    events: list[Aggregate.Event] = [
        Certificate.Issued(  # type: ignore[call-arg]
            originator_id=new_id,
            originator_version=1,
            timestamp=timestamp,
            originator_topic=_CERTIFICATE_TOPIC,
            actor=actor,
            at=at,
            person_id=person.id,
            uci=signed.uvci,
            kid=signed.kid.hex(),
            issued_at=signed.issued_at,
            expires_at=signed.expires_at,
            status=signed.status.value,
            dose_id=dose_ids[-1],
            dose_number=signed.dose_number,
            series_doses=signed.series_doses,
            hc1=PersonalData(person.id, signed.hc1),
            basis=basis,
        )
    ]
    superseded: str | None = None
    for earlier_id in index.certificate_ids:
        earlier = certificates.get(earlier_id)
        if earlier is None:
            earlier = _certificate_of(get_certificate(ledger, earlier_id))  # as the aggregate path reads it
        if earlier.withdrawn:
            continue
        version = earlier.version
        if earlier_id == index.current_id:
            if earlier.superseded_by is not None:  # Certificate.supersede's rule
                raise RuleViolation(f"The certificate {earlier.uci} was already replaced or revoked.")
            version += 1
            events.append(
                Certificate.Superseded(  # type: ignore[call-arg]
                    originator_id=earlier_id,
                    originator_version=version,
                    timestamp=timestamp,
                    actor=actor,
                    at=at,
                    uci=earlier.uci,
                    by_uci=signed.uvci,
                )
            )
            superseded = earlier.uci
        if not still_true_of(ledger, earlier.dose_id, earlier.basis, dose_ids, record, basis):
            version += 1
            events.append(
                Certificate.Revoked(  # type: ignore[call-arg]
                    originator_id=earlier_id,
                    originator_version=version,
                    timestamp=timestamp,
                    actor=actor,
                    at=at,
                    uci=earlier.uci,
                    reason=REASON_CORRECTED,
                )
            )
    events.append(
        CertificateIndex.Linked(  # type: ignore[call-arg]
            originator_id=index.id,
            originator_version=index.version + 1,
            timestamp=timestamp,
            certificate_id=new_id,
        )
    )
    result = IssueResult.of_signed(new_id, person.id, record, signed, superseded)
    return events, result


def reissue_certificates(
    ledger: Ledger,
    wanted: Sequence[tuple[UUID, UUID]],
    signer: DocumentSigner,
    *,
    now: datetime,
    idempotency_key: str,
    validity: timedelta = DEFAULT_VALIDITY,
    actor: Actor = CERTIFICATE_SERVICE,
    random_bytes: RandomBytes = os.urandom,
    read_back_every: int = 1,
) -> tuple[list[IssueResult], dict[UUID, str]]:
    """Re-issue each (person id, certificate id) of `wanted` in ONE command (one transaction): a new
    certificate for the person's latest dose superseding that one, which must still be their current
    certificate. Those that cannot be re-issued are named in the second value (person id -> code): a
    revoked certificate (`certificate_revoked`), one replaced since (`certificate_replaced`), an erased
    person or one without a dose, a record the DCC cannot hold; the others are still issued.

    `read_back_every`: the issuer's verifier read-back runs on the first certificate of the batch and on
    every n-th after it (docs/performance.md). Safe to retry with the same key: the first run's result
    is returned (its certificates read back from the ledger)."""
    expected: dict[UUID, UUID] = {}
    for person_id, certificate_id in wanted:
        expected.setdefault(person_id, certificate_id)
    ids = list(expected)
    issued: list[IssueResult] = []
    refused: dict[UUID, str] = {}

    def attempt(at: datetime) -> Outcome:
        issued.clear()
        refused.clear()
        with reading():
            people, indexes, certificates = read_batch(ledger, ids)
        timestamp = Certificate.Issued.create_timestamp()
        changed: list[Aggregate.Event] = []
        # Three passes over the batch (checks and records; credentials; events) rather than one person at a
        # time: the signing and encoding code then runs back to back, as in a tight loop. Alternating runs at
        # load 9-12: the command 50-200 us a certificate cheaper than interleaved with the ledger's JSON and
        # crypto work, which evicts it from the caches.
        records: dict[UUID, VaccinationRecord] = {}
        for person_id in ids:
            person = people.get(person_id)
            index = indexes.get(person_id)
            try:
                if person is None:
                    raise PersonNotFound(f"No person {person_id}: check the id.")
                if person.erased or person.full_name.erased or not person.active_doses:
                    raise PersonErasedError("This person was erased or has no valid dose: no certificate.")
                want = expected[person_id]
                if index is None or index.current_id != want:
                    revoked = index is not None and index.current_id is None and want in index.certificate_ids
                    refused[person_id] = NOT_CURRENT_REVOKED if revoked else NOT_CURRENT_REPLACED
                    continue
                current = certificates.get(want)
                if current is not None and current.withdrawn:
                    refused[person_id] = NOT_CURRENT_REVOKED
                    continue
                records[person_id] = vaccination_record(ledger, person)
            except (LedgerError, CredentialError) as exc:
                refused[person_id] = str(getattr(exc, "code", type(exc).__name__))
        signed: dict[UUID, IssuedCertificate] = {}
        for number, person_id in enumerate(ids):
            if person_id in records:
                try:
                    signed[person_id] = issue(
                        records[person_id],
                        signer,
                        now=at,
                        random_bytes=random_bytes,
                        validity=validity,
                        self_check=number % max(1, read_back_every) == 0,
                    )
                except CredentialError as exc:
                    refused[person_id] = str(getattr(exc, "code", type(exc).__name__))
        # The data keys again (one query, only those read longer ago than the key ring's recheck bound):
        # signing a batch on a loaded machine can outlast it, and each key would then be read on its own
        # when the HC1 is sealed into its event.
        ledger.keys.prefetch(list(signed))
        for person_id in ids:
            if person_id not in signed:
                continue
            try:
                events, result = _reissue_one(
                    ledger,
                    people[person_id],
                    indexes[person_id],
                    certificates,
                    records[person_id],
                    signed[person_id],
                    at=at,
                    timestamp=timestamp,
                    actor=actor,
                )
            except (LedgerError, CredentialError) as exc:
                refused[person_id] = str(getattr(exc, "code", type(exc).__name__))
                continue
            changed += events
            issued.append(result)
        summary = [[r.person_id.hex, r.certificate_id.hex, r.superseded_uci] for r in issued]
        return Outcome(changed, {"issued": summary, "refused": {p.hex: why for p, why in refused.items()}})

    args = {
        "renew": [[p.hex, c.hex] for p, c in expected.items()],
        "kid": signer.kid.hex(),
        "validity": validity.total_seconds(),
        "actor": actor,
    }
    result = ledger.run_command("reissue_certificates", idempotency_key, args, attempt, at=now)
    mine = [[r.person_id.hex, r.certificate_id.hex, r.superseded_uci] for r in issued]
    if mine == result["issued"] and {p.hex: why for p, why in refused.items()} == result["refused"]:
        return issued, refused
    # A retried batch: hand back what the first run issued.
    again = [
        stored_result(ledger, get_certificate(ledger, UUID(hex=cid)), signer, now, superseded)
        for _, cid, superseded in result["issued"]
    ]
    return again, {UUID(hex=p): why for p, why in result["refused"].items()}

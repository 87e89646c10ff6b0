"""Finding certificates: a person by id or national ID number, their certificate index, their current
certificate and every certificate they were given (reads only; the use cases are in ledger.certificates).
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import PersistenceError

from ledger.application import Ledger
from ledger.certificate_model import Certificate, CertificateIndex, CertificateNotFound, index_id
from ledger.errors import PersonNotFound, StoreError
from ledger.values import NationalId


def person_id_of(ledger: Ledger, person: UUID | str) -> UUID:
    """A person id, or the id registered under a national ID number."""
    if isinstance(person, UUID):
        return person
    found = ledger.find_person(NationalId(person).number)
    if found is None:
        raise PersonNotFound(
            "No person is registered with that national ID number: check it or register them."
        )
    return found


def load(ledger: Ledger, aggregate_id: UUID) -> Aggregate | None:
    """The aggregate with that id, or None."""
    try:
        aggregate: Aggregate = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    except PersistenceError as exc:
        raise StoreError(f"The ledger database failed while reading ({exc}): try again later.") from exc
    return aggregate


def index_of(ledger: Ledger, person_id: UUID) -> CertificateIndex | None:
    """The person's CertificateIndex, or None before their first certificate."""
    index = load(ledger, index_id(person_id))
    return index if isinstance(index, CertificateIndex) else None


def get_certificate(ledger: Ledger, certificate_id: UUID) -> Certificate:
    """The Certificate aggregate with that id."""
    certificate = load(ledger, certificate_id)
    if not isinstance(certificate, Certificate):
        raise CertificateNotFound(f"No certificate {certificate_id}: check the id.")
    return certificate


def current_certificate(ledger: Ledger, person: UUID | str) -> Certificate | None:
    """The person's current (not withdrawn) certificate, or None."""
    index = index_of(ledger, person_id_of(ledger, person))
    if index is None or index.current_id is None:
        return None
    return get_certificate(ledger, index.current_id)


def certificates_of(ledger: Ledger, person: UUID | str) -> list[Certificate]:
    """Every certificate the person was given, oldest first (superseded ones stay valid; revoked ones say why)."""
    index = index_of(ledger, person_id_of(ledger, person))
    return [] if index is None else [get_certificate(ledger, c) for c in index.certificate_ids]

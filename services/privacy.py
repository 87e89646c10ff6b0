"""A province officer's privacy use cases: find a person of their province, erase them on request.

The province is the officer's jurisdiction: a person living elsewhere answers 'not found' (no probing).
Erasure is the ledger's (an event with who, when and why, then the person's key is destroyed).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ledger.application import Ledger
from ledger.errors import PersonNotFound
from ledger.records import PersonRecord
from ledger.values import Actor, Role
from services.errors import ServiceError
from services.people import parse_id


class NotInProvince(ServiceError):
    """The person does not live in the officer's province (answered as 'not found': no probing)."""

    code = "not_in_province"
    kind = "not_found"


@dataclass(frozen=True)
class ProvinceOfficer:
    """A province officer: an account and the province (GSO code) they answer for."""

    username: str
    province_code: str

    @property
    def actor(self) -> Actor:
        return Actor(
            actor_id=self.username, role=Role.PROVINCE_OFFICER, province_code=self.province_code or None
        )


def person_in_province(ledger: Ledger, person_id: str, officer: ProvinceOfficer) -> PersonRecord:
    """The person's record if they live in the officer's province (an erased record stays visible)."""
    try:
        record = ledger.person_record(parse_id(person_id))
    except PersonNotFound:
        raise NotInProvince("No such person in your province.") from None
    if record.province_code != officer.province_code and not record.erased:
        raise NotInProvince("No such person in your province.")
    return record


def find_in_province(ledger: Ledger, national_id: str, officer: ProvinceOfficer) -> UUID:
    """The person with that national ID number, if they live in the officer's province."""
    try:
        record = ledger.person_by_national_id(national_id.strip())
    except PersonNotFound:
        raise NotInProvince("No such person in your province.") from None
    return person_in_province(ledger, str(record.person_id), officer).person_id


def erase(ledger: Ledger, person_id: str, officer: ProvinceOfficer, *, reason: str) -> None:
    """Erase a person of the officer's province (the reason and the officer are kept in the event)."""
    record = person_in_province(ledger, person_id, officer)
    ledger.erase_person(
        person_id=record.person_id,
        reason=reason,
        actor=officer.actor,
        idempotency_key=f"web-erase:{record.person_id}",
    )

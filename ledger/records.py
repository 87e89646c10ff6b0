"""Plain records the Ledger takes and returns: batch requests, command results, and read views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from ledger.commands import VIETNAM_TIME
from ledger.domainmodel import Declaration, Dose, Person, Reaction
from ledger.values import ERASED_TEXT


@dataclass(frozen=True)
class PersonRequest:
    """One person to register (the items of `Ledger.register_people`); strings as typed on a form."""

    national_id: str | None  # 12-digit CCCD or 9-digit CMND; None only for a dependant
    full_name: str
    date_of_birth: str  # YYYY, YYYY-MM or YYYY-MM-DD
    sex: str  # female, male, other
    phone: str | None
    ward_code: str  # GSO ward code
    priority_group: str  # priority_groups.csv code
    guardian_id: UUID | None = None
    relationship: str | None = None  # child, parent, grandparent, spouse, other (dependants only)


@dataclass(frozen=True)
class DoseRequest:
    """One dose to record (the items of `Ledger.record_doses`)."""

    person_id: UUID
    dose_number: int
    product: str  # vaccines.csv mp_code, e.g. "EU/1/21/1529"
    lot_id: UUID
    administered_on: date
    site_id: UUID
    vaccinator_id: str | None = None  # defaults to the actor


@dataclass(frozen=True)
class DoseRecorded:
    """The result of recording a dose."""

    person_id: UUID
    dose_id: UUID
    dose_number: int
    mixed_products: bool

    def as_result(self) -> dict[str, Any]:
        """The form kept in an idempotency receipt."""
        return {
            "person_id": self.person_id.hex,
            "dose_id": self.dose_id.hex,
            "dose_number": self.dose_number,
            "mixed_products": self.mixed_products,
        }

    @classmethod
    def from_result(cls, result: dict[str, Any]) -> DoseRecorded:
        """Back from a receipt."""
        return cls(
            UUID(result["person_id"]),
            UUID(result["dose_id"]),
            int(result["dose_number"]),
            bool(result["mixed_products"]),
        )


def _dose_json(d: Dose) -> dict[str, Any]:
    return {
        "dose_id": str(d.dose_id),
        "dose_number": d.dose_number,
        "product": d.product,
        "lot_id": str(d.lot_id),
        "lot_number": d.lot_number,
        "date": d.administered_on.isoformat(),
        "site_id": str(d.site_id),
        "vaccinator_id": d.vaccinator_id,
        "mixed_products": d.mixed_products,
    }


def _reaction_json(r: Reaction) -> dict[str, Any]:
    return {
        "reaction_id": str(r.reaction_id),
        "dose_id": str(r.dose_id) if r.dose_id else None,
        "onset": r.onset.isoformat(),
        "symptoms": r.symptoms.text,
        "severity": r.severity.value,
        "needs_follow_up": r.needs_follow_up,
        "reported_by_role": r.reported_by.role.value,
    }


def _declaration_json(d: Declaration) -> dict[str, Any]:
    return {
        "declaration_id": str(d.declaration_id),
        "declared_on": d.declared_at.astimezone(VIETNAM_TIME).date().isoformat(),  # the day in Viet Nam
        "symptoms": d.symptoms.text,
        "exposure": d.exposure.text,
        "travel": d.travel.text,
        "has_symptoms": d.has_symptoms,
        "declared_by_role": d.declared_by.role.value,
    }


@dataclass(frozen=True)
class PersonRecord:
    """What staff and the person see of a record, personal data decrypted (or "[erased]")."""

    person_id: UUID
    national_id: str | None
    full_name: str
    date_of_birth: str
    birth_year: int
    sex: str
    phone: str | None
    ward_code: str
    province_code: str
    priority_group: str
    guardian_id: UUID | None
    dependant_ids: tuple[UUID, ...]
    doses: tuple[Dose, ...]
    reactions: tuple[Reaction, ...]
    erased: bool
    version: int = field(default=0, compare=False)
    declarations: tuple[Declaration, ...] = ()  # newest last
    next_dose_number: int = field(default=1, compare=False)  # Person.next_dose_number, computed once
    claimed_national_id: str | None = None  # typed online, waiting for staff to see the card

    @classmethod
    def of(cls, person: Person) -> PersonRecord:
        """The record of a Person aggregate."""
        return cls(
            person_id=person.id,
            national_id=person.national_id.text if person.national_id else None,
            full_name=person.full_name.text,
            date_of_birth=person.date_of_birth.text,
            birth_year=person.birth_year,
            sex=str(person.sex),
            phone=person.phone.text if person.phone else None,
            ward_code=person.ward_code,
            province_code=person.province_code,
            priority_group=person.priority_group,
            guardian_id=person.guardian_id,
            dependant_ids=tuple(person.dependant_ids),
            doses=tuple(person.active_doses),
            reactions=tuple(person.reactions),
            erased=person.erased or person.full_name.erased,
            version=person.version,
            declarations=tuple(person.health_declarations),
            next_dose_number=person.next_dose_number,
            claimed_national_id=person.pending_national_id.text if person.pending_national_id else None,
        )

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for `--json` and the web API)."""
        return {
            "person_id": str(self.person_id),
            "national_id": self.national_id,
            "full_name": self.full_name,
            "date_of_birth": self.date_of_birth,
            "sex": self.sex,
            "phone": self.phone,
            "ward_code": self.ward_code,
            "province_code": self.province_code,
            "priority_group": self.priority_group,
            "guardian_id": str(self.guardian_id) if self.guardian_id else None,
            "dependant_ids": [str(d) for d in self.dependant_ids],
            "doses": [_dose_json(d) for d in self.doses],
            "reactions": [_reaction_json(r) for r in self.reactions],
            "declarations": [_declaration_json(d) for d in self.declarations],
            "erased": self.erased,
        }

    @property
    def display_name(self) -> str:
        """The name, or "[erased]"."""
        return ERASED_TEXT if self.erased else self.full_name

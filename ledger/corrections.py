"""Use cases: correcting a registration (name, sex, date of birth, phone) and erasing a person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger import checks, permissions
from ledger.base import LedgerBase
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import BirthDateInFuture
from ledger.rules import check_name_transliterable
from ledger.values import Actor, PartialDate, PersonalData, Sex, normalise_name, normalise_phone


class CorrectionCommands(LedgerBase):
    """Corrections are events with a reason, never edits; erasure shreds the person's key."""

    def _correct(
        self,
        command: str,
        person_id: UUID,
        args: dict[str, Any],
        idempotency_key: str,
        act: Callable[[Person, datetime], None],
        actor: Actor,
    ) -> None:
        person_id = checks.as_uuid(person_id, "person")

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            permissions.require_may_correct(
                actor, command, person.id, person.guardian_id, person.sites_that_know()
            )
            act(person, at)
            return Outcome([person], {})

        self.run_command(command, idempotency_key, {"p": person_id, **args, "actor": actor}, attempt)

    def check_may_correct(self, *, person_id: UUID, command: str, actor: Actor) -> None:
        """NotPermitted now if `actor` may not run this correction (before a confirmation code is sent)."""
        person = self.get_person(checks.as_uuid(person_id, "person"))
        permissions.require_may_correct(
            actor, command, person.id, person.guardian_id, person.sites_that_know()
        )

    def correct_name(
        self, *, person_id: UUID, full_name: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct a person's full name, with a reason."""
        name = normalise_name(full_name)
        check_name_transliterable(name)
        why = checks.text(reason, "reason", 500)
        self._correct(
            "correct_name",
            person_id,
            {"v": name, "why": why},
            idempotency_key,
            lambda p, at: p.correct_name(full_name=PersonalData(p.id, name), reason=why, actor=actor, at=at),
            actor,
        )

    def correct_sex(
        self, *, person_id: UUID, sex: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct a person's recorded sex, with a reason."""
        the_sex = checks.as_enum(Sex, sex, "sex")
        why = checks.text(reason, "reason", 500)
        self._correct(
            "correct_sex",
            person_id,
            {"v": the_sex.value, "why": why},
            idempotency_key,
            lambda p, at: p.correct_sex(sex=the_sex, reason=why, actor=actor, at=at),
            actor,
        )

    def correct_date_of_birth(
        self, *, person_id: UUID, date_of_birth: str, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct a person's date of birth, with a reason (no recorded dose may fall before it)."""
        dob = PartialDate.parse(date_of_birth)
        if dob.earliest() > self.today():
            raise BirthDateInFuture(
                f"The date of birth {dob} is in the future: check it.",
                date_of_birth=dob.earliest(),
                today=self.today(),
            )
        why = checks.text(reason, "reason", 500)
        self._correct(
            "correct_date_of_birth",
            person_id,
            {"v": dob.isoformat(), "why": why},
            idempotency_key,
            lambda p, at: p.correct_date_of_birth(
                date_of_birth=PersonalData(p.id, dob.isoformat()),
                birth_year=dob.year,
                earliest=dob.earliest(),
                reason=why,
                actor=actor,
                at=at,
            ),
            actor,
        )

    def correct_phone(
        self, *, person_id: UUID, phone: str | None, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Correct (or remove, with None) a person's phone number, with a reason."""
        number = normalise_phone(phone) if phone is not None else None
        why = checks.text(reason, "reason", 500)
        self._correct(
            "correct_phone",
            person_id,
            {"v": number, "why": why},
            idempotency_key,
            lambda p, at: p.correct_phone(
                phone=PersonalData(p.id, number) if number else None, reason=why, actor=actor, at=at
            ),
            actor,
        )

    def erase_person(self, *, person_id: UUID, reason: str, actor: Actor, idempotency_key: str) -> None:
        """Erase a person: record the erasure, then destroy their key and national ID index entry.

        A province officer erases only people of their own province (an officer without a province
        erases nobody), checked here against the person's record like every other province limit."""
        person_id = checks.as_uuid(person_id, "person")
        why = checks.text(reason, "reason", 500)
        permissions.require_eraser(actor)

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            permissions.require_in_province(actor, person.province_code)
            person.erase(reason=why, actor=actor, at=at)
            return Outcome([person], {})

        self.run_command(
            "erase_person", idempotency_key, {"p": person_id, "why": why, "actor": actor}, attempt
        )
        # After the event is safely stored (and again on any retry): shred.
        self.keys.forget_person(person_id)

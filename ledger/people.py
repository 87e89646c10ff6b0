"""Use cases: registering people and families, and finding them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks, permissions
from ledger.base import LedgerBase
from ledger.checks import CheckedPerson
from ledger.claims import WithEvents
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import (
    DuplicateNationalId,
    InvalidInput,
    LedgerError,
    NationalIdInvalid,
    PersonErasedError,
    PersonNotFound,
    RuleViolation,
)
from ledger.records import PersonRecord, PersonRequest
from ledger.rules import check_name_transliterable
from ledger.values import Actor, NationalId, PersonalData, Relationship, Sex, normalise_name, normalise_phone


class PeopleCommands(LedgerBase):
    """Register people and dependants, link guardians, look people up."""

    def register_person(
        self,
        *,
        national_id: str | None,
        full_name: str,
        date_of_birth: str,
        sex: str,
        phone: str | None,
        ward_code: str,
        priority_group: str,
        actor: Actor,
        idempotency_key: str,
        guardian_id: UUID | None = None,
        relationship: str | None = None,
    ) -> UUID:
        """Register a person (one per national ID); with `guardian_id`, a dependant managed by that guardian."""
        request = PersonRequest(
            national_id=national_id,
            full_name=full_name,
            date_of_birth=date_of_birth,
            sex=sex,
            phone=phone,
            ward_code=ward_code,
            priority_group=priority_group,
            guardian_id=guardian_id,
            relationship=relationship,
        )
        return self._register("register_person", [request], actor, idempotency_key)[0]

    def register_people(
        self, batch: Sequence[PersonRequest], *, actor: Actor, idempotency_key: str
    ) -> list[UUID]:
        """Register many people in one transaction (all or nothing; one idempotency key for the batch)."""
        checks.batch_size(len(batch), "person", "people")
        return self._register("register_people", list(batch), actor, idempotency_key)

    def _check_person(self, request: PersonRequest, actor: Actor, today: date) -> CheckedPerson:
        """Validate one registration, turning strings into domain values."""
        if not isinstance(request, PersonRequest):
            raise InvalidInput("Each person must be a PersonRequest.")
        number = NationalId(request.national_id).number if request.national_id is not None else None
        if number is not None and len(number) == 12 and number[1:3] not in self.reference.provinces:
            raise NationalIdInvalid(
                f"A CCCD starts with 0 and a province code; {number[:3]} is not one: check the card."
            )
        name = normalise_name(request.full_name)
        check_name_transliterable(name)
        dob = checks.date_of_birth(request.date_of_birth, today)
        the_sex = checks.as_enum(Sex, request.sex, "sex")
        the_phone = normalise_phone(request.phone) if request.phone is not None else None
        ward = self.reference.ward(request.ward_code)
        group = self.reference.priority_group(request.priority_group)
        guardian_id: UUID | None = None
        relationship: str | None = None
        if request.guardian_id is None:
            if number is None:
                raise InvalidInput(
                    "Only a dependant may be registered without a national ID number: give the guardian."
                )
            if request.relationship is not None:
                raise InvalidInput("A relationship is only given for a dependant: give the guardian id too.")
        else:
            guardian_id = checks.as_uuid(request.guardian_id, "guardian")
            relationship = checks.as_enum(Relationship, request.relationship or "other", "relationship").value
        permissions.require_may_register(actor, guardian_id)
        return CheckedPerson(
            number,
            name,
            dob,
            the_sex,
            the_phone,
            ward.code,
            ward.province_code,
            group.code,
            guardian_id,
            relationship,
        )

    def _register(
        self, command: str, batch: list[PersonRequest], actor: Actor, idempotency_key: str
    ) -> list[UUID]:
        today = self.today()
        checked: list[CheckedPerson] = []
        numbers: set[str] = set()
        for index, request in enumerate(batch):
            try:
                item = self._check_person(request, actor, today)
                if item.number is not None and item.number in numbers:
                    raise DuplicateNationalId(
                        "The same national ID number appears twice in this batch: remove one."
                    )
            except LedgerError as exc:
                if len(batch) == 1:
                    raise
                raise exc.again(f"person {index + 1} of the batch: ") from exc
            if item.number is not None:
                numbers.add(item.number)
            checked.append(item)
        args = {"people": [c.fields() for c in checked], "actor": actor}

        # The same ids on every attempt (a retry after a lost connection, ledger/failover.py, finds its
        # first attempt's receipt if that one was saved). The person's data key and the national-ID claim
        # are written with the events, in their transaction (ledger.claims): all or nothing.
        ids = [self.new_id() for _ in checked]

        # A number typed online by a citizen is held, not claimed, until staff see the card at the first
        # visit: the same answer whether it is free or taken, and no phone can take it (issue 12, item 10).
        held = permissions.national_id_is_held(actor)
        digest = self.keys.national_id_digest
        numbered = [
            (digest(c.number), person_id) for c, person_id in zip(checked, ids, strict=True) if c.number
        ]

        def attempt(at: datetime) -> Outcome:
            wrapped = self.keys.prepare_keys(ids)  # sealing below uses them; stored with the events
            try:
                guardians = self.get_people([c.guardian_id for c in checked if c.guardian_id is not None])
                people: list[Aggregate] = []
                for index, (c, person_id) in enumerate(zip(checked, ids, strict=True)):
                    people.append(
                        Person(  # type: ignore[call-arg]
                            id=person_id,
                            actor=actor,
                            at=at,
                            national_id=PersonalData(person_id, c.number)
                            if c.number is not None and not held
                            else None,
                            full_name=PersonalData(person_id, c.name),
                            date_of_birth=PersonalData(person_id, c.dob.isoformat()),
                            birth_year=c.dob.year,
                            sex=c.sex,
                            phone=PersonalData(person_id, c.phone) if c.phone is not None else None,
                            ward_code=c.ward_code,
                            province_code=c.province_code,
                            priority_group=c.priority_group,
                            guardian_id=c.guardian_id,
                        )
                    )
                    if held and c.number is not None:
                        people[-1].hold_national_id(  # type: ignore[attr-defined]
                            national_id=PersonalData(person_id, c.number), actor=actor, at=at
                        )
                    if c.guardian_id is not None:
                        guardian = guardians.get(c.guardian_id)
                        where = f"person {index + 1} of the batch: " if len(checked) > 1 else ""
                        if guardian is None:
                            raise PersonNotFound(
                                f"{where}No guardian {c.guardian_id}: register the guardian first."
                            )
                        guardian.add_dependant(person_id, c.relationship or "other", actor, at)
            except BaseException:
                self.keys.settle(ids, saved=False)
                raise
            writes = WithEvents(
                at=at,
                keys=wrapped,
                claims=[] if held else numbered,
                holds=numbered if held else [],
                refuse_held=not held,  # a number someone typed online is confirmed, not registered again
            )
            return Outcome(
                [*people, *guardians.values()], {"person_ids": [i.hex for i in ids]}, with_events=writes
            )

        result = self.run_command(command, idempotency_key, args, attempt)
        return [UUID(i) for i in result["person_ids"]]

    def confirm_national_id(self, *, person_id: UUID, actor: Actor, idempotency_key: str) -> None:
        """Staff saw the ID card: the number the citizen typed becomes theirs (one person per number)."""
        person_id = checks.as_uuid(person_id, "person")
        permissions.require_staff(actor, "health staff confirm an ID card")

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            held = person.pending_national_id
            if held is None or held.text is None:
                raise RuleViolation("This person has no national ID number waiting for confirmation.")
            person.confirm_national_id(actor=actor, at=at)
            # The claim is written with the event (ledger.claims): refused there if the number is
            # someone else's; this person's hold goes (others who typed the number keep theirs).
            writes = WithEvents(
                at=at,
                claims=[(self.keys.national_id_digest(held.text), person_id)],
                release_holds=[person_id],
            )
            return Outcome([person], {}, with_events=writes)

        self.run_command("confirm_national_id", idempotency_key, {"p": person_id, "actor": actor}, attempt)

    def link_dependant(
        self, *, guardian_id: UUID, dependant_id: UUID, relationship: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Let a guardian manage an already registered person (e.g. an elderly parent with their own ID).

        Staff only: they saw both people (a citizen adds dependants by registering them; linking any record
        by its id would hand that person's health book to another household). Atomic like a registration:
        the guardian's `DependantAdded` and the dependant's `GuardianLinked` are saved together, so a
        concurrent erasure or another guardian's link conflicts and is refused on retry; and the
        dependant's national ID is checked in the events' transaction (ledger.claims): still theirs, and
        held by nobody else who typed it online (that would be the same person twice in the family: confirm
        that registration's card instead)."""
        guardian_id = checks.as_uuid(guardian_id, "guardian")
        dependant_id = checks.as_uuid(dependant_id, "dependant")
        rel = checks.as_enum(Relationship, relationship, "relationship").value
        permissions.require_staff(actor, "health staff link an already registered person to a guardian")
        if guardian_id == dependant_id:
            raise RuleViolation("A person cannot be their own guardian: choose the guardian's record.")

        def attempt(at: datetime) -> Outcome:
            people = self.get_people([guardian_id, dependant_id])
            guardian, dependant = people.get(guardian_id), people.get(dependant_id)
            if guardian is None:
                raise PersonNotFound(f"No guardian {guardian_id}: register the guardian first.")
            if dependant is None:
                raise PersonNotFound(f"No person {dependant_id}: check the id.")
            if dependant.erased:
                raise PersonErasedError("That person was erased: they cannot be linked.")
            guardian.add_dependant(dependant_id, rel, actor, at)
            dependant.link_guardian(guardian_id, rel, actor, at)
            number = dependant.national_id.text if dependant.national_id is not None else None
            writes = (
                WithEvents(
                    at=at, claims=[(self.keys.national_id_digest(number), dependant_id)], refuse_held=True
                )
                if number
                else None
            )
            return Outcome([guardian, dependant], {}, with_events=writes)

        self.run_command(
            "link_dependant",
            idempotency_key,
            {"g": guardian_id, "d": dependant_id, "rel": rel, "actor": actor},
            attempt,
        )

    def find_person(self, national_id: str) -> UUID | None:
        """The id of the person registered with that national ID number (keyed-hash index), or None."""
        return self.keys.find_national_id(NationalId(national_id).number)

    def person_by_national_id(self, national_id: str) -> PersonRecord:
        """The record of the person registered with that national ID number."""
        person_id = self.find_person(national_id)
        if person_id is None or not self.exists(person_id):
            raise PersonNotFound(
                "No person is registered with that national ID number: check it or register them."
            )
        return self.person_record(person_id)

    def person_record(self, person_id: UUID) -> PersonRecord:
        """A person's record with personal data decrypted (or "[erased]")."""
        return PersonRecord.of(self.get_person(person_id))

    def dependants(self, guardian_id: UUID) -> list[PersonRecord]:
        """The records a guardian manages."""
        guardian = self.get_person(guardian_id)
        people = self.get_people(guardian.dependant_ids)
        return [PersonRecord.of(people[d]) for d in guardian.dependant_ids if d in people]

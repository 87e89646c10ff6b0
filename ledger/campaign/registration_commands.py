"""Use cases: registering for vaccination (by hand, or automatically when a next dose falls due)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks
from ledger.campaign import permissions
from ledger.campaign.base import CampaignBase
from ledger.campaign.errors import AlreadyRegistered
from ledger.campaign.registrations import Registration
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.texts import next_dose_text
from ledger.campaign.values import Language, MessageKind, RegistrationStatus, registration_id, schedule_id
from ledger.commands import Outcome
from ledger.domainmodel import Person
from ledger.errors import InvalidInput, PersonErasedError, PersonNotFound, SiteNotFound
from ledger.reference import Ward
from ledger.values import Actor, Role

SYSTEM = Actor("campaign-scheduler", Role.SYSTEM)


@dataclass(frozen=True)
class RegistrationMade:
    """What registering gives back."""

    registration_id: UUID
    person_id: UUID
    dose_number: int
    due_on: date
    renewed: bool


@dataclass(frozen=True)
class RegistrationEntry:
    """One person of a batch registration (`register_many_for_vaccination`)."""

    person_id: UUID
    priority_group: str
    site_id: UUID | None = None
    ward_code: str | None = None
    language: str = "vi"


class RegistrationCommands(CampaignBase):
    """Register for a dose, withdraw, and register next doses as they fall due."""

    def next_dose(self, person: Person) -> tuple[int, str | None, date | None]:
        """The next dose's number, the previous dose's product, and the earliest day it may be given:
        the product's interval by the one rule, `Reference.min_days_between` (a mix may wait longer:
        the planner adds `extra_wait_days` for the product it books)."""
        doses = person.active_doses
        if not doses:
            return 1, None, None
        last = doses[-1]
        interval = self.reference.min_days_between(last.product, last.product) or 0
        return len(doses) + 1, last.product, last.administered_on + timedelta(days=interval)

    def register_for_vaccination(
        self,
        *,
        person_id: UUID,
        priority_group: str,
        actor: Actor,
        idempotency_key: str,
        site_id: UUID | None = None,
        ward_code: str | None = None,
        language: str = "vi",
    ) -> RegistrationMade:
        """Put a person in the queue for their next dose (a preferred site, else a ward, else home ward)."""
        person_id = checks.as_uuid(person_id, "person")
        group = self.reference.priority_group(priority_group)
        lang = checks.as_enum(Language, language, "language")
        site = checks.as_uuid(site_id, "site") if site_id is not None else None
        ward = self.reference.ward(ward_code) if ward_code is not None else None
        schedule: SiteSchedule | None = None
        if site is not None:
            schedule = self.maybe(SiteSchedule, schedule_id(site))
            if schedule is None:
                raise SiteNotFound(f"No vaccination site {site}: choose a site from `immunize site list`.")
        person = self.get_person(person_id)
        permissions.require_registrant(actor, person.id, person.guardian_id)
        if person.erased:
            raise PersonErasedError("This person was erased: register them again if they come back.")
        args = {
            "p": person_id,
            "g": group.code,
            "site": site,
            "ward": ward.code if ward else None,
            "lang": lang.value,
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            registration, made = self._registration(
                self.get_person(person_id), group.code, group.rank, lang, site, schedule, ward, actor, at
            )
            return Outcome([registration], _result(made))

        return _made(self.run_command("register_for_vaccination", idempotency_key, args, attempt))

    def _registration(
        self,
        current: Person,
        group: str,
        rank: int,
        lang: Language,
        site: UUID | None,
        schedule: SiteSchedule | None,
        ward: Ward | None,
        actor: Actor,
        at: datetime,
    ) -> tuple[Registration, RegistrationMade]:
        """The registration for a person's next dose (a withdrawn one renewed), or AlreadyRegistered."""
        number, previous, earliest = self.next_dose(current)
        today = self.today()
        due = max(today, earliest) if earliest else today
        if schedule is not None:
            home_ward, province = schedule.ward_code, schedule.province_code
        elif ward is not None:
            home_ward, province = ward.code, ward.province_code
        else:
            home_ward, province = current.ward_code, current.province_code
        reg_id = registration_id(current.id, number)
        existing = self.maybe(Registration, reg_id)
        if existing is not None:
            if existing.status is not RegistrationStatus.WITHDRAWN:
                raise AlreadyRegistered(
                    f"This person is already registered for dose {number} ({existing.status.value}): "
                    "see their place in the queue instead of registering again.",
                    dose_number=number,
                )
            existing.renew(
                priority_group=group,
                priority_rank=rank,
                site_id=site,
                language=lang.value,
                actor=actor,
                at=at,
            )
            return existing, RegistrationMade(reg_id, current.id, number, existing.due_on, True)
        registration = Registration(  # type: ignore[call-arg]
            id=reg_id,
            actor=actor,
            at=at,
            person_id=current.id,
            dose_number=number,
            priority_group=group,
            priority_rank=rank,
            ward_code=home_ward,
            province_code=province,
            site_id=site,
            previous_product=previous,
            due_on=due,
            language=lang.value,
            automatic=False,
        )
        return registration, RegistrationMade(reg_id, current.id, number, due, False)

    def register_many_for_vaccination(
        self, entries: Sequence[RegistrationEntry], *, actor: Actor, idempotency_key: str
    ) -> list[RegistrationMade]:
        """Register many people for their next dose in one transaction (a site's paper list typed in, an
        import, the simulator): the same checks as one registration each. A person already registered
        for their next dose is left out of the result; any other refusal refuses the whole batch."""
        checks.batch_size(len(entries), "registration", "registrations")
        checked: list[tuple[UUID, str, int, Language, UUID | None, str | None]] = []
        for entry in entries:
            if not isinstance(entry, RegistrationEntry):
                raise InvalidInput("Each registration must be a RegistrationEntry.")
            group = self.reference.priority_group(entry.priority_group)
            ward = self.reference.ward(entry.ward_code) if entry.ward_code is not None else None
            checked.append(
                (
                    checks.as_uuid(entry.person_id, "person"),
                    group.code,
                    group.rank,
                    checks.as_enum(Language, entry.language, "language"),
                    checks.as_uuid(entry.site_id, "site") if entry.site_id is not None else None,
                    ward.code if ward else None,
                )
            )
        if len({c[0] for c in checked}) != len(checked):
            raise InvalidInput("The same person appears twice in this batch: register each person once.")
        schedules = self.many(SiteSchedule, [schedule_id(c[4]) for c in checked if c[4] is not None])
        for c in checked:
            if c[4] is not None and schedule_id(c[4]) not in schedules:
                raise SiteNotFound(f"No vaccination site {c[4]}: choose a site from `immunize site list`.")
        args = {
            "entries": [[c[0], c[1], c[4], c[5], c[3].value] for c in checked],
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            people = self.get_people([c[0] for c in checked])
            saved: list[Aggregate] = []
            made: list[RegistrationMade] = []
            for person_id, group, rank, lang, site, ward_code in checked:
                person = people.get(person_id)
                if person is None:
                    raise PersonNotFound(f"No person {person_id}: register the person first.")
                permissions.require_registrant(actor, person.id, person.guardian_id)
                if person.erased:
                    raise PersonErasedError("This person was erased: register them again if they come back.")
                schedule = schedules.get(schedule_id(site)) if site is not None else None
                ward = self.reference.ward(ward_code) if ward_code is not None else None
                try:
                    registration, one = self._registration(
                        person, group, rank, lang, site, schedule, ward, actor, at
                    )
                except AlreadyRegistered:
                    continue
                saved.append(registration)
                made.append(one)
            return Outcome(saved, {"made": [_result(m) for m in made]})

        result = self.run_command("register_many_for_vaccination", idempotency_key, args, attempt)
        return [_made(m) for m in result["made"]]

    def withdraw_registration(
        self, *, registration_id: UUID, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Leave the queue (cancel the appointment first)."""
        reg_id = checks.as_uuid(registration_id, "registration")
        reason = checks.text(reason, "reason", 500, required=False)

        def attempt(at: datetime) -> Outcome:
            registration = self.registration(reg_id)
            person = self.get_person(registration.person_id)
            permissions.require_queue_actor(
                actor,
                person.id,
                person.guardian_id,
                province_code=registration.province_code,
                ward_code=registration.ward_code,
                site_id=registration.site_id,
                actor_ward=self.actor_ward(actor),
            )
            registration.withdraw(reason=reason, actor=actor, at=at)
            return Outcome([registration], {})

        self.run_command(
            "withdraw_registration", idempotency_key, {"r": reg_id, "why": reason, "actor": actor}, attempt
        )

    def register_due_doses(self, person_ids: Sequence[UUID], *, day: date, idempotency_key: str) -> int:
        """Register each person whose next primary-series dose is due on or before `day` and who has no
        registration for it yet, and tell them (the "next dose due" message); returns how many."""
        ids = [checks.as_uuid(p, "person") for p in person_ids]
        args = {"people": "".join(p.hex for p in ids), "day": day}

        def attempt(at: datetime) -> Outcome:
            people = self.get_people(ids)
            wanted: dict[UUID, tuple[Person, int, str | None, date]] = {}
            for person in people.values():
                if person.erased or not person.active_doses:
                    continue
                number, previous, earliest = self.next_dose(person)
                vaccine = self.reference.vaccines.get(previous or "")
                if vaccine is None or number > vaccine.doses_in_primary_series or earliest is None:
                    continue
                if earliest > day:
                    continue
                wanted[registration_id(person.id, number)] = (person, number, previous, earliest)
            existing = self.many(Registration, list(wanted))
            earlier = self.many(
                Registration, [registration_id(p.id, n - 1) for p, n, _, _ in wanted.values()]
            )
            saved: list[object] = []
            for reg_id, (person, number, previous, earliest) in wanted.items():
                if reg_id in existing:
                    continue
                before = earlier.get(registration_id(person.id, number - 1))
                group = self.reference.priority_groups.get(
                    before.priority_group if before else person.priority_group
                )
                rank = group.rank if group else len(self.reference.priority_groups)
                language = before.language if before else Language.VI
                registration = Registration(  # type: ignore[call-arg]
                    id=reg_id,
                    actor=SYSTEM,
                    at=at,
                    person_id=person.id,
                    dose_number=number,
                    priority_group=group.code if group else person.priority_group,
                    priority_rank=rank,
                    ward_code=before.ward_code if before else person.ward_code,
                    province_code=before.province_code if before else person.province_code,
                    site_id=before.site_id if before else None,
                    previous_product=previous,
                    due_on=earliest,
                    language=language.value,
                    automatic=True,
                )
                saved.append(registration)
                message = self.message(
                    person_id=person.id,
                    kind=MessageKind.NEXT_DOSE_DUE,
                    text=next_dose_text(number, earliest, language),
                    language=language,
                    cause=reg_id,
                    actor=SYSTEM,
                    at=at,
                )
                saved.append(message)
            return Outcome(saved, {"n": sum(isinstance(a, Registration) for a in saved)})  # type: ignore[arg-type]

        return int(self.run_command("register_due_doses", idempotency_key, args, attempt)["n"])


def _result(made: RegistrationMade) -> dict[str, object]:
    return {
        "r": made.registration_id.hex,
        "p": made.person_id.hex,
        "n": made.dose_number,
        "due": made.due_on.isoformat(),
        "renewed": made.renewed,
    }


def _made(result: dict[str, object]) -> RegistrationMade:
    return RegistrationMade(
        UUID(hex=str(result["r"])),
        UUID(hex=str(result["p"])),
        int(str(result["n"])),
        date.fromisoformat(str(result["due"])),
        bool(result["renewed"]),
    )

"""Use cases: registering for vaccination (by hand, or automatically when a next dose falls due)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

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
from ledger.errors import PersonErasedError, SiteNotFound
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


class RegistrationCommands(CampaignBase):
    """Register for a dose, withdraw, and register next doses as they fall due."""

    def next_dose(self, person: Person) -> tuple[int, str | None, date | None]:
        """The next dose's number, the previous dose's product, and the earliest day it may be given."""
        doses = person.active_doses
        if not doses:
            return 1, None, None
        last = doses[-1]
        vaccine = self.reference.vaccines.get(last.product)
        interval = vaccine.min_interval_days if vaccine and vaccine.min_interval_days else 0
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
            current = self.get_person(person_id)
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
                    priority_group=group.code,
                    priority_rank=group.rank,
                    site_id=site,
                    language=lang.value,
                    actor=actor,
                    at=at,
                )
                made = RegistrationMade(reg_id, current.id, number, existing.due_on, True)
                return Outcome([existing], _result(made))
            registration = Registration(  # type: ignore[call-arg]
                id=reg_id,
                actor=actor,
                at=at,
                person_id=current.id,
                dose_number=number,
                priority_group=group.code,
                priority_rank=group.rank,
                ward_code=home_ward,
                province_code=province,
                site_id=site,
                previous_product=previous,
                due_on=due,
                language=lang.value,
                automatic=False,
            )
            made = RegistrationMade(reg_id, current.id, number, due, False)
            return Outcome([registration], _result(made))

        return _made(self.run_command("register_for_vaccination", idempotency_key, args, attempt))

    def withdraw_registration(
        self, *, registration_id: UUID, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Leave the queue (cancel the appointment first)."""
        reg_id = checks.as_uuid(registration_id, "registration")
        reason = checks.text(reason, "reason", 500, required=False)

        def attempt(at: datetime) -> Outcome:
            registration = self.registration(reg_id)
            person = self.get_person(registration.person_id)
            permissions.require_registrant(actor, person.id, person.guardian_id)
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

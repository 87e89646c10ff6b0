"""Use cases: adverse reactions, their follow-ups, and health declarations."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from ledger import checks, permissions
from ledger.base import LedgerBase
from ledger.commands import Outcome
from ledger.errors import InvalidInput, OnsetInFuture
from ledger.values import Actor, PersonalData, Severity


class ReportCommands(LedgerBase):
    """What citizens, guardians and staff report about a person's health."""

    def report_reaction(
        self,
        *,
        person_id: UUID,
        onset: date,
        symptoms: str,
        severity: str,
        actor: Actor,
        idempotency_key: str,
        dose_id: UUID | None = None,
    ) -> UUID:
        """Report an adverse reaction (by the person, a guardian or staff); returns the reaction id."""
        person_id = checks.as_uuid(person_id, "person")
        onset = checks.as_date(onset, "onset date")
        text = checks.text(symptoms, "symptoms", 2_000)
        level = checks.as_enum(Severity, severity, "severity")
        the_dose = checks.as_uuid(dose_id, "dose") if dose_id is not None else None
        if onset > self.today():
            raise OnsetInFuture(
                f"The onset date {onset} is in the future: check it.", onset=onset, today=self.today()
            )
        args = {
            "p": person_id,
            "onset": onset,
            "sym": text,
            "sev": level.value,
            "dose": the_dose,
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            permissions.require_acts_for(actor, person.id, person.guardian_id)
            reaction_id = self.new_id()
            person.report_reaction(
                reaction_id=reaction_id,
                dose_id=the_dose,
                onset=onset,
                symptoms=PersonalData(person.id, text),
                severity=level,
                actor=actor,
                at=at,
            )
            return Outcome([person], {"reaction_id": reaction_id.hex})

        return UUID(self.run_command("report_reaction", idempotency_key, args, attempt)["reaction_id"])

    def record_follow_up(
        self,
        *,
        person_id: UUID,
        reaction_id: UUID,
        outcome: str,
        resolved: bool,
        actor: Actor,
        idempotency_key: str,
    ) -> None:
        """Staff record a follow-up of a reaction (serious reactions need one that resolves them)."""
        person_id = checks.as_uuid(person_id, "person")
        reaction_id = checks.as_uuid(reaction_id, "reaction")
        text = checks.text(outcome, "follow-up outcome", 2_000)
        if not isinstance(resolved, bool):
            raise InvalidInput("Say whether the follow-up resolves the reaction (true or false).")
        permissions.require_follow_up_recorder(actor)

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            person.record_follow_up(
                reaction_id=reaction_id,
                outcome=PersonalData(person.id, text),
                resolved=resolved,
                actor=actor,
                at=at,
            )
            return Outcome([person], {})

        self.run_command(
            "record_follow_up",
            idempotency_key,
            {"p": person_id, "r": reaction_id, "o": text, "res": resolved, "actor": actor},
            attempt,
        )

    def declare_health(
        self,
        *,
        person_id: UUID,
        symptoms: str,
        exposure: str,
        travel: str,
        actor: Actor,
        idempotency_key: str,
    ) -> UUID:
        """Record a health declaration (empty text means "none"); returns the declaration id."""
        person_id = checks.as_uuid(person_id, "person")
        texts = [
            checks.text(v, what, 2_000, required=False)
            for v, what in ((symptoms, "symptoms"), (exposure, "exposure"), (travel, "travel"))
        ]
        args = {"p": person_id, "t": texts, "actor": actor}

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            permissions.require_acts_for(actor, person.id, person.guardian_id)
            declaration_id = self.new_id()
            person.declare_health(
                declaration_id=declaration_id,
                symptoms=PersonalData(person.id, texts[0]),
                exposure=PersonalData(person.id, texts[1]),
                travel=PersonalData(person.id, texts[2]),
                has_symptoms=bool(texts[0]),
                actor=actor,
                at=at,
            )
            return Outcome([person], {"declaration_id": declaration_id.hex})

        return UUID(self.run_command("declare_health", idempotency_key, args, attempt)["declaration_id"])

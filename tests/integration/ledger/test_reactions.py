"""Adverse reactions and health declarations: who may report, and serious reactions need a follow-up."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from ledger.errors import InvalidInput, NotPermitted, ReactionNotFound, RuleViolation
from ledger.values import Actor, Role, Severity
from tests.integration.ledger.conftest import Campaign


def test_a_person_reports_a_mild_reaction_after_their_dose(campaign: Campaign) -> None:
    person = campaign.register()
    dose = campaign.dose(person, 1, date(2021, 8, 2))
    reaction = campaign.ledger.report_reaction(
        person_id=person,
        onset=date(2021, 8, 3),
        symptoms="sốt nhẹ",
        severity="mild",
        dose_id=dose.dose_id,
        actor=Actor(str(person), Role.CITIZEN),
        idempotency_key="r1",
    )
    [report] = campaign.ledger.person_record(person).reactions
    assert report.reaction_id == reaction
    assert (report.severity, report.symptoms.text, report.dose_id) == (Severity.MILD, "sốt nhẹ", dose.dose_id)
    assert report.reported_by.role is Role.CITIZEN
    assert not report.needs_follow_up


def test_a_serious_reaction_needs_a_follow_up_until_one_resolves_it(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 2))
    reaction = campaign.ledger.report_reaction(
        person_id=person,
        onset=date(2021, 8, 2),
        symptoms="phản vệ",
        severity="serious",
        actor=campaign.vaccinator,
        idempotency_key="r1",
    )
    assert campaign.ledger.person_record(person).reactions[0].needs_follow_up
    campaign.ledger.record_follow_up(
        person_id=person,
        reaction_id=reaction,
        outcome="observed 24 h",
        resolved=False,
        actor=campaign.vaccinator,
        idempotency_key="f1",
    )
    assert campaign.ledger.person_record(person).reactions[0].needs_follow_up
    campaign.ledger.record_follow_up(
        person_id=person,
        reaction_id=reaction,
        outcome="recovered",
        resolved=True,
        actor=campaign.vaccinator,
        idempotency_key="f2",
    )
    report = campaign.ledger.person_record(person).reactions[0]
    assert not report.needs_follow_up
    assert len(report.follow_ups) == 2


def test_only_staff_record_follow_ups(campaign: Campaign) -> None:
    person = campaign.register()
    reaction = campaign.ledger.report_reaction(
        person_id=person,
        onset=date(2021, 8, 2),
        symptoms="x",
        severity="serious",
        actor=campaign.vaccinator,
        idempotency_key="r",
    )
    with pytest.raises(NotPermitted):
        campaign.ledger.record_follow_up(
            person_id=person,
            reaction_id=reaction,
            outcome="fine",
            resolved=True,
            actor=Actor(str(person), Role.CITIZEN),
            idempotency_key="f",
        )
    with pytest.raises(ReactionNotFound):
        campaign.ledger.record_follow_up(
            person_id=person,
            reaction_id=uuid4(),
            outcome="fine",
            resolved=True,
            actor=campaign.vaccinator,
            idempotency_key="f2",
        )


def test_a_guardian_reports_for_a_dependant_but_not_for_strangers(campaign: Campaign) -> None:
    mother = campaign.register()
    guardian = Actor(str(mother), Role.GUARDIAN)
    child = campaign.register(
        national_id=None, date_of_birth="2010", guardian_id=mother, relationship="child", actor=guardian
    )
    campaign.ledger.report_reaction(
        person_id=child,
        onset=date(2021, 9, 1),
        symptoms="đau đầu",
        severity="moderate",
        actor=guardian,
        idempotency_key="r1",
    )
    stranger = campaign.register(national_id="001085099999")
    with pytest.raises(NotPermitted, match="yourself or a dependant"):
        campaign.ledger.report_reaction(
            person_id=stranger,
            onset=date(2021, 9, 1),
            symptoms="x",
            severity="mild",
            actor=guardian,
            idempotency_key="r2",
        )


def test_a_reaction_cannot_start_before_its_dose_or_in_the_future(campaign: Campaign) -> None:
    person = campaign.register()
    dose = campaign.dose(person, 1, date(2021, 8, 2))
    with pytest.raises(RuleViolation, match="before the dose"):
        campaign.ledger.report_reaction(
            person_id=person,
            onset=date(2021, 8, 1),
            symptoms="x",
            severity="mild",
            dose_id=dose.dose_id,
            actor=campaign.vaccinator,
            idempotency_key="r1",
        )
    with pytest.raises(InvalidInput, match="in the future"):
        campaign.ledger.report_reaction(
            person_id=person,
            onset=date(2021, 10, 5),
            symptoms="x",
            severity="mild",
            actor=campaign.vaccinator,
            idempotency_key="r2",
        )
    with pytest.raises(InvalidInput, match="not a severity"):
        campaign.ledger.report_reaction(
            person_id=person,
            onset=date(2021, 8, 2),
            symptoms="x",
            severity="fatal",
            actor=campaign.vaccinator,
            idempotency_key="r3",
        )


def test_a_health_declaration_is_recorded(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.ledger.declare_health(
        person_id=person,
        symptoms="ho, sốt",
        exposure="F1",
        travel="",
        actor=Actor(str(person), Role.CITIZEN),
        idempotency_key="h1",
    )
    events = [e for e in campaign.ledger.events.get(person) if type(e).__name__ == "HealthDeclared"]
    assert len(events) == 1
    assert events[0].has_symptoms
    assert (events[0].symptoms.text, events[0].exposure.text, events[0].travel.text) == ("ho, sốt", "F1", "")
    assert campaign.ledger.get_person(person).declarations == 1

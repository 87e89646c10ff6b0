"""Batch registration and a session's doses entered together: the same rules and the same events as one
at a time, in one transaction, all or nothing, on every store."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from ledger.campaign.registration_commands import RegistrationEntry
from ledger.campaign.values import registration_id
from ledger.errors import InvalidInput, LedgerError, LotNotFound, NotPermitted, PersonNotFound, RuleViolation
from ledger.values import Actor, Role
from tests.integration.campaign.conftest import ADMIN, MONDAY, OFFICER, Story


def test_a_batch_registers_everyone_once_and_skips_who_is_already_registered(story: Story) -> None:
    s = story
    people = [s.person("HEALTH_WORKER") for _ in range(4)]
    s.service.register(person=people[0], group="HEALTH_WORKER", actor=ADMIN)  # already in the queue
    entries = [RegistrationEntry(p, "HEALTH_WORKER", s.site_id) for p in people]
    entries[3] = RegistrationEntry(people[3], "CHRONIC_DISEASE_OR_OVER_65", None, "00001", "en")

    made = s.service.register_many(entries, actor=ADMIN, idempotency_key="batch-1")

    assert [m.person_id for m in made] == people[1:]
    assert all(m.dose_number == 1 and m.registration_id == registration_id(m.person_id, 1) for m in made)
    head = s.ledger.recorder.max_notification_id()
    again = s.service.register_many(entries, actor=ADMIN, idempotency_key="batch-1")
    assert again == made  # a retry answers the first result and writes nothing
    assert s.ledger.recorder.max_notification_id() == head
    rows = {r.person_id: r for r in s.service.registrations(s.site_id)}
    assert set(rows) == {str(p) for p in people}
    assert rows[str(people[3])].priority_group == "CHRONIC_DISEASE_OR_OVER_65"


def test_a_bad_entry_refuses_the_whole_batch_and_writes_nothing(story: Story) -> None:
    s = story
    people = [s.person("HEALTH_WORKER") for _ in range(2)]
    head = s.ledger.recorder.max_notification_id()
    bad_batches: list[tuple[list[RegistrationEntry], type[LedgerError]]] = [
        ([RegistrationEntry(people[0], "HEALTH_WORKER"), RegistrationEntry(uuid4(), "HEALTH_WORKER")],
         PersonNotFound),
        ([RegistrationEntry(people[0], "HEALTH_WORKER"), RegistrationEntry(people[1], "NO_SUCH_GROUP")],
         InvalidInput),
        ([RegistrationEntry(people[0], "HEALTH_WORKER"), RegistrationEntry(people[0], "HEALTH_WORKER")],
         InvalidInput),
        ([], InvalidInput),
    ]  # fmt: skip
    for n, (entries, error) in enumerate(bad_batches):
        with pytest.raises(error) as caught:
            s.service.register_many(entries, actor=ADMIN, idempotency_key=f"bad-{n}")
        assert str(caught.value).endswith(".")
        assert "\n" not in str(caught.value)
    with pytest.raises(NotPermitted):  # a citizen registers only themselves and their dependants
        s.service.register_many(
            [RegistrationEntry(p, "HEALTH_WORKER") for p in people],
            actor=Actor(str(people[0]), Role.CITIZEN),
            idempotency_key="citizen",
        )
    assert s.ledger.recorder.max_notification_id() == head


def test_a_session_list_entered_together_checks_in_and_records_each_dose(story: Story) -> None:
    s = story
    people = [s.person("HEALTH_WORKER") for _ in range(3)]
    s.service.register_many(
        [RegistrationEntry(p, "HEALTH_WORKER", s.site_id) for p in people], actor=ADMIN, idempotency_key="r"
    )
    s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    s.clock.now += timedelta(days=1)  # Monday
    day = s.service.day(s.site_id, MONDAY)
    assert day is not None
    booked = [a for session in day.sessions for a in session.appointments]
    assert len(booked) == 3

    # One unknown lot refuses the whole list: nothing is written.
    head = s.ledger.recorder.max_notification_id()
    wrong = [(a.appointment_id, s.lots[a.product]) for a in booked[:2]] + [
        (booked[2].appointment_id, uuid4())
    ]
    with pytest.raises(LotNotFound):
        s.service.record_session_doses(s.site_id, MONDAY, wrong, actor=s.vaccinator)
    with pytest.raises(NotPermitted):  # staff of another site
        s.service.record_session_doses(
            s.site_id,
            MONDAY,
            [(a.appointment_id, s.lots[a.product]) for a in booked],
            actor=Actor("elsewhere", Role.VACCINATOR, uuid4()),
        )
    assert s.ledger.recorder.max_notification_id() == head

    s.service.check_in(booked[0].appointment_id, actor=s.vaccinator)  # one arrived already
    pairs = [(a.appointment_id, s.lots[a.product]) for a in booked]
    dose_ids = s.service.record_session_doses(s.site_id, MONDAY, pairs, actor=s.vaccinator)
    assert len(set(dose_ids)) == 3
    assert s.service.record_session_doses(s.site_id, MONDAY, pairs, actor=s.vaccinator) == dose_ids  # retry

    after = s.service.day(s.site_id, MONDAY)
    assert after is not None
    statuses = {a.appointment_id: a.status for session in after.sessions for a in session.appointments}
    assert set(statuses.values()) == {"done"}
    given = s.ledger.get_people(people)
    for person_id, a, dose_id in zip([UUID(a.person_id) for a in booked], booked, dose_ids, strict=True):
        doses = given[person_id].active_doses
        assert [(d.dose_id, d.dose_number, d.product) for d in doses] == [(dose_id, 1, a.product)]
    assert not [r for r in s.service.registrations(s.site_id) if r.status == "waiting"]

    # Recording the same people again is refused (their appointments are done).
    with pytest.raises(RuleViolation):
        s.service.record_session_doses(
            s.site_id, MONDAY, pairs[:1], actor=Actor("v2", Role.VACCINATOR, s.site_id)
        )

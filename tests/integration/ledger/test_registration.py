"""Registration: one person per national ID, validated input, families under one guardian."""

from __future__ import annotations

import unicodedata
from datetime import date
from uuid import uuid4

import pytest

from ledger.errors import DuplicateNationalId, InvalidInput, NotPermitted, PersonNotFound
from ledger.records import PersonRequest
from ledger.values import Actor, Role
from tests.integration.ledger.conftest import ADMIN, Campaign


def events_written(campaign: Campaign) -> int:
    return campaign.ledger.recorder.max_notification_id() or 0


def test_a_registered_person_is_found_by_national_id(campaign: Campaign) -> None:
    person = campaign.register()
    record = campaign.ledger.person_by_national_id("001085012345")
    assert record.person_id == person
    assert (record.full_name, record.date_of_birth, record.sex) == ("Nguyễn Thị Ánh", "1985-03-02", "female")
    assert (record.ward_code, record.province_code, record.priority_group) == ("00001", "01", "HEALTH_WORKER")
    assert record.phone == "0912345678"


def test_one_person_per_national_id(campaign: Campaign) -> None:
    campaign.register()
    before = events_written(campaign)
    with pytest.raises(DuplicateNationalId, match="look them up"):
        campaign.register(full_name="Someone Else")
    assert events_written(campaign) == before


def test_a_nine_digit_cmnd_is_accepted(campaign: Campaign) -> None:
    person = campaign.register(national_id="012345678")
    assert campaign.ledger.find_person("012345678") == person


@pytest.mark.parametrize(
    "national_id",
    [
        "12345",
        "0010850123456",
        "00108501234a",
        "",
        "099085012345",
    ],  # short, long, letter, empty, no province 99
)
def test_malformed_national_ids_are_refused_and_nothing_is_written(
    campaign: Campaign, national_id: str
) -> None:
    before = events_written(campaign)
    with pytest.raises(InvalidInput):
        campaign.register(national_id=national_id)
    assert events_written(campaign) == before


def test_names_are_stored_in_nfc(campaign: Campaign) -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Thị Ánh ")
    assert decomposed != "Nguyễn Thị Ánh"
    person = campaign.register(full_name=decomposed)
    assert campaign.ledger.person_record(person).full_name == "Nguyễn Thị Ánh"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "1985-13", "not a real date"),
        ("date_of_birth", "2022", "in the future"),
        ("sex", "f", "not a sex"),
        ("phone", "12ab", "not a Vietnamese mobile number"),
        ("ward_code", "99999", "not a GSO ward code"),
        ("priority_group", "VIP", "not a priority group"),
        ("full_name", "   ", "empty"),
    ],
)
def test_every_field_is_validated(campaign: Campaign, field: str, value: str, message: str) -> None:
    before = events_written(campaign)
    with pytest.raises(InvalidInput, match=message):
        campaign.register(**{field: value})
    assert events_written(campaign) == before


def test_a_partial_date_of_birth_is_kept_as_given(campaign: Campaign) -> None:
    person = campaign.register(date_of_birth="1941")
    record = campaign.ledger.person_record(person)
    assert (record.date_of_birth, record.birth_year) == ("1941", 1941)


def test_a_guardian_manages_a_child_without_id_and_an_elderly_parent(campaign: Campaign) -> None:
    mother = campaign.register()
    guardian = Actor(str(mother), Role.GUARDIAN)
    child = campaign.register(
        national_id=None,
        full_name="Nguyễn Văn Bé",
        date_of_birth="2012-05-01",
        sex="male",
        phone=None,
        priority_group="OTHER",
        guardian_id=mother,
        relationship="child",
        actor=guardian,
    )
    grandmother = campaign.register(
        national_id="012345678",
        full_name="Lê Thị Bà",
        date_of_birth="1938",
        phone=None,
        priority_group="CHRONIC_DISEASE_OR_OVER_65",
    )
    campaign.ledger.link_dependant(  # staff, who saw both (a citizen registers dependants instead)
        guardian_id=mother,
        dependant_id=grandmother,
        relationship="parent",
        actor=ADMIN,
        idempotency_key="link-1",
    )
    family = campaign.ledger.dependants(mother)
    assert [r.person_id for r in family] == [child, grandmother]
    assert family[0].national_id is None
    assert family[0].guardian_id == mother
    assert campaign.ledger.person_record(mother).phone == "0912345678"  # one phone for the family


def test_only_a_dependant_may_lack_a_national_id(campaign: Campaign) -> None:
    with pytest.raises(InvalidInput, match="Only a dependant"):
        campaign.register(national_id=None)


def test_a_citizen_adds_dependants_only_to_their_own_account(campaign: Campaign) -> None:
    mother = campaign.register()
    stranger = Actor(str(uuid4()), Role.GUARDIAN)
    with pytest.raises(NotPermitted):
        campaign.register(
            national_id=None, date_of_birth="2012", guardian_id=mother, relationship="child", actor=stranger
        )


def test_a_dependant_needs_an_existing_guardian(campaign: Campaign) -> None:
    with pytest.raises(PersonNotFound, match="guardian"):
        campaign.register(national_id=None, date_of_birth="2012", guardian_id=uuid4(), relationship="child")


def test_a_batch_registration_is_whole_or_nothing(campaign: Campaign) -> None:
    campaign.register(national_id="001085000001")
    people = [
        PersonRequest("001085000002", "Trần Văn An", "1985", "male", None, "00001", "OTHER"),
        PersonRequest("001085000001", "Lê Văn Trùng", "1985", "male", None, "00001", "OTHER"),  # taken
    ]
    before = events_written(campaign)
    with pytest.raises(DuplicateNationalId):
        campaign.ledger.register_people(people, actor=ADMIN, idempotency_key="batch-p")
    assert events_written(campaign) == before
    # The claim on the first number was released: it registers fine now.
    assert campaign.ledger.register_people(people[:1], actor=ADMIN, idempotency_key="batch-q")
    with pytest.raises(DuplicateNationalId, match="twice in this batch"):
        campaign.ledger.register_people([people[0], people[0]], actor=ADMIN, idempotency_key="batch-r")


def test_identity_corrections_are_events_with_a_reason(campaign: Campaign) -> None:
    person = campaign.register()
    campaign.dose(person, 1, date(2021, 8, 1))  # the vaccinator's site knows the person (issue 12, item 1)
    ledger, staff = campaign.ledger, campaign.vaccinator
    ledger.correct_name(
        person_id=person, full_name="Nguyễn Thị Ánh Hồng", reason="ID card", actor=staff, idempotency_key="n"
    )
    ledger.correct_sex(person_id=person, sex="male", reason="form error", actor=staff, idempotency_key="s")
    ledger.correct_date_of_birth(
        person_id=person, date_of_birth="1985-04", reason="ID card", actor=staff, idempotency_key="d"
    )
    ledger.correct_phone(
        person_id=person,
        phone="0987654321",
        reason="new number",
        actor=Actor(str(person), Role.CITIZEN),
        idempotency_key="p",
    )
    record = ledger.person_record(person)
    assert (record.full_name, record.sex, record.date_of_birth, record.phone) == (
        "Nguyễn Thị Ánh Hồng",
        "male",
        "1985-04",
        "0987654321",
    )
    person_events = list(ledger.events.get(person))
    corrections = [e for e in person_events if hasattr(e, "reason")]
    assert [type(e).__name__ for e in corrections] == [
        "NameCorrected",
        "SexCorrected",
        "DateOfBirthCorrected",
        "PhoneCorrected",
    ]
    assert all(e.actor.actor_id in ("vaccinator-1", str(person)) for e in corrections)
    with pytest.raises(NotPermitted):
        ledger.correct_name(
            person_id=person,
            full_name="X",
            reason="me",
            actor=Actor(str(person), Role.CITIZEN),
            idempotency_key="n2",
        )


def test_every_event_records_who_and_when(campaign: Campaign) -> None:
    campaign.register()
    notifications = campaign.ledger.recorder.select_notifications(0, 1000)
    assert notifications
    for n in notifications:
        event = campaign.ledger.mapper.to_domain_event(n)
        assert event.at.tzinfo is not None
        if type(event).__name__ != "Issued":  # receipts are bookkeeping, not facts
            assert event.actor.role in Role


def test_a_batch_larger_than_one_chunk_of_claims_is_saved_on_every_store(campaign: Campaign) -> None:
    """600 numbers claimed in the events' transaction: on PostgreSQL that transaction is a pipeline, and
    reading the claims back after the batch's INSERTs read an INSERT's result instead ("the last
    operation didn't produce records") until the pipeline is synced before each read."""
    people = [
        PersonRequest(f"0010900{n:05d}", "Nguyễn Văn Lô", "1990", "male", f"09{n:08d}", "00001", "OTHER")
        for n in range(600)
    ]
    ids = campaign.ledger.register_people(people, actor=ADMIN, idempotency_key="batch-600")
    assert len(set(ids)) == 600
    assert campaign.ledger.person_by_national_id("001090000599").person_id == ids[-1]
    with pytest.raises(DuplicateNationalId):
        campaign.ledger.register_people(people[599:], actor=ADMIN, idempotency_key="batch-600-again")

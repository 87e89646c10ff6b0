"""The desk won the race: the citizen's online registration joins the record registered at the site.

A person registered at a site with their ID number (claimed) also registered online with it (held: the
same answer as for a free number). That online record could never be confirmed and their phone signed
in to a record without their doses. Staff, who see the card, join the two: the registered record takes
the phone, the family (a dependant), the health declaration and the place in the queue (original time,
same priority); the online record is erased and its hold released; nothing else is written on a
refusal. On a real SQLite file and PostgreSQL, with a change to the online record forced between the
join's read and its save (the join re-reads it and carries that too).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from ledger.application import Ledger
from ledger.campaign.registrations import Registration
from ledger.campaign.values import RegistrationStatus, registration_id
from ledger.errors import DuplicateNationalId, NotPermitted, RuleViolation
from ledger.keytables import HOLDS_TABLE
from ledger.values import Actor, Role
from tests.integration.ledger.test_link_dependant import before_its_save
from tests.integration.ledger.test_registration_atomic import ADMIN, NOW, WARD, register, rows

NUMBER = "001085040001"
PHONE = "0912000111"
NURSE = Actor("nurse-1", Role.SITE_STAFF, uuid4())


@pytest.fixture(params=["sqlite", "postgres"])
def ledgers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    clock = [NOW]
    first = Ledger(url, clock=lambda: clock[0], key_dir=tmp_path / "keys")
    second = Ledger(url, clock=lambda: clock[0], key_dir=tmp_path / "keys")
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def online_citizen(ledger: Ledger, number: str = NUMBER, phone: str = PHONE) -> UUID:
    return ledger.register_person(
        national_id=number, full_name="Nguyễn Văn An", date_of_birth="1980-01-02", sex="male", phone=phone,
        ward_code=WARD, priority_group="HEALTH_WORKER", actor=Actor(phone, Role.CITIZEN),
        idempotency_key="online-" + uuid4().hex,
    )  # fmt: skip


def dependant(ledger: Ledger, guardian: UUID, name: str) -> UUID:
    return ledger.register_person(
        national_id=None, full_name=name, date_of_birth="2012-05-01", sex="female", phone=None, ward_code=WARD,
        priority_group="OTHER", guardian_id=guardian, relationship="child",
        actor=Actor(str(guardian), Role.GUARDIAN), idempotency_key="dep-" + uuid4().hex,
    )  # fmt: skip


def join(ledger: Ledger, online: UUID, registered: UUID, actor: Actor = NURSE) -> None:
    ledger.join_online_registration(
        online_id=online, registered_id=registered, actor=actor, idempotency_key="join-" + uuid4().hex
    )


def test_the_online_registration_joins_the_record_registered_at_the_site(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    desk, online = ledgers
    registered = register(desk, NUMBER, ADMIN)  # at the site, card seen, no phone given
    citizen = online_citizen(online)  # the same number online, a moment later: held, same answer
    daughter = dependant(online, citizen, "Nguyễn Thị Bé")
    me = Actor(str(citizen), Role.CITIZEN)
    queued = online.register_for_vaccination(
        person_id=citizen, priority_group="HEALTH_WORKER", actor=me, idempotency_key="reg-" + uuid4().hex
    )
    online.declare_health(
        person_id=citizen,
        symptoms="",
        exposure="",
        travel="Đà Nẵng",
        actor=me,
        idempotency_key="d-" + uuid4().hex,
    )
    with pytest.raises(DuplicateNationalId):  # the problem: the online record can never be confirmed
        desk.confirm_national_id(person_id=citizen, actor=NURSE, idempotency_key="confirm-" + uuid4().hex)

    # A change to the online record lands between the join's read and its save (the citizen adds a
    # second child from their phone): the join's save conflicts, it re-reads and carries that child too.
    son: list[UUID] = []
    undo = before_its_save(desk, lambda: son.append(dependant(online, citizen, "Nguyễn Văn Cu")))
    try:
        join(desk, citizen, registered)
    finally:
        undo()

    record = desk.person_record(registered)
    assert record.phone == PHONE  # the citizen's phone signs in to the registered record now
    assert record.national_id == NUMBER
    assert [r.person_id for r in desk.dependants(registered)] == [daughter, son[0]]
    assert {desk.person_record(d).guardian_id for d in (daughter, son[0])} == {registered}
    assert [d.travel.text for d in desk.get_person(registered).health_declarations] == ["Đà Nẵng"]
    place = desk.maybe(Registration, registration_id(registered, 1))
    assert place is not None
    assert (place.status, place.priority_group, place.queued_at) == (
        RegistrationStatus.WAITING,
        "HEALTH_WORKER",
        desk.maybe(Registration, queued.registration_id).queued_at,  # type: ignore[union-attr]
    )
    gone = desk.maybe(Registration, queued.registration_id)
    assert gone is not None
    assert gone.status is RegistrationStatus.WITHDRAWN
    assert desk.person_record(citizen).erased
    assert desk.keys.table.load(citizen) is None  # its key shredded
    assert desk.find_person(NUMBER) == registered
    assert rows(desk, HOLDS_TABLE) == []  # its hold released

    # Sent again (a double click): the same join, nothing more.
    head = desk.recorder.max_notification_id()
    with pytest.raises(Exception):  # noqa: B017 -- erased: any refusal, and nothing written
        join(desk, citizen, registered)
    assert desk.recorder.max_notification_id() == head


def test_each_refusal_says_what_to_do_and_writes_nothing(ledgers: tuple[Ledger, Ledger]) -> None:
    desk, online = ledgers
    registered = register(desk, NUMBER, ADMIN)
    stranger = register(desk, "001085040002", ADMIN, "Trần Văn Khác")
    citizen = online_citizen(online)
    head = desk.recorder.max_notification_id()
    with pytest.raises(NotPermitted):  # only staff who saw the card
        join(desk, citizen, registered, Actor(PHONE, Role.CITIZEN))
    with pytest.raises(RuleViolation, match="same ID number"):
        join(desk, citizen, stranger)
    me = Actor(str(citizen), Role.CITIZEN)
    online.register_for_vaccination(
        person_id=citizen, priority_group="HEALTH_WORKER", actor=me, idempotency_key="reg-" + uuid4().hex
    )
    head = desk.recorder.max_notification_id()
    site = desk.register_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code=WARD, capacity_per_day=10, actor=ADMIN,
        idempotency_key="site",
    )  # fmt: skip
    lot = desk.receive_lot(
        product="EU/1/21/1529", lot_number="AZ-1", expiry=NOW.date() + timedelta(days=90), site_id=site,
        quantity=10, actor=ADMIN, idempotency_key="lot",
    )  # fmt: skip
    desk.record_dose(
        person_id=citizen, dose_number=1, product="EU/1/21/1529", lot_id=lot, administered_on=NOW.date(),
        site_id=site, actor=Actor("vaccinator-1", Role.VACCINATOR, site), idempotency_key="dose",
    )  # fmt: skip
    head = desk.recorder.max_notification_id()
    with pytest.raises(RuleViolation, match="Doses or reactions"):
        join(desk, citizen, registered)
    assert desk.recorder.max_notification_id() == head
    assert not desk.person_record(citizen).erased

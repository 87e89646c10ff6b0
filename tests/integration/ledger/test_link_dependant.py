"""Linking an already registered person to a guardian is atomic like a registration (ledger.claims).

On a real SQLite file and PostgreSQL, with two ledgers (two processes' connections) and the worst
interleavings forced (the other write commits after this link has read both people, before it saves):

- another guardian's link of the same person: one guardian, the second refused;
- the person's erasure: refused, nothing written;
- the guardian registering, online, a dependant with the person's national ID number (held, not
  claimed): refused, so one family never holds one number twice (once confirmed, once typed online);
- and a citizen cannot link any record by its id to their own account (that would hand another
  household's health book to them): staff only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.application import Ledger
from ledger.errors import NationalIdDeclaredOnline, NotPermitted, PersonErasedError, RuleViolation
from ledger.values import Actor, Role
from tests.integration.ledger.test_registration_atomic import ADMIN, WARD, open_ledger, register


@pytest.fixture(params=["sqlite", "postgres"])
def ledgers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    first, second = open_ledger(url, tmp_path), open_ledger(url, tmp_path)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def link(ledger: Ledger, guardian: UUID, dependant: UUID, actor: Actor = ADMIN) -> None:
    ledger.link_dependant(
        guardian_id=guardian,
        dependant_id=dependant,
        relationship="parent",
        actor=actor,
        idempotency_key="link-" + uuid4().hex,
    )


def before_its_save(ledger: Ledger, other_write: Callable[[], object]) -> Callable[[], None]:
    """Run `other_write` (on the other ledger) once, when this ledger's command has read the people and
    built its events, just before it saves: the other write commits in between. Returns the undo."""
    original = ledger.save
    done: list[object] = []

    def let_the_other_write_then_save(*aggregates: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(other_write())
        return original(*aggregates, **kwargs)

    ledger.save = let_the_other_write_then_save  # type: ignore[method-assign]

    def undo() -> None:
        del ledger.save
        assert done, "the other write never ran"

    return undo


def test_two_guardians_linking_one_person_at_once_give_one_guardian(ledgers: tuple[Ledger, Ledger]) -> None:
    desk, other_desk = ledgers
    grandmother = register(desk, "001038000001", ADMIN, "Lê Thị Bà")
    mother = register(desk, "001085000002", ADMIN, "Nguyễn Thị Mẹ")
    stranger = register(desk, "001085000003", ADMIN, "Trần Văn Lạ")
    undo = before_its_save(desk, lambda: link(other_desk, mother, grandmother))
    try:
        with pytest.raises(RuleViolation, match="already managed by a guardian"):
            link(desk, stranger, grandmother)
    finally:
        undo()
    assert desk.person_record(grandmother).guardian_id == mother
    assert [r.person_id for r in desk.dependants(mother)] == [grandmother]
    assert desk.dependants(stranger) == []


def test_a_person_erased_while_being_linked_is_not_linked(ledgers: tuple[Ledger, Ledger]) -> None:
    desk, other = ledgers
    grandmother = register(desk, "001038000011", ADMIN, "Lê Thị Bà")
    mother = register(desk, "001085000012", ADMIN, "Nguyễn Thị Mẹ")
    undo = before_its_save(
        desk,
        lambda: other.erase_person(
            person_id=grandmother, reason="asked", actor=ADMIN, idempotency_key="erase-" + uuid4().hex
        ),
    )
    head = other.recorder.max_notification_id()
    try:
        with pytest.raises(PersonErasedError):
            link(desk, mother, grandmother)
    finally:
        undo()
    assert desk.dependants(mother) == []
    assert desk.recorder.max_notification_id() > (head or 0)  # the erasure only: the link wrote nothing
    assert not any(type(e).__name__ == "DependantAdded" for e in desk.events.get(mother))


def test_the_guardian_typing_the_same_number_online_meanwhile_is_caught(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    """The same number twice in one family: the grandmother registered at the desk (claimed) is being
    linked when her daughter registers her online as a dependant with the same number (held). Refused
    with the sentence that tells staff to find the online registration and confirm its card."""
    desk, online = ledgers
    number = "001038000021"
    grandmother = register(desk, number, ADMIN, "Lê Thị Bà")
    mother = register(desk, "001085000022", ADMIN, "Nguyễn Thị Mẹ")
    guardian = Actor(str(mother), Role.GUARDIAN)
    typed_online: list[UUID] = []

    def registers_online() -> UUID:
        typed_online.append(
            online.register_person(
                national_id=number,
                full_name="Lê Thị Bà",
                date_of_birth="1938",
                sex="female",
                phone=None,
                ward_code=WARD,
                priority_group="OTHER",
                guardian_id=mother,
                relationship="parent",
                actor=guardian,
                idempotency_key="online-" + uuid4().hex,
            )
        )
        return typed_online[0]

    undo = before_its_save(desk, registers_online)
    try:
        with pytest.raises(NationalIdDeclaredOnline):
            link(desk, mother, grandmother)
    finally:
        undo()
    assert desk.person_record(grandmother).guardian_id is None
    assert [r.person_id for r in desk.dependants(mother)] == typed_online


def test_only_staff_link_an_already_registered_person(ledgers: tuple[Ledger, Ledger]) -> None:
    desk, _ = ledgers
    victim = register(desk, "001085000031", ADMIN, "Phạm Thị Nạn")
    attacker = register(desk, "001085000032", ADMIN, "Đỗ Văn Kẻ")
    head = desk.recorder.max_notification_id()
    for role in (Role.CITIZEN, Role.GUARDIAN):
        with pytest.raises(NotPermitted):
            link(desk, attacker, victim, Actor(str(attacker), role))
    with pytest.raises(RuleViolation, match="own guardian"):
        link(desk, attacker, attacker)
    assert desk.recorder.max_notification_id() == head
    link(desk, attacker, victim, Actor("nurse-1", Role.SITE_STAFF, uuid4()))  # staff who saw both
    assert desk.person_record(victim).guardian_id == attacker

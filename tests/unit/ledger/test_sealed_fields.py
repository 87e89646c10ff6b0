"""Every field of every stored event is either sealed with the person's key or named as clear on purpose.

The walk imports every module of the ledger and visits every event class (subclasses of the library's
DomainEvent), so a field added later to any event is checked: a `PersonalData` field must be listed in
`ledger.sealed_fields.SEALED` for its class (and the list names nothing else), and a text field must be
sealed or have a reason in `CLEAR_TEXT`. Then each sealed class is stored through a real ledger's
mapper (SQLite file) with a marker in every sealed field: the marker is never in the stored bytes, and
it comes back when the event is read.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import pkgutil
import types
import typing
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import DomainEvent

import ledger
from ledger.application import Ledger
from ledger.sealed_fields import CLEAR_TEXT, SEALED, sealed_fields
from ledger.values import Actor, PersonalData, Role

for _info in pkgutil.walk_packages(ledger.__path__, "ledger."):
    importlib.import_module(_info.name)

LIBRARY_FIELDS = {"originator_id", "originator_version", "timestamp"}


def _event_classes() -> list[type]:
    found: dict[str, type] = {}
    todo: list[type] = [DomainEvent]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] == "ledger" and dataclasses.is_dataclass(sub):
                found[f"{sub.__module__}.{sub.__qualname__}"] = sub
    return [found[k] for k in sorted(found)]


EVENTS = _event_classes()


def _hints(cls: type) -> dict[str, object]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.name not in LIBRARY_FIELDS}


def _mentions(annotation: object, kind: type) -> bool:
    """True when `kind` appears anywhere in the annotation (X, X | None, list[X], dict[str, X], ...)."""
    if annotation is kind:
        return True
    return any(_mentions(arg, kind) for arg in typing.get_args(annotation))


def test_the_walk_finds_the_events_of_every_aggregate() -> None:
    names = {c.__qualname__ for c in EVENTS}
    assert {"Person.Registered", "Person.HealthDeclared", "Message.Queued", "Certificate.Issued"} <= names
    assert {"Registration.Transferred", "SiteLotStock.Drawn", "InboundReply.Kept"} <= names
    assert len(EVENTS) > 60


@pytest.mark.parametrize("cls", EVENTS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_each_field_is_sealed_or_clear_on_purpose(cls: type) -> None:
    hints = _hints(cls)
    personal = {name for name, hint in hints.items() if _mentions(hint, PersonalData)}
    assert personal == set(sealed_fields(cls)), (
        f"{cls.__qualname__}: the PersonalData fields {sorted(personal)} must be exactly SEALED's "
        f"{sorted(sealed_fields(cls))} (ledger/sealed_fields.py)"
    )
    for name, hint in hints.items():
        if name in personal or not _mentions(hint, str):
            continue
        assert name in CLEAR_TEXT, (
            f"{cls.__qualname__}.{name} is text stored in clear: make it PersonalData (sealed) or say in "
            "ledger/sealed_fields.CLEAR_TEXT why it may be clear"
        )


def test_the_lists_name_only_fields_that_exist() -> None:
    every_field = {name for cls in EVENTS for name in _hints(cls)}
    assert set(CLEAR_TEXT) <= every_field
    for cls, names in SEALED.items():
        assert names <= set(_hints(cls)), cls.__qualname__


MARK = "SEALED-MARKER-Nguyễn"


def _value(hint: object, owner: UUID) -> object:
    """A plausible value of a field's type (a marker in every personal one)."""
    if hint is PersonalData or (_mentions(hint, PersonalData) and type(None) in typing.get_args(hint)):
        return PersonalData(owner, MARK)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return _value(next(a for a in typing.get_args(hint) if a is not type(None)), owner)
    if origin in (list, tuple):
        return []
    if origin is dict:
        return {}
    simple: dict[object, object] = {
        UUID: uuid4(),
        datetime: datetime(2021, 8, 1, tzinfo=UTC),
        date: date(2021, 8, 1),
        int: 1,
        bool: False,
        str: "x",
        Actor: Actor("staff-1", Role.ADMIN),
    }
    if hint in simple:
        return simple[hint]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint))
    raise AssertionError(f"no sample for {hint!r}")


@pytest.fixture(scope="module")
def real_ledger(tmp_path_factory: pytest.TempPathFactory) -> typing.Iterator[Ledger]:
    path: Path = tmp_path_factory.mktemp("sealed") / "ledger.db"
    opened = Ledger(f"sqlite:///{path}")
    yield opened
    opened.close()


@pytest.mark.parametrize("cls", sorted(SEALED, key=lambda c: c.__qualname__), ids=lambda c: c.__qualname__)
def test_a_sealed_field_is_never_stored_in_clear(cls: type, real_ledger: Ledger) -> None:
    owner = uuid4()
    real_ledger.keys.create_keys([owner])
    values = {name: _value(hint, owner) for name, hint in _hints(cls).items()}
    if "originator_topic" in values:
        values["originator_topic"] = f"{cls.__module__}:{cls.__qualname__.rsplit('.', 1)[0]}"
    event = cls(
        originator_id=owner, originator_version=1, timestamp=datetime(2021, 8, 1, tzinfo=UTC), **values
    )
    stored = real_ledger.mapper.to_stored_event(event)
    assert MARK.encode() not in stored.state
    assert MARK.encode("unicode_escape") not in stored.state
    back = real_ledger.mapper.to_domain_event(stored)
    for name in sealed_fields(cls):
        assert getattr(back, name).text == MARK


def test_the_name_reader_and_the_direct_encoder_follow_the_list() -> None:
    from ledger.base import _NAME, _NAME_EVENTS
    from ledger.campaign.booking_records import BOOKED_SHAPE, QUEUED_SHAPE
    from ledger.event_encoding import EventShape

    assert all(_NAME in sealed_fields(cls) for cls in _NAME_EVENTS if cls is not _NAME_EVENTS[-1])
    assert BOOKED_SHAPE.matches()
    assert QUEUED_SHAPE.matches()
    # A shape that would write the message text as plain text is never used: the library encodes.
    clear = EventShape(
        QUEUED_SHAPE.cls, tuple((n, "str" if k == "sealed" else k) for n, k in QUEUED_SHAPE.fields)
    )
    assert not clear.matches()


def test_a_stored_name_is_read_whatever_the_order_of_its_keys(real_ledger: Ledger) -> None:
    """person_names picks the sealed name out of the stored bytes: by the key, not by a pattern tied to the
    encoder's key order (a reordered or re-encoded event is still read, never missed or misread)."""
    import json as jsonlib

    from eventsourcing.persistence import StoredEvent

    person = real_ledger.register_person(
        national_id="001090000123",
        full_name="Trần Thị Bích",
        date_of_birth="1990-01-02",
        sex="female",
        phone="0912345678",
        ward_code="00001",
        priority_group="OTHER",
        actor=Actor("staff-1", Role.ADMIN),
        idempotency_key="sealed-name-order",
    )
    [first] = [s for s in real_ledger.recorder.select_events(person) if s.topic.endswith("Person.Registered")]
    state = jsonlib.loads(first.state)
    name = state.pop("full_name")
    name["_data_"] = dict(reversed(list(name["_data_"].items())))  # "c" before "o"
    for order in ({"full_name": dict(reversed(list(name.items()))), **state}, {**state, "full_name": name}):
        stored = StoredEvent(
            first.originator_id, first.originator_version, first.topic, jsonlib.dumps(order).encode()
        )
        assert real_ledger._sealed_name(stored).text == "Trần Thị Bích"
    assert real_ledger.person_names([person]) == {person: "Trần Thị Bích"}

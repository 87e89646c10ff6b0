"""Encoding a few very frequent event classes straight to the library's JSON, without its transcoder.

Booking a province's day writes two events per appointment (~240,000 in one run); the library's
transcoder spent ~40 us on each (a Python callback per UUID, time and actor). An `EventShape` lists an
event class's fields with their kinds and writes the same bytes with string joins (~5 us). The
mapper (`FastMapper`) uses a shape only when it still matches the class's fields exactly, in order,
and the store has no compressor or cipher; otherwise, and for every other class, the library encodes
as before. Decoding is always the library's. A test compares the bytes with the library's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, is_dataclass
from datetime import date, datetime
from json.encoder import encode_basestring  # what json.dumps(ensure_ascii=False) uses for strings
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from ledger.personaldata import KeyRing
from ledger.sealed_fields import sealed_fields
from ledger.values import Actor, PersonalData

Kind = str  # one of the keys of _WRITERS


def _uuid(v: UUID) -> str:
    return '{"_type_":"uuid_hex","_data_":"' + v.hex + '"}'


_DATETIMES: dict[tuple[datetime, object], str] = {}


def _datetime(v: datetime) -> str:
    # A batch writes the same few times on every event (its timestamp, `at`, a certificate's issue and
    # expiry), and an aware datetime's isoformat costs several us: each written once, then looked up. The
    # key holds the offset too: equal instants in other zones compare equal but are written differently.
    key = (v, v.utcoffset())
    found = _DATETIMES.get(key)
    if found is None:
        if len(_DATETIMES) >= 1024:
            _DATETIMES.clear()
        found = _DATETIMES[key] = '{"_type_":"datetime_iso","_data_":"' + v.isoformat() + '"}'
    return found


def _date(v: date) -> str:
    return '{"_type_":"date_iso","_data_":"' + v.isoformat() + '"}'


def _text(v: str) -> str:
    return encode_basestring(v)


def _actor(v: Actor) -> str:
    # ledger.transcodings.ActorAsList: [id, role, site hex or null] plus the province when there is one.
    items = [encode_basestring(v.actor_id), encode_basestring(v.role.value)]
    items.append('"' + v.site_id.hex + '"' if v.site_id else "null")
    if v.province_code:
        items.append(encode_basestring(v.province_code))
    return '{"_type_":"actor","_data_":[' + ",".join(items) + "]}"


_WRITERS: dict[Kind, Callable[[Any], str]] = {
    "uuid": _uuid,
    "datetime": _datetime,
    "date": _date,
    "str": _text,
    "int": lambda v: str(int(v)),
}
_NULLABLE = {"uuid?": "uuid", "str?": "str"}


@dataclass(frozen=True)
class EventShape:
    """An event class's stored fields (after originator id and version), in order, with their kinds:
    "uuid", "datetime", "date", "str", "int", "actor", "sealed" (PersonalData), or "uuid?"/"str?"
    for a value that may be None."""

    cls: type
    fields: tuple[tuple[str, Kind], ...]

    def matches(self) -> bool:
        """True while the class has exactly these fields in this order, and the shape seals exactly the
        fields ledger.sealed_fields lists for the class (else the library encodes: its transcoder seals
        every PersonalData value by its type, so nothing personal is ever written in clear here)."""
        if not is_dataclass(self.cls):
            return False
        names = [f.name for f in fields(self.cls)]
        if names != ["originator_id", "originator_version", *(n for n, _ in self.fields)]:
            return False
        return {n for n, kind in self.fields if kind == "sealed"} == sealed_fields(self.cls)


class FastMapper(Mapper[UUID]):
    """The library's mapper, writing the classes of `shapes` directly (same bytes)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fast: dict[type, tuple[str, list[tuple[str, str, Callable[[Any], str]]]]] = {}
        self._ring: KeyRing | None = None

    def use(self, ring: KeyRing, shapes: Iterable[EventShape]) -> None:
        """Write these classes directly (those whose fields still match), sealing with `ring`."""
        self._ring = ring
        if self.compressor is not None or self.cipher is not None:
            return
        for shape in shapes:
            if shape.matches():
                writers = [(name, f'"{name}":', self._writer(kind)) for name, kind in shape.fields]
                self._fast[shape.cls] = (get_topic(shape.cls), writers)

    def _writer(self, kind: Kind) -> Callable[[Any], str]:
        if kind == "actor":
            return _actor
        if kind == "sealed":
            return self._sealed
        if kind in _NULLABLE:
            inner = _WRITERS[_NULLABLE[kind]]
            return lambda v: "null" if v is None else inner(v)
        return _WRITERS[kind]

    def _sealed(self, v: PersonalData) -> str:
        assert self._ring is not None
        sealed = self._ring.seal(v)  # {"o": owner hex, "c": ...} or {"o": ..., "e": "1"}
        body = ",".join(encode_basestring(k) + ":" + encode_basestring(x) for k, x in sealed.items())
        return '{"_type_":"personal_data","_data_":{' + body + "}}"

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        fast = self._fast.get(type(domain_event))
        if fast is None:
            return super().to_stored_event(domain_event)
        topic, writers = fast
        state = vars(domain_event)
        body = ",".join(prefix + write(state[name]) for name, prefix, write in writers)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=topic,
            state=("{" + body + "}").encode("utf8"),
        )

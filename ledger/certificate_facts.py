"""What a re-issue needs of a person, their certificate index and their certificates, read from the
stored events with a plain JSON parse: no aggregate, no transcoder hooks.

A national re-issue (`immunize certificate reissue --all` after a key rotation) reads, per certificate,
the person's stream (registration, doses, corrections, reactions...), their certificate index and every
certificate they were given. Rebuilding those as aggregates decoded every event through the library's
transcoder (a Python callback per nested value: ~12 in a registration) and replayed it through the
aggregate machinery: about half of the ledger's time per certificate. Here:
- only the events that change what a certificate says are parsed (registration, name and birth-date
  corrections, doses given, corrected and voided, erasure); the person's other events are counted for
  the version and skipped unread;
- only the fields a certificate needs are taken (the sealed name and birth date stay sealed until the
  record is built; `PersonalData` opens them on first use);
- certificates and indexes keep only their ids, UCIs, dose, basis and state.

The folds follow the aggregates' own `@event` bodies in `ledger.domainmodel` and
`ledger.certificate_model` (a test compares them with the aggregates over many histories). A stream
holding anything these readers do not know (an event class not listed here, an upcast class version,
a gap in the versions) gives None, and the caller loads the aggregate instead: a new kind of event can
slow a re-issue down but never be misread by it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID, SafeUUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from ledger.certificate_model import Certificate, CertificateIndex
from ledger.domainmodel import Person
from ledger.values import PersonalData

Opener = Callable[[dict[str, str]], PersonalData]  # KeyRing.open: a sealed value, decrypted on first use

# The person's events that change what a certificate says, and those that do not (skipped unread). Every
# event class of Person is in exactly one of the two (a test checks it): a new class must be placed.
PERSON_READ: tuple[type, ...] = (
    Person.Registered,
    Person.NameCorrected,
    Person.DateOfBirthCorrected,
    Person.DoseAdministered,
    Person.DoseCorrected,
    Person.DoseVoided,
    Person.Erased,
)
PERSON_SKIPPED: tuple[type, ...] = (
    Person.DependantAdded,
    Person.GuardianLinked,  # who manages the record: not on the certificate
    Person.AdverseReactionReported,
    Person.ReactionFollowUpRecorded,
    Person.HealthDeclared,
    Person.SexCorrected,
    Person.PhoneCorrected,
    Person.NationalIdHeld,
    Person.NationalIdConfirmed,
)
CERTIFICATE_READ: tuple[type, ...] = (Certificate.Issued, Certificate.Superseded, Certificate.Revoked)
INDEX_READ: tuple[type, ...] = (CertificateIndex.Started, CertificateIndex.Linked, CertificateIndex.Unlinked)

_kinds: dict[str, type | None] = {}


def _kind(topic: str) -> type | None:
    """The class a stored topic names (old topics of moved classes included: ledger.topics), or None."""
    try:
        return _kinds[topic]
    except KeyError:
        pass
    try:
        found = resolve_topic(topic)
    except Exception:  # an unknown topic (TopicError, an import error): the aggregate path decides
        found = None
    kind = found if isinstance(found, type) else None
    if kind is not None and getattr(kind, "class_version", 1) != 1:
        kind = None  # an upcast class: its stored states may have another shape
    _kinds[topic] = kind
    return kind


def _value(data: Any) -> str:
    """The data of a transcoded value ({"_type_": ..., "_data_": ...}) as the JSON transcoder stores it."""
    if isinstance(data, dict) and isinstance(data.get("_data_"), str):
        return str(data["_data_"])
    raise ValueError("not a transcoded value")


_HEX32 = re.compile(r"[0-9a-f]{32}")


def _uuid(data: Any) -> UUID:
    """A stored UUID ({"_type_": "uuid_hex", "_data_": 32 lower-case hex digits}, as UUIDAsHex writes
    it). Built without `UUID.__init__`'s string parsing (a tenth of the fold's time): the digits are
    checked by a pattern and the value is set as the constructor sets it."""
    if not isinstance(data, dict) or data.get("_type_") != "uuid_hex":
        raise ValueError("not a UUID")
    digits = data.get("_data_")
    if not isinstance(digits, str) or _HEX32.fullmatch(digits) is None:
        raise ValueError("not a UUID")
    found = object.__new__(UUID)
    object.__setattr__(found, "int", int(digits, 16))
    object.__setattr__(found, "is_safe", SafeUUID.unknown)
    return found


def _date(data: Any) -> date:
    if not isinstance(data, dict) or data.get("_type_") != "date_iso":
        raise ValueError("not a date")
    return date.fromisoformat(_value(data))


def _sealed(data: Any, open_sealed: Opener) -> PersonalData:
    if not isinstance(data, dict) or data.get("_type_") != "personal_data":
        raise ValueError("not a sealed value")
    sealed = data.get("_data_")
    if not isinstance(sealed, dict) or not isinstance(sealed.get("o"), str):
        raise ValueError("not a sealed value")
    return open_sealed(sealed)


_DECODER = json.JSONDecoder()


def _state(stored: StoredEvent) -> dict[str, Any]:
    state, _ = _DECODER.raw_decode(stored.state.decode("utf-8"))  # json.loads minus its Python wrappers
    if not isinstance(state, dict) or "class_version" in state:
        raise ValueError("another shape")
    return state


@dataclass(frozen=True)
class DoseFacts:
    """A dose that counts (not voided), as a certificate reads it."""

    dose_id: UUID
    dose_number: int
    product: str
    lot_id: UUID
    administered_on: date


@dataclass(frozen=True)
class PersonFacts:
    """What a certificate says of a person (the name and birth date still sealed) and their stream's
    version. Read like a `Person` by `ledger.certificate_records.vaccination_record`."""

    id: UUID
    version: int
    erased: bool
    full_name: PersonalData
    date_of_birth: PersonalData
    active_doses: tuple[DoseFacts, ...]


@dataclass(frozen=True)
class CertificateFacts:
    """A certificate's state as the next issue checks it (ledger.certificate_model.Certificate)."""

    id: UUID
    version: int
    person_id: UUID
    uci: str
    dose_id: UUID
    basis: str
    superseded_by: str | None
    withdrawn: bool  # revoked


@dataclass(frozen=True)
class IndexFacts:
    """A person's certificate index (ledger.certificate_model.CertificateIndex)."""

    id: UUID
    version: int
    person_id: UUID
    current_id: UUID | None
    certificate_ids: tuple[UUID, ...]


def _versions_ok(stream: Sequence[StoredEvent]) -> bool:
    return bool(stream) and all(s.originator_version == n for n, s in enumerate(stream, 1))


def _originator(stored: StoredEvent) -> UUID:
    found = stored.originator_id
    return found if isinstance(found, UUID) else UUID(str(found))


def person_facts(stream: Sequence[StoredEvent], open_sealed: Opener) -> PersonFacts | None:
    """Fold a person's stored events (version order) as Person's `@event` bodies do; None for anything
    this reader does not know (then load the aggregate)."""
    if not _versions_ok(stream) or _kind(stream[0].topic) is not Person.Registered:
        return None
    name: PersonalData | None = None
    born: PersonalData | None = None
    erased = False
    doses: list[list[Any]] = []  # [dose_id, product, lot_id, administered_on, voided], in the order given
    try:
        for stored in stream:
            kind = _kind(stored.topic)
            if kind in PERSON_SKIPPED:
                continue
            if kind is Person.Erased:
                erased = True
                continue
            if kind not in PERSON_READ:
                return None
            state = _state(stored)
            if kind is Person.Registered:
                name = _sealed(state["full_name"], open_sealed)
                born = _sealed(state["date_of_birth"], open_sealed)
            elif kind is Person.NameCorrected:
                name = _sealed(state["full_name"], open_sealed)
            elif kind is Person.DateOfBirthCorrected:
                born = _sealed(state["date_of_birth"], open_sealed)
            elif kind is Person.DoseAdministered:
                doses.append(
                    [
                        _uuid(state["dose_id"]),
                        str(state["product"]),
                        _uuid(state["lot_id"]),
                        _date(state["administered_on"]),
                        False,
                    ]
                )
            elif kind is Person.DoseCorrected:
                dose_id = _uuid(state["dose_id"])
                for dose in doses:  # as Person._dose_corrected: voided or not, the details are restated
                    if dose[0] == dose_id:
                        dose[1:4] = [
                            str(state["product"]),
                            _uuid(state["lot_id"]),
                            _date(state["administered_on"]),
                        ]
            elif kind is Person.DoseVoided:
                dose_id = _uuid(state["dose_id"])
                for dose in doses:
                    if dose[0] == dose_id:
                        dose[4] = True
    except (ValueError, KeyError, TypeError):
        return None
    if name is None or born is None:
        return None
    active = [d for d in doses if not d[4]]
    return PersonFacts(
        id=_originator(stream[0]),
        version=len(stream),
        erased=erased,
        full_name=name,
        date_of_birth=born,
        # Numbered by their place: a dose is given as number len(active)+1 and voiding renumbers the rest.
        active_doses=tuple(DoseFacts(d[0], n, d[1], d[2], d[3]) for n, d in enumerate(active, 1)),
    )


def certificate_facts(stream: Sequence[StoredEvent]) -> CertificateFacts | None:
    """Fold a certificate's stored events; None for anything this reader does not know."""
    if not _versions_ok(stream) or _kind(stream[0].topic) is not Certificate.Issued:
        return None
    try:
        first = _state(stream[0])
        superseded: str | None = None
        withdrawn = False
        for stored in stream[1:]:
            kind = _kind(stored.topic)
            if kind is Certificate.Superseded:
                superseded = str(_state(stored)["by_uci"])
            elif kind is Certificate.Revoked:
                withdrawn = True
            else:
                return None
        return CertificateFacts(
            id=_originator(stream[0]),
            version=len(stream),
            person_id=_uuid(first["person_id"]),
            uci=str(first["uci"]),
            dose_id=_uuid(first["dose_id"]),
            basis=str(first["basis"]),
            superseded_by=superseded,
            withdrawn=withdrawn,
        )
    except (ValueError, KeyError, TypeError):
        return None


def index_facts(stream: Sequence[StoredEvent]) -> IndexFacts | None:
    """Fold a certificate index's stored events; None for anything this reader does not know."""
    if not _versions_ok(stream) or _kind(stream[0].topic) is not CertificateIndex.Started:
        return None
    try:
        person_id = _uuid(_state(stream[0])["person_id"])
        current: UUID | None = None
        linked: list[UUID] = []
        for stored in stream[1:]:
            kind = _kind(stored.topic)
            if kind is CertificateIndex.Linked:
                current = _uuid(_state(stored)["certificate_id"])
                linked.append(current)
            elif kind is CertificateIndex.Unlinked:
                current = None
            else:
                return None
    except (ValueError, KeyError, TypeError):
        return None
    return IndexFacts(_originator(stream[0]), len(stream), person_id, current, tuple(linked))

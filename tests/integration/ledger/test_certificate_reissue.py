"""The batch re-issue (`ledger.certificate_reissue`) on every store: the facts it reads from the stored
events are the aggregates' (every event class placed; corrections, voids and erasure followed), the events
it builds are the ones the aggregate path records and are written as the library writes them, a revoked
or replaced certificate is not re-issued, and a stream the readers do not know goes the aggregate way."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)

from keys.signing import InMemoryPKI, generate_test_pki
from ledger.application import Ledger
from ledger.certificate_facts import (
    CERTIFICATE_READ,
    INDEX_READ,
    PERSON_READ,
    PERSON_SKIPPED,
    certificate_facts,
    index_facts,
    person_facts,
)
from ledger.certificate_model import Certificate, CertificateIndex, index_id
from ledger.certificate_reissue import (
    NOT_CURRENT_REPLACED,
    NOT_CURRENT_REVOKED,
    _certificate_of,
    _index_of,
    _person_of,
    reissue_certificates,
)
from ledger.certificate_shapes import CERTIFICATE_SHAPES
from ledger.certificates import (
    certificates_of,
    current_certificate,
    issue_certificate,
    revoke_current_certificate,
)
from ledger.domainmodel import Person
from ledger.event_encoding import FastMapper
from ledger.transcodings import ActorAsList, DateAsISO
from ledger.values import Actor, Role
from tests.integration.campaign.test_booking_records import _Ring, _Sealed
from tests.integration.ledger.conftest import ADMIN, NOW, PFIZER, SINOPHARM, Campaign, Clock, make_campaign
from tests.unit.credentials.decode import decode, verify_signature

STAFF = ADMIN
REVOKER = Actor("revoker-1", Role.ADMIN)


@pytest.fixture(scope="module")
def old_pki() -> InMemoryPKI:
    return generate_test_pki(NOW - dt.timedelta(days=30))


@pytest.fixture(scope="module")
def new_pki() -> InMemoryPKI:
    return generate_test_pki(NOW - dt.timedelta(days=30))


@pytest.fixture
def campaign(database_url: str, tmp_path: Path) -> Iterator[Campaign]:
    ledger = Ledger(database_url, clock=Clock(), key_dir=tmp_path / "keys")
    try:
        yield make_campaign(ledger)
    finally:
        ledger.close()


def _nested_events(aggregate: type[Aggregate]) -> set[type]:
    return {
        value
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value.__name__ not in {"Event", "Created"}  # the library's per-aggregate base classes
    }


def test_every_event_class_is_placed_by_the_readers() -> None:
    """A new event class of Person must be placed (read or skipped); a certificate's or index's must be read
    (else its streams would silently go the aggregate way, or worse, be misread)."""
    assert _nested_events(Person) == set(PERSON_READ) | set(PERSON_SKIPPED)
    assert not set(PERSON_READ) & set(PERSON_SKIPPED)
    assert _nested_events(Certificate) == set(CERTIFICATE_READ)
    assert _nested_events(CertificateIndex) == set(INDEX_READ)


def _histories(c: Campaign) -> list[UUID]:
    """People with every kind of history a certificate reads: plain, corrected, voided, erased."""
    ledger = c.ledger
    plain = c.register("001085000001")
    c.dose(plain, 1, dt.date(2021, 8, 1))
    corrected = c.register("001085000002", full_name="Trần Văn Bình")
    first = c.dose(corrected, 1, dt.date(2021, 7, 1))
    c.dose(corrected, 2, dt.date(2021, 9, 1), lot=c.pfizer_lot, product=PFIZER)
    ledger.correct_dose(
        person_id=corrected,
        dose_id=first.dose_id,
        reason="wrong day",
        actor=STAFF,
        idempotency_key="fix-dose",
        administered_on=dt.date(2021, 7, 2),
        lot_id=c.sinopharm_lot,
        product=SINOPHARM,
    )
    ledger.correct_name(
        person_id=corrected, full_name="Trần Văn Bính", reason="typo", actor=STAFF, idempotency_key="fix-name"
    )
    ledger.correct_date_of_birth(
        person_id=corrected, date_of_birth="1980-02-03", reason="typo", actor=STAFF, idempotency_key="fix-dob"
    )
    ledger.correct_sex(person_id=corrected, sex="male", reason="typo", actor=STAFF, idempotency_key="fix-sex")
    voided = c.register("001085000003")
    wrong = c.dose(voided, 1, dt.date(2021, 7, 1))
    c.dose(voided, 2, dt.date(2021, 8, 20))
    ledger.void_dose(
        person_id=voided, dose_id=wrong.dose_id, reason="recorded twice", actor=STAFF, idempotency_key="void"
    )
    c.dose(voided, 2, dt.date(2021, 9, 20), lot=c.pfizer_lot, product=PFIZER)
    erased = c.register("001085000004")
    c.dose(erased, 1, dt.date(2021, 8, 1))
    ledger.erase_person(person_id=erased, reason="asked", actor=ADMIN, idempotency_key="erase")
    return [plain, corrected, voided, erased]


def _same_person(read: object, loaded: Person) -> None:
    expected = _person_of(loaded)
    assert isinstance(read, type(expected))
    assert dataclasses.replace(read, full_name=None, date_of_birth=None) == dataclasses.replace(  # type: ignore[type-var]
        expected, full_name=None, date_of_birth=None
    )
    assert read.full_name.value == loaded.full_name.value  # type: ignore[attr-defined]
    assert read.date_of_birth.value == loaded.date_of_birth.value  # type: ignore[attr-defined]


def test_facts_read_from_the_stored_events_are_the_aggregates(
    campaign: Campaign, old_pki: InMemoryPKI
) -> None:
    ledger = campaign.ledger
    people = _histories(campaign)
    for person_id in people[:3]:
        issue_certificate(ledger, person_id, old_pki.document_signer)
    issue_certificate(ledger, people[0], old_pki.document_signer)  # a second one: the first superseded
    revoke_current_certificate(ledger, people[1], reason="issued in error", actor=REVOKER)
    streams = ledger.streams([*people, *(index_id(p) for p in people)])
    for person_id in people:
        read = person_facts(streams[person_id], ledger.keys.open)
        assert read is not None
        _same_person(read, ledger.get_person(person_id))
    assert person_facts(streams[people[3]], ledger.keys.open).erased  # type: ignore[union-attr]
    assert [d.dose_number for d in person_facts(streams[people[2]], ledger.keys.open).active_doses] == [1, 2]  # type: ignore[union-attr]
    for person_id in people[:3]:
        index = ledger.repository.get(index_id(person_id))
        assert index_facts(streams[index_id(person_id)]) == _index_of(index)
        for cid, stream in ledger.streams(list(index.certificate_ids)).items():
            assert certificate_facts(stream) == _certificate_of(ledger.repository.get(cid))
    assert index_facts(streams[index_id(people[1])]).current_id is None  # type: ignore[union-attr]


def test_a_stream_the_readers_do_not_know_gives_none(campaign: Campaign, old_pki: InMemoryPKI) -> None:
    ledger = campaign.ledger
    person = campaign.register()
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    issue_certificate(ledger, person, old_pki.document_signer)
    stream = ledger.streams([person])[person]
    odd = StoredEvent(person, len(stream) + 1, "ledger.domainmodel:Person.SomethingNew", b"{}")
    assert person_facts([*stream, odd], ledger.keys.open) is None  # an unknown class
    upcast = dataclasses.replace(stream[-1], state=stream[-1].state[:-1] + b',"class_version":2}')
    assert person_facts([*stream[:-1], upcast], ledger.keys.open) is None  # another class version
    assert person_facts(stream[1:], ledger.keys.open) is None  # not from the registration
    gap = [stream[0], dataclasses.replace(stream[1], originator_version=3)]
    assert person_facts(gap, ledger.keys.open) is None  # a gap in the versions
    index = ledger.streams([index_id(person)])[index_id(person)]
    certificate = ledger.streams([index_facts(index).current_id])  # type: ignore[list-item, union-attr]
    (cert_stream,) = certificate.values()
    # Events stored before issue 11 moved the classes carry the old topics: still read.
    old = [
        dataclasses.replace(s, topic=s.topic.replace("ledger.certificate_model:", "ledger.certificates:"))
        for s in cert_stream
    ]
    assert old[0].topic == "ledger.certificates:Certificate.Issued"
    assert certificate_facts(old) == certificate_facts(cert_stream) is not None


def _events_of(ledger: Ledger, aggregate_id: UUID) -> list[Aggregate.Event]:
    return [ledger.mapper.to_domain_event(s) for s in ledger.recorder.select_events(aggregate_id)]  # type: ignore[misc]


def _shape(event: Aggregate.Event) -> tuple[str, tuple[str, ...]]:
    return type(event).__qualname__, tuple(f.name for f in dataclasses.fields(event))  # type: ignore[arg-type]


def test_a_re_issue_records_what_the_aggregate_path_records(
    campaign: Campaign, old_pki: InMemoryPKI, new_pki: InMemoryPKI
) -> None:
    """Two people with the same history: one re-issued by the aggregate path (`issue_certificate`), one by
    the batch re-issue. Same events, same fields, same resulting aggregates (ids, UCIs and times aside)."""
    ledger = campaign.ledger
    a = campaign.register("001085000011")
    b = campaign.register("001085000012")
    for person in (a, b):
        campaign.dose(person, 1, dt.date(2021, 8, 1))
        issue_certificate(ledger, person, old_pki.document_signer)
    by_aggregates = issue_certificate(
        ledger, a, new_pki.document_signer, now=ledger.now(), idempotency_key="old-way"
    )
    old_b = current_certificate(ledger, b)
    assert old_b is not None
    issued, refused = reissue_certificates(
        ledger, [(b, old_b.id)], new_pki.document_signer, now=ledger.now(), idempotency_key="new-way"
    )
    assert refused == {}
    (by_facts,) = issued
    assert by_facts.superseded_uci == old_b.uci
    for result, person in ((by_aggregates, a), (by_facts, b)):
        assert result.person_id == person
        decoded = decode(result.hc1)
        verify_signature(decoded, new_pki.document_signer.certificate_der)
        assert decoded.dcc["v"][0]["ci"] == result.uci
    # The same event classes with the same fields, on each stream.
    shapes = {
        person: [
            [_shape(e) for e in _events_of(ledger, cid)]
            for cid in [*certificates_ids(ledger, person), index_id(person)]
        ]
        for person in (a, b)
    }
    assert shapes[a] == shapes[b]
    # The aggregates rebuilt from the log say the same.
    for person in (a, b):
        first, second = certificates_of(ledger, person)
        assert first.superseded_by == second.uci
        assert not first.withdrawn
        assert second.kid == new_pki.document_signer.kid.hex()
        assert second.hc1.value is not None
        assert decode(second.hc1.value).dcc["v"][0]["ci"] == second.uci
        assert (second.dose_id, second.basis, second.status) == (first.dose_id, first.basis, first.status)
        assert current_certificate(ledger, person).id == second.id  # type: ignore[union-attr]
    one, two = (certificates_of(ledger, p)[1] for p in (a, b))
    assert (one.issued_at, one.expires_at, one.dose_number, one.series_doses) == (
        two.issued_at,
        two.expires_at,
        two.dose_number,
        two.series_doses,
    )


def certificates_ids(ledger: Ledger, person: UUID) -> list[UUID]:
    return [c.id for c in certificates_of(ledger, person)]


def test_a_correction_since_revokes_the_wrong_one_as_the_aggregate_path_does(
    campaign: Campaign, old_pki: InMemoryPKI, new_pki: InMemoryPKI
) -> None:
    ledger = campaign.ledger
    person = campaign.register()
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(ledger, person, old_pki.document_signer)
    ledger.correct_name(
        person_id=person, full_name="Đặng Văn Đức", reason="typo", actor=STAFF, idempotency_key="fix-name"
    )
    (result,), refused = reissue_certificates(
        ledger,
        [(person, first.certificate_id)],
        new_pki.document_signer,
        now=ledger.now(),
        idempotency_key="k",
    )
    assert refused == {}
    assert decode(result.hc1).dcc["nam"]["fn"] == "Đặng"
    old, new = certificates_of(ledger, person)
    assert old.superseded_by == new.uci
    assert old.revoked_reason == "record corrected"  # it carries the wrong name
    assert [type(e).__name__ for e in _events_of(ledger, old.id)] == ["Issued", "Superseded", "Revoked"]


def test_a_revoked_or_replaced_certificate_is_not_re_issued(
    campaign: Campaign, old_pki: InMemoryPKI, new_pki: InMemoryPKI
) -> None:
    ledger = campaign.ledger
    revoked, replaced, fine = (campaign.register(f"00108500002{n}") for n in range(3))
    first: dict[UUID, UUID] = {}
    for person in (revoked, replaced, fine):
        campaign.dose(person, 1, dt.date(2021, 8, 1))
        first[person] = issue_certificate(ledger, person, old_pki.document_signer).certificate_id
    revoke_current_certificate(ledger, revoked, reason="fraud", actor=REVOKER)
    issue_certificate(ledger, replaced, old_pki.document_signer)  # a newer one since the index row was read
    head = ledger.recorder.max_notification_id()
    issued, refused = reissue_certificates(
        ledger, list(first.items()), new_pki.document_signer, now=ledger.now(), idempotency_key="k"
    )
    assert refused == {revoked: NOT_CURRENT_REVOKED, replaced: NOT_CURRENT_REPLACED}
    assert [r.person_id for r in issued] == [fine]
    assert len(certificates_of(ledger, revoked)) == 1  # nothing new for a revoked certificate
    assert current_certificate(ledger, revoked) is None
    assert len(certificates_of(ledger, replaced)) == 2
    # Only the one re-issue's events and the receipt were written.
    written = ledger.recorder.select_notifications(head or 0, 100, inclusive_of_start=False)
    kinds = Counter(n.topic.rsplit(":", 1)[1] for n in written)
    assert kinds == Counter(
        {
            "Certificate.Issued": 1,
            "Certificate.Superseded": 1,
            "CertificateIndex.Linked": 1,
            "Receipt.Issued": 1,
        }
    )


def test_a_retried_batch_returns_the_first_runs_certificates_and_writes_nothing(
    campaign: Campaign, old_pki: InMemoryPKI, new_pki: InMemoryPKI
) -> None:
    ledger = campaign.ledger
    person = campaign.register()
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(ledger, person, old_pki.document_signer)
    wanted = [(person, first.certificate_id)]
    (one,), _ = reissue_certificates(
        ledger, wanted, new_pki.document_signer, now=ledger.now(), idempotency_key="k"
    )
    head = ledger.recorder.max_notification_id()
    (again,), refused = reissue_certificates(
        ledger, wanted, new_pki.document_signer, now=ledger.now(), idempotency_key="k"
    )
    assert (again.certificate_id, again.uci, again.hc1, refused) == (one.certificate_id, one.uci, one.hc1, {})
    assert ledger.recorder.max_notification_id() == head


def test_the_three_events_are_written_as_the_library_writes_them(
    campaign: Campaign, old_pki: InMemoryPKI, new_pki: InMemoryPKI
) -> None:
    for shape in CERTIFICATE_SHAPES:
        assert shape.matches(), (
            f"{shape.cls.__qualname__}'s fields changed: update ledger/certificate_shapes.py"
        )
    ledger = campaign.ledger
    person = campaign.register()
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(ledger, person, old_pki.document_signer)
    reissue_certificates(
        ledger,
        [(person, first.certificate_id)],
        new_pki.document_signer,
        now=ledger.now(),
        idempotency_key="k",
    )
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), ActorAsList(), _Sealed()):
        transcoder.register(transcoding)
    fast = FastMapper(transcoder=transcoder)
    fast.use(_Ring(), CERTIFICATE_SHAPES)  # type: ignore[arg-type]
    library = Mapper(transcoder=transcoder)
    written: Counter[str] = Counter()
    for n in ledger.recorder.select_notifications(0, 10_000):
        event = ledger.mapper.to_domain_event(n)
        if type(event) in {s.cls for s in CERTIFICATE_SHAPES}:
            assert fast.to_stored_event(event) == library.to_stored_event(event), n.topic
            written[type(event).__qualname__] += 1
    assert written == Counter(
        {"Certificate.Issued": 2, "Certificate.Superseded": 1, "CertificateIndex.Linked": 2}
    )
    assert {s.cls for s in CERTIFICATE_SHAPES} <= set(ledger.mapper._fast)  # type: ignore[attr-defined]


def test_the_same_instant_in_another_zone_is_written_as_the_library_writes_it() -> None:
    """The direct encoder writes each time once and looks it up after (a batch repeats a few): an equal
    instant in another zone compares equal but must keep its own offset, as the library writes it."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), ActorAsList(), _Sealed()):
        transcoder.register(transcoding)
    fast = FastMapper(transcoder=transcoder)
    fast.use(_Ring(), CERTIFICATE_SHAPES)  # type: ignore[arg-type]
    library = Mapper(transcoder=transcoder)
    utc = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
    hanoi = utc.astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert utc == hanoi
    index = uuid4()
    stored = []
    for when in (utc, hanoi, utc):
        event = CertificateIndex.Linked(  # type: ignore[call-arg]
            originator_id=index, originator_version=2, timestamp=when, certificate_id=index
        )
        stored.append(fast.to_stored_event(event))
        assert stored[-1] == library.to_stored_event(event)
    assert stored[0].state != stored[1].state
    assert b"+07:00" in stored[1].state
    assert stored[0] == stored[2]

"""Certificate events stored before issue 11 split `ledger/certificates.py` keep loading.

Until the split, `Certificate` and `CertificateIndex` were defined in `ledger.certificates`, so their
events were stored under topics `ledger.certificates:Certificate.Issued` and so on (and the created
events carry `originator_topic = "ledger.certificates:Certificate"`). Here a real SQLite store is
written as that code wrote it, then a new Ledger reads it with today's classes.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from keys.signing import InMemoryPKI, generate_test_pki
from ledger.application import Ledger
from ledger.certificate_model import Certificate, CertificateIndex
from ledger.certificates import (
    certificates_of,
    current_certificate,
    issue_certificate,
    revoke_current_certificate,
)
from ledger.topics import stored_topics
from projections.queries import certificate_by_uci, revoked_ucis
from projections.registry import catch_up_views
from projections.store import open_view_store
from tests.integration.ledger.conftest import ADMIN, NOW, PFIZER, Clock, make_campaign

NEW = "ledger.certificate_model:"
OLD = "ledger.certificates:"


@pytest.fixture(scope="module")
def pki() -> InMemoryPKI:
    return generate_test_pki(NOW - dt.timedelta(days=30))


def store_as_before_the_split(ledger: Ledger, path: Path) -> int:
    """Rewrite every certificate event in the SQLite file as the code before the split stored it."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events WHERE topic LIKE ?",
            (NEW + "%",),
        ).fetchall()
        for rowid, originator_id, version, topic, state in rows:
            event = ledger.mapper.to_domain_event(StoredEvent(UUID(originator_id), version, topic, state))
            if hasattr(event, "originator_topic"):  # the created event names its aggregate class
                object.__setattr__(event, "originator_topic", event.originator_topic.replace(NEW, OLD))
            old = ledger.mapper.to_stored_event(event)
            connection.execute(
                "UPDATE stored_events SET topic = ?, state = ? WHERE rowid = ?",
                (topic.replace(NEW, OLD), old.state, rowid),
            )
        connection.commit()
        left = connection.execute(
            "SELECT count(*) FROM stored_events WHERE topic LIKE ?", (NEW + "%",)
        ).fetchone()
        assert left == (0,)
    finally:
        connection.close()
    return len(rows)


def test_every_old_topic_names_the_moved_class() -> None:
    for event_class in (Certificate.Issued, Certificate.Superseded, Certificate.Revoked, Certificate):
        assert resolve_topic(OLD + event_class.__qualname__) is event_class
    for event_class in (CertificateIndex.Started, CertificateIndex.Linked, CertificateIndex.Unlinked):
        assert resolve_topic(OLD + event_class.__qualname__) is event_class
    # readers that select by topic (views, the web directory) ask for both
    assert stored_topics(Certificate.Issued) == (NEW + "Certificate.Issued", OLD + "Certificate.Issued")
    assert OLD + "CertificateIndex.Linked" in stored_topics(CertificateIndex.Linked)


def test_certificates_stored_under_the_old_topics_load_revoke_and_project(
    tmp_path: Path, pki: InMemoryPKI
) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    clock = Clock()
    writer = Ledger(url, clock=clock, key_dir=tmp_path / "keys")
    campaign = make_campaign(writer)
    person = campaign.register("001085012345")
    campaign.dose(person, 1, dt.date(2021, 8, 1))
    first = issue_certificate(writer, person, pki.document_signer)
    campaign.dose(person, 2, dt.date(2021, 9, 15), lot=campaign.pfizer_lot, product=PFIZER)
    second = issue_certificate(writer, person, pki.document_signer)
    rewritten = store_as_before_the_split(writer, path)
    writer.close()
    # 2 certificates issued, the first superseded; the index started and linked twice
    assert rewritten == 6

    reader = Ledger(url, clock=clock, key_dir=tmp_path / "keys")
    try:
        current = current_certificate(reader, person)
        assert current is not None
        assert isinstance(current, Certificate)
        assert (current.uci, current.dose_number, current.hc1.value) == (second.uci, 2, second.hc1)
        history = certificates_of(reader, person)
        assert [c.uci for c in history] == [first.uci, second.uci]
        assert history[0].superseded_by == second.uci

        # the old streams go on under the new topics
        assert revoke_current_certificate(reader, person, reason="issued in error", actor=ADMIN) == second.uci
        assert current_certificate(reader, person) is None
        topics = [n.topic for n in reader.recorder.select_notifications(0, 10_000)]
        assert topics.count(OLD + "Certificate.Issued") == 2
        assert NEW + "Certificate.Revoked" in topics
        assert NEW + "CertificateIndex.Unlinked" in topics

        # the certificate index view, rebuilt from the log, reads both the old and the new topics
        store = open_view_store(reader.store)
        try:
            catch_up_views(reader, store, ["certificate_index"])
            earlier = certificate_by_uci(store, first.uci)
            assert earlier is not None
            assert (earlier.status, earlier.superseded_by) == ("superseded", second.uci)
            assert revoked_ucis(store) == [second.uci]
        finally:
            store.close()
    finally:
        reader.close()

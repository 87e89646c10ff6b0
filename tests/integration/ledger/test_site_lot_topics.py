"""Site, lot and receipt events stored before issue 11 split `ledger/domainmodel.py` keep loading.

Until the split, `VaccinationSite`, `VaccineLot` and `Receipt` were defined in `ledger.domainmodel`, so
their events were stored under topics `ledger.domainmodel:VaccineLot.Received` and so on (and the
created events carry `originator_topic = "ledger.domainmodel:VaccineLot"`). Here a real SQLite store is
written as that code wrote it, then a new Ledger reads it with today's classes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import resolve_topic

from ledger.application import Ledger
from ledger.receipt_model import Receipt
from ledger.site_model import VaccinationSite, VaccineLot
from ledger.topics import stored_topics
from projections.directory_queries import lots, sites
from projections.registry import catch_up_views
from projections.store import open_view_store
from tests.integration.ledger.conftest import ADMIN, Clock, make_campaign

OLD = "ledger.domainmodel:"
MOVED = {"ledger.site_model:": OLD, "ledger.receipt_model:": OLD}


def store_as_before_the_split(ledger: Ledger, path: Path) -> int:
    """Rewrite every site, lot and receipt event in the SQLite file as the code before the split stored it."""
    connection = sqlite3.connect(path)
    count = 0
    try:
        for new in MOVED:
            rows = connection.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                "WHERE topic LIKE ?",
                (new + "%",),
            ).fetchall()
            for rowid, originator_id, version, topic, state in rows:
                event = ledger.mapper.to_domain_event(StoredEvent(UUID(originator_id), version, topic, state))
                if hasattr(event, "originator_topic"):  # the created event names its aggregate class
                    object.__setattr__(event, "originator_topic", event.originator_topic.replace(new, OLD))
                old = ledger.mapper.to_stored_event(event)
                connection.execute(
                    "UPDATE stored_events SET topic = ?, state = ? WHERE rowid = ?",
                    (topic.replace(new, OLD), old.state, rowid),
                )
            count += len(rows)
            left = connection.execute(
                "SELECT count(*) FROM stored_events WHERE topic LIKE ?", (new + "%",)
            ).fetchone()
            assert left == (0,)
        connection.commit()
    finally:
        connection.close()
    return count


def test_every_old_topic_names_the_moved_class() -> None:
    for event_class in (VaccinationSite, VaccinationSite.Registered, VaccinationSite.CapacityChanged):
        assert resolve_topic(OLD + event_class.__qualname__) is event_class
    for event_class in (VaccineLot, VaccineLot.Received, VaccineLot.Transferred):
        assert resolve_topic(OLD + event_class.__qualname__) is event_class
    assert resolve_topic(OLD + "Receipt.Issued") is Receipt.Issued
    # the views select by topic: they ask for both
    assert stored_topics(VaccineLot.Received) == (
        "ledger.site_model:VaccineLot.Received",
        OLD + "VaccineLot.Received",
    )
    assert OLD + "VaccinationSite.Registered" in stored_topics(VaccinationSite.Registered)


def test_sites_lots_and_receipts_stored_under_the_old_topics_load_and_project(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    clock = Clock()
    writer = Ledger(url, clock=clock, key_dir=tmp_path / "keys")
    campaign = make_campaign(writer)
    rewritten = store_as_before_the_split(writer, path)
    writer.close()
    # 2 sites and 4 lots, each with its receipt
    assert rewritten == 12

    reader = Ledger(url, clock=clock, key_dir=tmp_path / "keys")
    try:
        site = reader.get_site(campaign.site_id)
        assert isinstance(site, VaccinationSite)
        assert (site.code, site.capacity_per_day) == ("VN-01-0001", 300)
        lot = reader.get_lot(campaign.az_lot)
        assert isinstance(lot, VaccineLot)
        assert (lot.lot_number, lot.site_id) == ("AZ-001", campaign.site_id)

        # a receipt stored under its old topic still answers a retry, and nothing is written
        before = len(reader.recorder.select_notifications(0, 10_000))
        again = reader.register_site(
            code="VN-01-0001",
            name="Trạm Y tế Phường Phúc Xá",
            ward_code="00001",
            capacity_per_day=300,
            actor=ADMIN,
            idempotency_key="site-1",
        )
        assert again == campaign.site_id
        assert len(reader.recorder.select_notifications(0, 10_000)) == before

        # the old streams go on under the new topics
        reader.transfer_lot(
            lot_id=campaign.pfizer_lot, site_id=campaign.other_site_id, actor=ADMIN, idempotency_key="move-pf"
        )
        reader.change_site_capacity(
            site_id=campaign.site_id, capacity_per_day=250, actor=ADMIN, idempotency_key="cap-250"
        )
        assert reader.get_lot(campaign.pfizer_lot).site_id == campaign.other_site_id
        topics = [n.topic for n in reader.recorder.select_notifications(0, 10_000)]
        assert topics.count(OLD + "VaccineLot.Received") == 4
        assert "ledger.site_model:VaccineLot.Transferred" in topics
        assert "ledger.site_model:VaccinationSite.CapacityChanged" in topics

        # the sites-and-lots view, rebuilt from the log, reads both the old and the new topics
        store = open_view_store(reader.store)
        try:
            catch_up_views(reader, store, ["sites_and_lots"])
            by_id = {s.id: s for s in sites(store)}
            assert by_id[str(campaign.site_id)].capacity_per_day == 250
            assert str(campaign.other_site_id) in by_id
            held = {entry.id: entry.site_id for entry in lots(store)}
            assert len(held) == 4
            assert held[str(campaign.pfizer_lot)] == str(campaign.other_site_id)
            assert held[str(campaign.az_lot)] == str(campaign.site_id)
        finally:
            store.close()
    finally:
        reader.close()

"""The running service's checkpointer: a checkpoint at every 10,000 leaves, and every 60 s while events
arrive; nothing when nothing arrives. Time is a parameter (a clock the test moves)."""

from __future__ import annotations

from datetime import timedelta

from ledger.settings import parse_database_url
from projections.audit import AuditKey, trusted_keys, verify
from projections.audit.checkpointer import Checkpointer
from projections.audit.tree import load_checkpoints
from tests.integration.projections.test_audit_fixtures import NOW, audit_key, database, fill, store_url

__all__ = ["audit_key", "store_url"]


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


def test_checkpoints_follow_the_log_by_count_and_by_time(store_url: str, audit_key: AuditKey) -> None:
    clock = Clock()
    checkpointer = Checkpointer(parse_database_url(store_url), audit_key, interval=10, clock=clock)
    fill(store_url).close()  # 25 events
    with database(store_url) as db:
        assert checkpointer.step(db) == 2  # the multiples of 10; 25 waits for the 60 s
        assert [c.tree_size for c in load_checkpoints(db)] == [10, 20]
        clock.now += timedelta(seconds=30)
        assert checkpointer.step(db) == 0
        clock.now += timedelta(seconds=31)
        assert checkpointer.step(db) == 1  # 61 s after the last one: the current size
        clock.now += timedelta(seconds=600)
        assert checkpointer.step(db) == 0  # nothing arrived: nothing signed
        fill(store_url, aggregates=2, rounds=5, prefix="more").close()  # 37 events
        clock.now += timedelta(seconds=1)
        assert checkpointer.step(db) == 1  # 30 at once; 37 waits
        clock.now += timedelta(seconds=60)
        assert checkpointer.step(db) == 1
        assert [c.tree_size for c in load_checkpoints(db)] == [10, 20, 25, 30, 37]
        assert verify(db, trusted_keys(db, [audit_key.public])).checkpoints == 5
    assert checkpointer.sign_now() == 37  # on demand: the stored one, never rewritten

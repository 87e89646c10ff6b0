"""The tree stays one consistent tree with concurrent writers, and a writer killed with SIGKILL in the
middle of a batch leaves no event without its leaf (one transaction holds both)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from ledger.merkle import leaf_hash
from projections.audit import head, trusted_keys, verify
from tests.integration.projections.rfc9162 import tree_hash
from tests.integration.projections.test_audit_fixtures import (
    Tally,
    database,
    events_of,
    store_url,
    tiny_ledger,
)

__all__ = ["store_url"]

ROOT = Path(__file__).resolve().parents[3]


def test_concurrent_writers_keep_one_consistent_tree(store_url: str) -> None:
    # One application (its own connection pool) per writer; opened one after the other, because the
    # library's CREATE OR REPLACE FUNCTION fails when run concurrently ("tuple concurrently updated").
    apps = [tiny_ledger(store_url) for _ in range(4)]
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        app = apps[number]
        try:
            for round_ in range(15):
                app.save(Tally(f"w{number}-{round_}"))  # single saves
                batch = [Tally(f"w{number}-{round_}-{i}") for i in range(7)]
                app.save(*batch)  # and batches, interleaved with the other writers
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            app.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with database(store_url) as db:
        rows = events_of(db)
        assert len(rows) == 4 * 15 * 8
        tree = head(db)
        assert tree.size == len(rows)
        assert tree.last_position == rows[-1].position
        leaves = [
            leaf_hash(r.position, r.originator_id, r.originator_version, r.topic, r.state) for r in rows
        ]
        assert tree.frontier.root() == tree_hash(leaves)
        assert verify(db, trusted_keys(db, [])).events == len(rows)


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {root!r})
    from tests.integration.projections.test_audit_fixtures import Tally, tiny_ledger
    app = tiny_ledger({url!r})
    n = 0
    while True:
        app.save(*[Tally(f"k{{n}}-{{i}}") for i in range(500)])
        n += 1
        print(n, flush=True)
    """
)


def test_a_writer_killed_mid_batch_leaves_no_event_without_its_leaf(store_url: str, tmp_path: Path) -> None:
    tiny_ledger(store_url).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITER.format(root=str(ROOT), url=store_url))
    process = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        assert process.stdout is not None
        for _ in range(3):  # three batches committed; the fourth is in flight when the kill lands
            assert process.stdout.readline(), "the writer stopped early"
        time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()
    with database(store_url) as db:
        count = db.count_events()
        assert count >= 1500
        assert count % 500 == 0  # whole batches only: all or nothing
        assert head(db).size == count
        assert verify(db, trusted_keys(db, [])).events == count
    # The log continues after the crash.
    app = tiny_ledger(store_url)
    app.save(Tally("after"))
    app.close()
    with database(store_url) as db:
        assert head(db).size == count + 1
        assert verify(db, trusted_keys(db, [])).events == count + 1


def test_a_store_written_before_the_transparency_log_gets_its_leaves_on_first_open(store_url: str) -> None:
    """An upgrade: events written by the library's plain recorder get their leaves, once, in one
    transaction, when the ledger's recorder first opens the store; then verify sees one tree."""
    from eventsourcing.application import Application

    from ledger.settings import parse_database_url

    settings = parse_database_url(store_url)
    plain_topic = {
        "sqlite": "eventsourcing.sqlite:SQLiteApplicationRecorder",
        "postgres": "eventsourcing.postgres:PostgresApplicationRecorder",
    }[settings.kind]

    class Old(Application[object]):
        name = "Ledger"

    old = Old(env={**settings.eventsourcing_env(), "APPLICATION_RECORDER_TOPIC": plain_topic})
    old.save(*[Tally(f"old{i}") for i in range(40)])
    old.close()
    with database(store_url) as db:
        assert db.count_events() == 40
    app = tiny_ledger(store_url)  # the recorder with leaves: backfills
    app.save(Tally("new"))
    app.close()
    with database(store_url) as db:
        rows = events_of(db)
        assert head(db).size == 41
        leaves = [
            leaf_hash(r.position, r.originator_id, r.originator_version, r.topic, r.state) for r in rows
        ]
        assert head(db).frontier.root() == tree_hash(leaves)
        assert verify(db, trusted_keys(db, [])).events == 41

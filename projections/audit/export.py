"""`audit export` and `audit replay`: the whole chained history as JSON Lines, and its verification.

An export holds the stored bytes of every event up to the latest signed checkpoint (personal fields
stay sealed with the per-person keys, which are not exported), each with its leaf hash, the signed
checkpoints (C2SP notes) right after the events that close them, and the audit public keys in the
header. `replay` verifies all of it
line by line and loads the events, positions unchanged, into a fresh SQLite store, from which every
projection is rebuilt: the published figures are reproduced with no database access and no
personal key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from ledger.settings import parse_database_url
from projections.audit.auditkey import AuditPublicKey
from projections.audit.database import DEFAULT_APP_NAME, Database, StoredRow, create_events_table
from projections.audit.errors import AuditError
from projections.audit.jsonlines import (
    EXPORT_FORMAT,
    CheckpointItem,
    EventItem,
    LogFileReader,
    LogFileWriter,
    Trailer,
)
from projections.audit.tree import latest_checkpoint, ledger_identity, load_public_keys
from projections.audit.verify import TrustedKeys, WalkState, walk

BATCH = 5000


@dataclass(frozen=True)
class ExportSummary:
    """What an export holds (also what a verified replay found)."""

    ledger: str | None
    events: int
    checkpoints: int
    head_position: int
    head_root: str
    key_ids: list[str]
    unchained: int = 0


def write_export(
    db: Database,
    out: IO[bytes],
    trusted: TrustedKeys,
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
) -> ExportSummary:
    """Stream the history up to the latest checkpoint to `out`, verifying the whole log as it goes.

    A log that no longer matches its leaves or checkpoints is never exported: TamperingDetected
    names the position.
    """
    latest = latest_checkpoint(db)
    ledger = ledger_identity(db)
    if ledger is None or latest is None:
        raise AuditError("no checkpoint is signed yet: run `immunize audit checkpoint` before exporting")
    keys = list(load_public_keys(db).values())
    writer = LogFileWriter(out)
    writer.header(EXPORT_FORMAT, ledger, keys, created_at=now.isoformat(), app=db.app_name)
    state = WalkState()
    left_out = 0
    for page in walk(db, trusted, state, on_progress):
        for item in page:
            if item.index >= latest.tree_size:
                left_out += 1
                continue
            writer.event(item.row, item.leaf)
            if item.checkpoint is not None:
                writer.checkpoint(item.checkpoint)
    writer.trailer()
    return ExportSummary(
        ledger,
        writer.events,
        writer.checkpoints,
        writer.head_position,
        writer.frontier.root().hex(),
        [k.key_id for k in keys],
        left_out,
    )


def read_log_file(
    handle: IO[bytes],
    fmt: str,
    pinned: list[AuditPublicKey],
    on_events: Callable[[list[StoredRow]], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[LogFileReader, Trailer]:
    """Verify an export completely, handing its events to `on_events` in batches as they verify."""
    reader = LogFileReader(handle, fmt, pinned)
    batch: list[StoredRow] = []
    trailer: Trailer | None = None
    for item in reader.items():
        if isinstance(item, EventItem):
            batch.append(item.row)
            if len(batch) >= BATCH:
                if on_events is not None:
                    on_events(batch)
                if on_progress is not None:
                    on_progress(len(batch))
                batch = []
        elif isinstance(item, CheckpointItem):
            continue
        elif isinstance(item, Trailer):
            trailer = item
    if batch:
        if on_events is not None:
            on_events(batch)
        if on_progress is not None:
            on_progress(len(batch))
    assert trailer is not None
    return reader, trailer


@dataclass(frozen=True)
class ReplayResult:
    """A verified export and the digests of the projections rebuilt from it."""

    summary: ExportSummary
    pinned: bool
    database_url: str
    digests: dict[str, str]


def load_export(
    path: Path,
    workdir: Path,
    pinned: list[AuditPublicKey],
    on_progress: Callable[[int], None] | None = None,
    app_name: str = DEFAULT_APP_NAME,
) -> tuple[ExportSummary, bool, str]:
    """Verify an export and load its events into a fresh SQLite store in `workdir`; return its URL."""
    target = workdir / "replay-ledger.db"
    if target.exists():
        raise AuditError(f"{target} already exists: replay needs a fresh directory")
    url = f"sqlite:///{target}"
    settings = parse_database_url(url)
    create_events_table(settings, app_name)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise AuditError(f"cannot read the export {path}: {exc.strerror}") from exc
    with handle, Database(settings, app_name) as db, db.transaction():
        reader, trailer = read_log_file(handle, EXPORT_FORMAT, pinned, db.insert_events, on_progress)
    assert reader.header is not None
    assert reader.trusted is not None
    summary = ExportSummary(
        reader.header.ledger,
        trailer.events,
        trailer.checkpoints,
        trailer.head_position,
        trailer.head_root.hex(),
        sorted(reader.trusted.keys),
    )
    return summary, reader.trusted.pinned, url

"""The stored audit chain: one link per event, signed checkpoints, and the key ids that signed them.

The chain is computed on demand (`extend_chain`, run by `immunize audit checkpoint`) and stored in
the ledger's own database, in transactions of at most one checkpoint interval: each transaction
writes the new links and the signed checkpoint that closes them, so the chain head is always a
signed checkpoint and a crash leaves nothing half-written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from projections.audit.auditkey import ALGORITHM, AuditKey, AuditPublicKey
from projections.audit.chainhash import GENESIS, ledger_identity, next_link
from projections.audit.database import Database

CHECKPOINT_INTERVAL = 10_000
CHECKPOINT_FORMAT = "immunize-audit-checkpoint"


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement: after `events` events, ending at `position`, the chain link is `link`."""

    seq: int
    position: int
    events: int
    link: bytes
    signed_at: str
    key_id: str
    signature: bytes

    def message(self, ledger: str) -> bytes:
        """The exact bytes signed: canonical JSON (sorted keys, no spaces) naming the ledger."""
        return signed_message(ledger, self.seq, self.position, self.events, self.link, self.signed_at)


def signed_message(ledger: str, seq: int, position: int, events: int, link: bytes, signed_at: str) -> bytes:
    body = {
        "format": CHECKPOINT_FORMAT,
        "version": 1,
        "ledger": ledger,
        "seq": seq,
        "position": position,
        "events": events,
        "link": link.hex(),
        "signed_at": signed_at,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class ChainHead:
    """Where the stored chain ends: the last checkpoint (or the genesis when nothing is chained)."""

    position: int
    events: int
    link: bytes
    seq: int


def create_tables(db: Database) -> None:
    """Create the audit tables next to the events table, if they are not there yet."""
    blob = db.blob
    bigint = "INTEGER" if db.kind == "sqlite" else "BIGINT"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if db.kind == "sqlite" else "BIGSERIAL PRIMARY KEY"
    for statement in (
        f"CREATE TABLE IF NOT EXISTS {db.table('audit_chain')} (position {bigint} PRIMARY KEY, "
        f"originator_id TEXT NOT NULL, originator_version {bigint} NOT NULL, link {blob} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {db.table('audit_checkpoints')} (seq {bigint} PRIMARY KEY, "
        f"position {bigint} NOT NULL, events {bigint} NOT NULL, link {blob} NOT NULL, "
        f"signed_at TEXT NOT NULL, key_id TEXT NOT NULL, signature {blob} NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {db.table('audit_keys')} (key_id TEXT PRIMARY KEY, "
        "algorithm TEXT NOT NULL, public_key_pem TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {db.table('audit_verifications')} (id {serial}, "
        f"verified_at TEXT NOT NULL, ok {bigint} NOT NULL, events {bigint} NOT NULL, "
        f"position {bigint} NOT NULL, message TEXT NOT NULL)",
    ):
        db.execute(statement)


def _has_tables(db: Database) -> bool:
    if db.kind == "sqlite":
        rows = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='audit_checkpoints'")
    else:
        rows = [r for r in db.execute("SELECT to_regclass(?)", (db.table("audit_checkpoints"),)) if r[0]]
    return bool(rows)


def load_checkpoints(db: Database) -> list[Checkpoint]:
    """Every signed checkpoint, in order (a few per 10,000 events: they fit in memory)."""
    if not _has_tables(db):
        return []
    rows = db.execute(
        f"SELECT seq, position, events, link, signed_at, key_id, signature "
        f"FROM {db.table('audit_checkpoints')} ORDER BY seq"
    )
    return [
        Checkpoint(int(r[0]), int(r[1]), int(r[2]), bytes(r[3]), str(r[4]), str(r[5]), bytes(r[6]))
        for r in rows
    ]


def load_public_keys(db: Database) -> dict[str, AuditPublicKey]:
    """The public keys recorded next to the checkpoints, by key id (what exports publish)."""
    if not _has_tables(db):
        return {}
    rows = db.execute(f"SELECT key_id, public_key_pem FROM {db.table('audit_keys')} ORDER BY key_id")
    return {str(r[0]): AuditPublicKey.from_pem(str(r[1]), f"audit key {r[0]} in the database") for r in rows}


def chain_head(db: Database) -> ChainHead:
    """The last checkpoint (one row read, however long the history), or the genesis."""
    if not _has_tables(db):
        return ChainHead(0, 0, GENESIS, 0)
    rows = db.execute(
        f"SELECT position, events, link, seq FROM {db.table('audit_checkpoints')} ORDER BY seq DESC LIMIT 1"
    )
    if not rows:
        return ChainHead(0, 0, GENESIS, 0)
    position, events, link, seq = rows[0]
    return ChainHead(int(position), int(events), bytes(link), int(seq))


def chained_events(db: Database, after: int, limit: int) -> list[tuple[int, str, int, bytes]]:
    """Stored chain rows (position, originator id, version, link) after `after`."""
    rows = db.execute(
        f"SELECT position, originator_id, originator_version, link FROM {db.table('audit_chain')} "
        f"WHERE position > ? ORDER BY position LIMIT {int(limit)}",
        (after,),
    )
    return [(int(r[0]), str(r[1]), int(r[2]), bytes(r[3])) for r in rows]


def chain_position_of(db: Database, originator_id: str, originator_version: int) -> int | None:
    """Where the chain recorded an event (by originator id and version), if it did."""
    rows = db.execute(
        f"SELECT position FROM {db.table('audit_chain')} WHERE originator_id = ? AND originator_version = ?",
        (originator_id, originator_version),
    )
    return int(rows[0][0]) if rows else None


@dataclass(frozen=True)
class ExtendResult:
    """What one `extend_chain` run did."""

    chained: int
    checkpoints: list[Checkpoint]
    head: ChainHead
    ledger: str | None


def register_key(db: Database, public: AuditPublicKey) -> None:
    if not db.execute(f"SELECT 1 FROM {db.table('audit_keys')} WHERE key_id = ?", (public.key_id,)):
        db.execute(
            f"INSERT INTO {db.table('audit_keys')} (key_id, algorithm, public_key_pem) VALUES (?, ?, ?)",
            (public.key_id, ALGORITHM, public.pem),
        )


def extend_chain(
    db: Database,
    key: AuditKey,
    now: datetime,
    interval: int = CHECKPOINT_INTERVAL,
    on_progress: Callable[[int], None] | None = None,
) -> ExtendResult:
    """Chain every event after the head and sign a checkpoint every `interval` events and at the end."""
    if interval < 1:
        raise ValueError("the checkpoint interval must be at least 1")
    create_tables(db)
    first = db.first_event()
    if first is None:
        return ExtendResult(0, [], chain_head(db), None)
    ledger = ledger_identity(first)
    signed_at = now.isoformat()
    chained = 0
    made: list[Checkpoint] = []
    while True:
        with db.transaction():
            if db.kind == "postgres":
                # One extender at a time; the ledger's own writers are not blocked.
                db.execute("SELECT pg_advisory_xact_lock(7250127)")
            head = chain_head(db)
            room = interval - head.events % interval
            rows = db.read_events(head.position, room)
            if not rows:
                break
            link = head.link
            chain_rows = []
            for row in rows:
                link = next_link(link, row)
                chain_rows.append((row.position, row.originator_id, row.originator_version, link))
            db.insert_rows(
                db.table("audit_chain"),
                ("position", "originator_id", "originator_version", "link"),
                chain_rows,
            )
            register_key(db, key.public)
            seq = head.seq + 1
            position = rows[-1].position
            events = head.events + len(rows)
            signature = key.sign(signed_message(ledger, seq, position, events, link, signed_at))
            checkpoint = Checkpoint(seq, position, events, link, signed_at, key.public.key_id, signature)
            db.execute(
                f"INSERT INTO {db.table('audit_checkpoints')} "
                "(seq, position, events, link, signed_at, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (seq, position, events, link, signed_at, checkpoint.key_id, signature),
            )
        made.append(checkpoint)
        chained += len(rows)
        if on_progress is not None:
            on_progress(len(rows))
        if len(rows) < room:
            break
    return ExtendResult(chained, made, chain_head(db), ledger)


@dataclass(frozen=True)
class Verification:
    """The record of one `audit verify` run (what the auditor page shows as the last verification)."""

    verified_at: str
    ok: bool
    events: int
    position: int
    message: str


def record_verification(db: Database, verification: Verification) -> None:
    create_tables(db)
    db.execute(
        f"INSERT INTO {db.table('audit_verifications')} (verified_at, ok, events, position, message) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            verification.verified_at,
            int(verification.ok),
            verification.events,
            verification.position,
            verification.message,
        ),
    )


def last_verification(db: Database) -> Verification | None:
    if not _has_tables(db):
        return None
    rows = db.execute(
        f"SELECT verified_at, ok, events, position, message FROM {db.table('audit_verifications')} "
        "ORDER BY id DESC LIMIT 1"
    )
    if not rows:
        return None
    r = rows[0]
    return Verification(str(r[0]), bool(r[1]), int(r[2]), int(r[3]), str(r[4]))


def chain_head_events(db: Database) -> int:
    """How many events the stored chain covers (for progress bars and status)."""
    return chain_head(db).events

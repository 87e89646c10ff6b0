"""The stored transparency log: tree heads, signed checkpoints (kept, never rewritten), proofs.

The leaves and tiles are written by the ledger's recorder in each event's own transaction
(ledger.transparency); this module only reads them, and signs and stores checkpoints of tree sizes
that are already committed. Checkpoints are made at every multiple of 10,000 leaves, whenever
60 seconds have passed since the last one while events arrive, and on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ledger.merkle import (
    EMPTY_ROOT,
    ProofError,
    consistency_path,
    inclusion_path,
    subtree_hash,
)
from ledger.transparency import StoredTree, TreeHead, TreeTables, locate, read_head
from ledger.transparency_proof import inclusion_material
from projections.audit.auditkey import ALGORITHM, AuditKey, AuditPublicKey
from projections.audit.database import Database
from projections.audit.errors import AuditError
from projections.audit.note import Checkpoint, NoteVerifier, open_note, origin_of, sign_checkpoint

CHECKPOINT_INTERVAL = 10_000
CHECKPOINT_PERIOD = timedelta(seconds=60)
MAX_POSITION = 2**63 - 1


class ProofRequestError(AuditError):
    """A proof asked for something impossible (a size larger than the other, position 0): nothing was done."""

    code = "audit_proof_request_invalid"
    kind = "invalid"


class ProofNotAvailable(ProofRequestError):
    """A well-formed proof request for what the tree does not hold (yet): a position, a signed size."""

    code = "audit_proof_not_available"
    kind = "not_found"


def tables(db: Database) -> TreeTables:
    return TreeTables.for_store(db.kind, db.events_table_name, db.settings.schema or "public")


def has_tree(db: Database) -> bool:
    name = tables(db).head
    if db.kind == "sqlite":
        return bool(db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)))
    return bool([r for r in db.execute("SELECT to_regclass(?)", (name,)) if r[0]])


def head(db: Database) -> TreeHead:
    """The committed tree head (size, last position, right edge); an empty head when nothing is stored."""
    if not has_tree(db):
        return read_head(_Empty(), tables(db))
    return read_head(db, tables(db))


class _Empty:
    def query(self, sql: str, params: Any = ()) -> list[Any]:
        return []

    def many(self, sql: str, rows: Any) -> None:
        return None


def root_at(db: Database, size: int, tree: StoredTree | None = None) -> bytes:
    """MTH of the first `size` leaves, from the stored tiles (O(log n) rows)."""
    if size == 0:
        return EMPTY_ROOT
    return subtree_hash((tree or StoredTree(db, tables(db))).subtree, 0, size)


def ledger_identity(db: Database) -> str | None:
    """sha256:<leaf hash of the first event>: names the ledger in every checkpoint and file."""
    from ledger.transparency import leaf_hashes

    if head(db).size == 0:
        return None
    return "sha256:" + leaf_hashes(db, tables(db), 0, 1)[0].hex()


# ---- checkpoints ----------------------------------------------------------------------------------


def create_tables(db: Database) -> None:
    blob, bigint = db.blob, ("INTEGER" if db.kind == "sqlite" else "BIGINT")
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if db.kind == "sqlite" else "BIGSERIAL PRIMARY KEY"
    for statement in (
        f"CREATE TABLE IF NOT EXISTS {db.table('transparency_checkpoints')} (tree_size {bigint} PRIMARY KEY, "
        f"root {blob} NOT NULL, note TEXT NOT NULL, signed_at TEXT NOT NULL, key_id TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {db.table('audit_keys')} (key_id TEXT PRIMARY KEY, "
        "algorithm TEXT NOT NULL, public_key_pem TEXT NOT NULL)",
        f"CREATE TABLE IF NOT EXISTS {db.table('audit_verifications')} (id {serial}, "
        f"verified_at TEXT NOT NULL, ok {bigint} NOT NULL, events {bigint} NOT NULL, "
        f"position {bigint} NOT NULL, message TEXT NOT NULL)",
    ):
        db.execute(statement)


def _has_checkpoints(db: Database) -> bool:
    if getattr(db, "_has_checkpoints", False):  # tables are never dropped: one look per connection
        return True
    found = _look_for_checkpoints(db)
    if found:
        db._has_checkpoints = True  # type: ignore[attr-defined]
    return found


def _look_for_checkpoints(db: Database) -> bool:
    name = db.table("transparency_checkpoints")
    if db.kind == "sqlite":
        return bool(
            db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='transparency_checkpoints'")
        )
    return bool([r for r in db.execute("SELECT to_regclass(?)", (name,)) if r[0]])


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint as stored: the signed note and when and by which audit key it was signed."""

    checkpoint: Checkpoint
    signed_at: str
    key_id: str

    @property
    def tree_size(self) -> int:
        return self.checkpoint.tree_size


def _stored(row: tuple[Any, ...]) -> StoredCheckpoint:
    size, root, note, signed_at, key_id = row
    text = str(note)
    origin = text.split("\n", 1)[0]
    return StoredCheckpoint(Checkpoint(origin, int(size), bytes(root), text), str(signed_at), str(key_id))


_COLUMNS = "tree_size, root, note, signed_at, key_id"


def load_checkpoints(db: Database, after: int = -1, limit: int | None = None) -> list[StoredCheckpoint]:
    """Stored checkpoints by tree size (a few per 10,000 events)."""
    if not _has_checkpoints(db):
        return []
    tail = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM {db.table('transparency_checkpoints')} WHERE tree_size > ? ORDER BY tree_size{tail}",
        (after,),
    )
    return [_stored(r) for r in rows]


def latest_checkpoint(db: Database, at_most: int | None = None) -> StoredCheckpoint | None:
    """The checkpoint of the largest tree size (no larger than `at_most`), if any."""
    if not _has_checkpoints(db):
        return None
    where, params = ("WHERE tree_size <= ? ", (at_most,)) if at_most is not None else ("", ())
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM {db.table('transparency_checkpoints')} {where}ORDER BY tree_size DESC LIMIT 1",
        params,
    )
    return _stored(rows[0]) if rows else None


def checkpoint_of_size(db: Database, size: int) -> StoredCheckpoint | None:
    if not _has_checkpoints(db):
        return None
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM {db.table('transparency_checkpoints')} WHERE tree_size = ?", (size,)
    )
    return _stored(rows[0]) if rows else None


def register_key(db: Database, public: AuditPublicKey) -> None:
    if not db.execute(f"SELECT 1 FROM {db.table('audit_keys')} WHERE key_id = ?", (public.key_id,)):
        db.execute(
            f"INSERT INTO {db.table('audit_keys')} (key_id, algorithm, public_key_pem) VALUES (?, ?, ?)",
            (public.key_id, ALGORITHM, public.pem),
        )


def load_public_keys(db: Database) -> dict[str, AuditPublicKey]:
    """The public keys recorded next to the checkpoints, by key id (what exports publish)."""
    if not _has_checkpoints(db):
        return {}
    rows = db.execute(f"SELECT key_id, public_key_pem FROM {db.table('audit_keys')} ORDER BY key_id")
    return {str(r[0]): AuditPublicKey.from_pem(str(r[1]), f"audit key {r[0]} in the database") for r in rows}


def store_checkpoint(db: Database, stored: StoredCheckpoint) -> None:
    """Insert a checkpoint unless one of that size exists (checkpoints are never rewritten)."""
    cp = stored.checkpoint
    db.execute(
        f"INSERT INTO {db.table('transparency_checkpoints')} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (tree_size) DO NOTHING",
        (cp.tree_size, cp.root, cp.note, stored.signed_at, stored.key_id),
    )


def sign_size(
    db: Database, key: AuditKey, size: int, now: datetime, tree: StoredTree | None = None
) -> StoredCheckpoint:
    """Sign and store the checkpoint of tree size `size` (already committed), or return the stored one."""
    existing = checkpoint_of_size(db, size)
    if existing is not None:
        return existing
    ledger = ledger_identity(db)
    if ledger is None:
        raise AuditError("the ledger is empty: there is no tree to checkpoint yet")
    checkpoint = sign_checkpoint(key, origin_of(ledger), size, root_at(db, size, tree))
    stored = StoredCheckpoint(checkpoint, now.isoformat(), key.public.key_id)
    with db.transaction():
        register_key(db, key.public)
        store_checkpoint(db, stored)
    return checkpoint_of_size(db, size) or stored


@dataclass(frozen=True)
class CheckpointRun:
    """What one checkpointing pass signed, and the latest checkpoint after it."""

    signed: list[StoredCheckpoint]
    latest: StoredCheckpoint | None


def make_checkpoints(
    db: Database,
    key: AuditKey,
    now: datetime,
    *,
    on_demand: bool = True,
    interval: int = CHECKPOINT_INTERVAL,
    period: timedelta = CHECKPOINT_PERIOD,
) -> CheckpointRun:
    """Sign every multiple of `interval` not yet signed, then the current head when asked (on demand) or
    when `period` has passed since the last checkpoint. What the running service and the CLI call."""
    if interval < 1:
        raise AuditError("the checkpoint interval must be at least 1")
    create_tables(db)
    current = head(db).size
    latest = latest_checkpoint(db)
    done = latest.tree_size if latest is not None else 0
    signed: list[StoredCheckpoint] = []
    tree = StoredTree(db, tables(db))
    for size in range((done // interval + 1) * interval, current + 1, interval):
        signed.append(sign_size(db, key, size, now, tree))
    latest = signed[-1] if signed else latest
    due = latest is None or now - datetime.fromisoformat(latest.signed_at) >= period
    if current > (latest.tree_size if latest is not None else 0) and (on_demand or due):
        signed.append(sign_size(db, key, current, now, tree))
    return CheckpointRun(signed, signed[-1] if signed else latest)


# ---- proofs -----------------------------------------------------------------------------------------


def _proof_checkpoint(db: Database, tree_size: int | None) -> StoredCheckpoint:
    if tree_size is None:
        latest = latest_checkpoint(db)
        if latest is None:
            raise ProofNotAvailable("no checkpoint is signed yet: run `immunize audit checkpoint` first")
        return latest
    found = checkpoint_of_size(db, tree_size)
    if found is None:
        raise ProofNotAvailable(
            f"there is no signed checkpoint of tree size {tree_size}: proofs are given against signed sizes"
        )
    return found


def inclusion_proof(db: Database, position: int, tree_size: int | None = None) -> dict[str, Any]:
    """The inclusion proof of the event at `position` against the latest (or a given) checkpoint.

    One statement reads the checkpoint, the leaf's index and every tile hash the path needs
    (ledger.transparency_proof); when its guess of the index fails (a gap in one write's positions,
    no such event) the general path below reads the rows block by block and names what is wrong."""
    if position < 1 or position > MAX_POSITION:
        raise ProofRequestError(f"position {position} is not a log position (positions start at 1)")
    if _has_checkpoints(db):
        params: tuple[int, ...] = ()
        if tree_size is None:
            where = "ORDER BY tree_size DESC LIMIT 1"
        else:
            where, params = "WHERE tree_size = ?", (tree_size,)
        select = f"SELECT {_COLUMNS} FROM {db.table('transparency_checkpoints')} {where}"
        material = inclusion_material(db, tables(db), select, params, position)
        if material is not None and material.index is not None and material.index < material.checkpoint[0]:
            stored = _stored(material.checkpoint)
            return _inclusion(stored, position, material.index, material.tree)
    return _inclusion_by_blocks(db, position, tree_size)


def _inclusion_by_blocks(db: Database, position: int, tree_size: int | None) -> dict[str, Any]:
    stored = _proof_checkpoint(db, tree_size)
    size = stored.tree_size
    found = locate(db, tables(db), position)
    if found is None:
        raise ProofNotAvailable(f"there is no event at position {position} in the log")
    index, _leaf = found
    if index >= size:
        raise ProofNotAvailable(
            f"position {position} (leaf {index}) is beyond the checkpoint's tree of {size} leaves: "
            "wait for the next checkpoint or ask for a later tree size"
        )
    return _inclusion(stored, position, index, StoredTree(db, tables(db)))


def _inclusion(stored: StoredCheckpoint, position: int, index: int, tree: StoredTree) -> dict[str, Any]:
    path = inclusion_path(tree.subtree, index, stored.tree_size)
    return {
        "position": position,
        "leaf_index": index,
        "tree_size": stored.tree_size,
        "leaf_hash": tree.subtree(0, index).hex(),
        "inclusion_path": [p.hex() for p in path],
        "root_hash": stored.checkpoint.root.hex(),
        "checkpoint": stored.checkpoint.note,
    }


def consistency_proof(db: Database, old_size: int, new_size: int) -> dict[str, Any]:
    """The consistency proof between two tree sizes (each must be committed)."""
    if old_size > new_size:
        raise ProofRequestError(f"the old size {old_size} is larger than the new size {new_size}")
    if old_size < 1:
        raise ProofRequestError("the old size must be at least 1")
    current = head(db).size
    if new_size > current:
        raise ProofNotAvailable(f"the new size {new_size} is beyond the tree, which has {current} leaves")
    tree = StoredTree(db, tables(db))
    try:
        path = consistency_path(tree.subtree, old_size, new_size)
    except ProofError as exc:
        raise ProofRequestError(str(exc)) from exc
    return {
        "old_size": old_size,
        "new_size": new_size,
        "old_root": root_at(db, old_size, tree).hex(),
        "new_root": root_at(db, new_size, tree).hex(),
        "consistency_path": [p.hex() for p in path],
    }


def verifiers_for(ledger: str, keys: list[AuditPublicKey]) -> list[NoteVerifier]:
    """Note verifiers for the ledger's origin, one per trusted audit key."""
    origin = origin_of(ledger)
    return [NoteVerifier(origin, key) for key in keys]


def open_checkpoint(text: str | bytes, ledger: str, keys: list[AuditPublicKey], where: str) -> Checkpoint:
    """A signed note checked against the trusted keys and this ledger's origin."""
    checkpoint = open_note(text, verifiers_for(ledger, keys), where)
    if checkpoint.origin != origin_of(ledger):
        raise AuditError(f"{where} is for another log ({checkpoint.origin}), not {origin_of(ledger)}")
    return checkpoint


# ---- verification records (what the auditor page shows as the last verification) -----------------


@dataclass(frozen=True)
class Verification:
    """The record of one `audit verify` run."""

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
    if not _has_checkpoints(db):
        return None
    rows = db.execute(
        f"SELECT verified_at, ok, events, position, message FROM {db.table('audit_verifications')} "
        "ORDER BY id DESC LIMIT 1"
    )
    if not rows:
        return None
    r = rows[0]
    return Verification(str(r[0]), bool(r[1]), int(r[2]), int(r[3]), str(r[4]))

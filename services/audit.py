"""The auditor's use cases: the audit chain's status, a verification replay, the JSON Lines export."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime

from projections.audit import (
    Database,
    TamperingDetected,
    Verification,
    audit_status,
    local_public_key,
    record_verification,
    trusted_keys,
    verify,
    write_export,
)
from projections.audit.auditkey import AuditPublicKey
from projections.audit.verify import UNPINNED_WARNING
from services.backend import Backend
from services.errors import AuditNeedsDatabase

MAX_CHECKPOINTS_SHOWN = 50
EXPORT_BLOCK = 64 * 1024


@dataclass(frozen=True)
class CheckpointLine:
    position: int
    events: int
    hash: str
    at: str
    key: str


@dataclass(frozen=True)
class VerificationLine:
    ok: bool
    message: str  # as recorded, in English (the page words it in its own language from the fields below)
    at: str
    position: int
    events: int = 0
    pinned: bool = True  # checkpoints checked against a pinned key, not only the one in the database


@dataclass(frozen=True)
class AuditOverview:
    ledger: str | None
    events: int
    chained: int
    checkpoints: tuple[CheckpointLine, ...]
    last_verification: VerificationLine | None

    def as_json(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class VerificationOutcome:
    ok: bool
    message: str


def _database(backend: Backend) -> Database:
    if backend.store.kind == "memory":
        raise AuditNeedsDatabase("The audit chain needs a SQLite or PostgreSQL ledger.")
    return Database(backend.store)


def _pinned(backend: Backend) -> list[AuditPublicKey]:
    key = local_public_key(backend.key_dir)
    return [key] if key is not None else []


def overview(backend: Backend) -> AuditOverview:
    with _database(backend) as db:
        status = audit_status(db)
    last = status.last_verification
    return AuditOverview(
        ledger=status.ledger,
        events=status.events,
        chained=status.tree_size,
        checkpoints=tuple(
            CheckpointLine(c.tree_size, c.tree_size, c.checkpoint.root.hex(), c.signed_at, c.key_id)
            for c in reversed(status.checkpoints[-MAX_CHECKPOINTS_SHOWN:])
        ),
        last_verification=None
        if last is None
        else VerificationLine(
            last.ok,
            last.message,
            last.verified_at,
            last.position,
            last.events,
            UNPINNED_WARNING not in last.message,
        ),
    )


def verify_chain(backend: Backend, *, now: datetime) -> VerificationOutcome:
    """Replay the log against its chain (as `immunize audit verify`) and record the outcome."""
    with _database(backend) as db:
        trusted = trusted_keys(db, _pinned(backend))
        try:
            report = verify(db, trusted)
        except TamperingDetected as exc:
            record_verification(db, Verification(now.isoformat(), False, 0, exc.position, str(exc)))
            return VerificationOutcome(False, str(exc))
        record_verification(
            db, Verification(now.isoformat(), True, report.events, report.position, report.summary())
        )
    return VerificationOutcome(True, report.summary())


def export(backend: Backend, *, now: datetime) -> Iterator[bytes]:
    """The JSON Lines export, written to a temporary file first (a break is an error, not half a file)."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the generator below
    try:
        with _database(backend) as db:
            write_export(db, spool, trusted_keys(db, _pinned(backend)), now)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[bytes]:
        with spool:
            while block := spool.read(EXPORT_BLOCK):
                yield block

    return chunks()

"""The public transparency log's use cases: the latest signed checkpoint, proofs, a dose's proof.

Everything here is public and personal-data free (leaves are hashes, checkpoints tree heads), except
`dose_proof`, which the caller gives only for a person of the signed-in citizen's family.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from projections.audit import Database, consistency_proof, inclusion_proof, latest_checkpoint
from projections.audit.records import dose_proof as proof_of_dose
from projections.audit.tree import ProofNotAvailable
from services.backend import Backend
from services.errors import AuditNeedsDatabase


def _database(backend: Backend) -> Database:
    if backend.store.kind == "memory":
        raise AuditNeedsDatabase("The transparency log needs a SQLite or PostgreSQL ledger.")
    return Database(backend.store)


def latest_note(backend: Backend) -> str:
    """The latest signed checkpoint (C2SP signed note)."""
    with _database(backend) as db:
        latest = latest_checkpoint(db)
    if latest is None:
        raise ProofNotAvailable("no checkpoint is signed yet")
    return latest.checkpoint.note


def inclusion(backend: Backend, position: int, tree_size: int | None = None) -> dict[str, Any]:
    with _database(backend) as db:
        return inclusion_proof(db, position, tree_size)


def consistency(backend: Backend, old_size: int, new_size: int) -> dict[str, Any]:
    with _database(backend) as db:
        return consistency_proof(db, old_size, new_size)


def dose_proof(backend: Backend, person_id: UUID, dose_id: UUID) -> dict[str, Any]:
    """The proof that one dose record is in the public log (position, inclusion proof, checkpoint)."""
    with _database(backend) as db:
        return proof_of_dose(backend.ledger, db, person_id, dose_id)

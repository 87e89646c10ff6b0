"""Which log position holds a record: what the health book's "proof that this record is in the public log" needs."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from projections.audit.database import Database
from projections.audit.tree import ProofNotAvailable, inclusion_proof


def dose_position(app: Application[UUID], db: Database, person_id: UUID, dose_id: UUID) -> int:
    """The position of the event that recorded `dose_id` on the person's record."""
    for event in app.events.get(person_id):
        if type(event).__name__ == "DoseAdministered" and getattr(event, "dose_id", None) == dose_id:
            position = db.position_of(str(person_id), int(event.originator_version))
            if position is not None:
                return position
    raise ProofNotAvailable(f"no recorded dose {dose_id} on this record")


def dose_proof(app: Application[UUID], db: Database, person_id: UUID, dose_id: UUID) -> dict[str, Any]:
    """The downloadable proof of one dose: position, inclusion proof and the signed checkpoint.

    It carries hashes and a tree head only: nothing personal (the event itself stays sealed in the log).
    """
    proof = inclusion_proof(db, dose_position(app, db, person_id, dose_id))
    return {
        "about": "proof that this dose record is in the public log (RFC 9162 inclusion proof); "
        "check it with `immunize audit check-proof FILE` and the published audit key",
        **proof,
    }

"""What the auditor page shows: the ledger identity, tree head, checkpoints, keys, last verification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.audit.database import Database
from projections.audit.tree import (
    StoredCheckpoint,
    Verification,
    head,
    last_verification,
    ledger_identity,
    load_checkpoints,
    load_public_keys,
)


@dataclass(frozen=True)
class AuditStatus:
    """A snapshot of the audit state of one ledger store (read-only; nothing is verified here)."""

    ledger: str | None
    events: int
    tree_size: int
    head_position: int
    head_root: str
    checkpoints: list[StoredCheckpoint]
    keys: dict[str, str]  # key id -> public key PEM
    last_verification: Verification | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `immunize audit status --json` prints)."""
        last = self.last_verification
        return {
            "ledger": self.ledger,
            "events": self.events,
            "tree_size": self.tree_size,
            "head": {"position": self.head_position, "root": self.head_root},
            "checkpoints": [
                {
                    "tree_size": c.tree_size,
                    "root": c.checkpoint.root.hex(),
                    "signed_at": c.signed_at,
                    "key_id": c.key_id,
                    "note": c.checkpoint.note,
                }
                for c in self.checkpoints
            ],
            "keys": [
                {"key_id": k, "algorithm": "Ed25519", "public_key_pem": pem} for k, pem in self.keys.items()
            ],
            "last_verification": None
            if last is None
            else {
                "verified_at": last.verified_at,
                "ok": last.ok,
                "events": last.events,
                "position": last.position,
                "message": last.message,
            },
        }


def audit_status(db: Database) -> AuditStatus:
    """Read the audit state of `db`."""
    tree = head(db)
    return AuditStatus(
        ledger=ledger_identity(db),
        events=db.count_events(),
        tree_size=tree.size,
        head_position=tree.last_position,
        head_root=tree.frontier.root().hex(),
        checkpoints=load_checkpoints(db),
        keys={key_id: key.pem for key_id, key in load_public_keys(db).items()},
        last_verification=last_verification(db),
    )

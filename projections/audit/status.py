"""What the auditor page shows: the ledger identity, chain head, checkpoints, keys, last verification."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projections.audit.auditkey import b64
from projections.audit.chain import (
    Checkpoint,
    Verification,
    chain_head,
    last_verification,
    load_checkpoints,
    load_public_keys,
)
from projections.audit.chainhash import ledger_identity
from projections.audit.database import Database


@dataclass(frozen=True)
class AuditStatus:
    """A snapshot of the audit state of one ledger store (read-only; nothing is verified here)."""

    ledger: str | None
    events: int
    chained: int
    head_position: int
    head_link: str
    checkpoints: list[Checkpoint]
    keys: dict[str, str]  # key id -> public key PEM
    last_verification: Verification | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `immunize audit status --json` prints)."""
        last = self.last_verification
        return {
            "ledger": self.ledger,
            "events": self.events,
            "chained": self.chained,
            "head": {"position": self.head_position, "link": self.head_link},
            "checkpoints": [
                {
                    "seq": c.seq,
                    "position": c.position,
                    "events": c.events,
                    "link": c.link.hex(),
                    "signed_at": c.signed_at,
                    "key_id": c.key_id,
                    "signature": b64(c.signature),
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
    first = db.first_event()
    head = chain_head(db)
    return AuditStatus(
        ledger=ledger_identity(first) if first is not None else None,
        events=db.count_events(),
        chained=head.events,
        head_position=head.position,
        head_link=head.link.hex(),
        checkpoints=load_checkpoints(db),
        keys={key_id: key.pem for key_id, key in load_public_keys(db).items()},
        last_verification=last_verification(db),
    )

"""The transparency log of the ledger: signed checkpoints, proofs, verify, export/replay.

The leaves and tiles are written by the ledger's recorder with each event (ledger.transparency);
this package reads them. The functions other areas call (the web, the CLI):
- `Database(settings)`: a raw connection to the ledger store (close it, or use `with`);
- `make_checkpoints(db, AuditKey, now)`: sign checkpoints (every 10,000 leaves, every 60 s, on demand);
- `inclusion_proof(db, position)`, `consistency_proof(db, old, new)`, `latest_checkpoint(db)`;
- `verify(db, trusted_keys(db, pinned), trusted_checkpoint=...)`: the whole log, tree and checkpoints;
- `write_export(db, out, trusted, now)`: stream the JSON Lines export (e.g. as an HTTP download);
- `audit_status(db)`: ledger identity, tree head, checkpoints, keys and the last verification;
- `load_export(path, workdir, pinned)` + `rebuild_all(settings)`: what `audit replay` does.
"""

from projections.audit.auditkey import AuditKey, AuditPublicKey, local_public_key
from projections.audit.database import Database
from projections.audit.errors import AuditError, FileFormatError, TamperingDetected
from projections.audit.export import load_export, write_export
from projections.audit.files import atomic_output
from projections.audit.note import Checkpoint, NoteError, NoteVerifier, open_note, parse_note, verifier_key
from projections.audit.progress import progress_bar
from projections.audit.rebuild import rebuild_all
from projections.audit.status import AuditStatus, audit_status
from projections.audit.tree import (
    CHECKPOINT_INTERVAL,
    CHECKPOINT_PERIOD,
    ProofRequestError,
    StoredCheckpoint,
    Verification,
    consistency_proof,
    head,
    inclusion_proof,
    latest_checkpoint,
    ledger_identity,
    make_checkpoints,
    record_verification,
)
from projections.audit.verify import TrustedKeys, VerifyReport, trusted_keys, verify

__all__ = [
    "CHECKPOINT_INTERVAL",
    "CHECKPOINT_PERIOD",
    "AuditError",
    "AuditKey",
    "AuditPublicKey",
    "AuditStatus",
    "Checkpoint",
    "Database",
    "FileFormatError",
    "NoteError",
    "NoteVerifier",
    "ProofRequestError",
    "StoredCheckpoint",
    "TamperingDetected",
    "TrustedKeys",
    "Verification",
    "VerifyReport",
    "atomic_output",
    "audit_status",
    "consistency_proof",
    "head",
    "inclusion_proof",
    "latest_checkpoint",
    "ledger_identity",
    "load_export",
    "local_public_key",
    "make_checkpoints",
    "open_note",
    "parse_note",
    "progress_bar",
    "rebuild_all",
    "record_verification",
    "trusted_keys",
    "verifier_key",
    "verify",
    "write_export",
]

"""Tamper evidence for the ledger: hash chain, signed checkpoints, verify, export/replay.

The functions other areas call (the auditor web page, the CLI):
- `Database(settings)`: a raw connection to the ledger store (close it, or use `with`);
- `extend_chain(db, AuditKey, now)`: chain new events and sign checkpoints;
- `verify(db, trusted_keys(db, pinned))`: the whole log against chain and checkpoints;
- `write_export(db, out, trusted, now)`: stream the JSON Lines export (e.g. as an HTTP download);
- `audit_status(db)`: ledger identity, head, checkpoints, keys and the last verification;
- `load_export(path, workdir, pinned)` + `rebuild_all(settings)`: what `audit replay` does.
"""

from projections.audit.auditkey import AuditKey, AuditPublicKey, local_public_key
from projections.audit.chain import (
    CHECKPOINT_INTERVAL,
    Checkpoint,
    Verification,
    chain_head_events,
    extend_chain,
    record_verification,
)
from projections.audit.database import Database
from projections.audit.errors import AuditError, FileFormatError, TamperingDetected
from projections.audit.export import load_export, write_export
from projections.audit.files import atomic_output
from projections.audit.progress import progress_bar
from projections.audit.rebuild import rebuild_all
from projections.audit.status import AuditStatus, audit_status
from projections.audit.verify import TrustedKeys, VerifyReport, trusted_keys, verify

__all__ = [
    "CHECKPOINT_INTERVAL",
    "AuditError",
    "AuditKey",
    "AuditPublicKey",
    "AuditStatus",
    "Checkpoint",
    "Database",
    "FileFormatError",
    "TamperingDetected",
    "TrustedKeys",
    "Verification",
    "VerifyReport",
    "atomic_output",
    "audit_status",
    "chain_head_events",
    "extend_chain",
    "load_export",
    "local_public_key",
    "progress_bar",
    "rebuild_all",
    "record_verification",
    "trusted_keys",
    "verify",
    "write_export",
]

"""Checking a proof file offline: what `immunize audit check-proof` does with a citizen's download.

A proof file is the JSON `audit prove --json` prints (and the health book offers per dose):
position, leaf_index, tree_size, leaf_hash, inclusion_path, root_hash and the signed checkpoint.
It is checked with nothing but the audit public key: the checkpoint's signature (C2SP signed note),
its tree size and root against the proof's, then the RFC 9162 inclusion proof.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ledger.merkle import ProofError, verify_inclusion
from projections.audit.auditkey import AuditPublicKey
from projections.audit.errors import AuditError
from projections.audit.note import Checkpoint, NoteError, NoteVerifier, open_note, parse_note

MAX_PROOF_BYTES = 1024 * 1024
MAX_PATH = 64


class ProofFileError(AuditError):
    """A proof file that is malformed, or whose proof or checkpoint does not hold."""

    code = "audit_proof_invalid"
    kind = "invalid"


@dataclass(frozen=True)
class CheckedProof:
    position: int
    leaf_index: int
    checkpoint: Checkpoint


def _int(doc: dict[str, Any], name: str) -> int:
    value = doc.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ProofFileError(f"the proof file has no valid {name!r} (a non-negative integer)")
    return value


def _hash(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or len(value) != 64:
        raise ProofFileError(f"the proof file's {name} is not a 64-digit hex SHA-256 hash")
    try:
        return bytes.fromhex(value)
    except ValueError as exc:
        raise ProofFileError(f"the proof file's {name} is not hex") from exc


def check_proof(
    data: bytes, keys: list[AuditPublicKey], verifiers: list[NoteVerifier] | None = None
) -> CheckedProof:
    """Check a proof document against the trusted audit keys; raise ProofFileError saying what failed."""
    if len(data) > MAX_PROOF_BYTES:
        raise ProofFileError(f"the proof file is larger than {MAX_PROOF_BYTES} bytes: it is not a proof")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProofFileError("the proof file is not JSON: download it again") from exc
    if not isinstance(doc, dict):
        raise ProofFileError("the proof file is not a JSON object")
    position, index, size = _int(doc, "position"), _int(doc, "leaf_index"), _int(doc, "tree_size")
    leaf = _hash(doc.get("leaf_hash"), "leaf_hash")
    root = _hash(doc.get("root_hash"), "root_hash")
    raw_path = doc.get("inclusion_path")
    if not isinstance(raw_path, list) or len(raw_path) > MAX_PATH:
        raise ProofFileError("the proof file's inclusion_path is not a list of hashes")
    path = [_hash(item, "inclusion_path entry") for item in raw_path]
    note = doc.get("checkpoint")
    if not isinstance(note, str):
        raise ProofFileError("the proof file carries no checkpoint (signed note)")
    try:
        origin = parse_note(note, "the proof's checkpoint")[0].origin
        checkpoint = open_note(
            note,
            verifiers if verifiers is not None else [NoteVerifier(origin, k) for k in keys],
            "the proof's checkpoint",
        )
    except NoteError as exc:
        raise ProofFileError(str(exc)) from exc
    if checkpoint.tree_size != size or checkpoint.root != root:
        raise ProofFileError("the proof's tree size or root hash differs from its signed checkpoint")
    try:
        verify_inclusion(index, size, leaf, path, root)
    except ProofError as exc:
        raise ProofFileError(f"the inclusion proof of position {position} fails: {exc}") from exc
    return CheckedProof(position, index, checkpoint)

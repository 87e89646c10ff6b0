"""Errors of the audit, export, replay and backup tools; all derive from ProjectionError."""

from __future__ import annotations

from projections.errors import ProjectionError


class AuditError(ProjectionError):
    """The audit tools cannot do what was asked (store, key, file); the message says what to do."""

    code = "audit_error"


class TamperingDetected(AuditError):
    """The log no longer matches its audit chain or a signed checkpoint.

    `tampering` says what was found (removed, rewritten, bad-signature, unknown-key...); `kind` is the
    error kind every project error has.
    """

    code = "audit_tampering_detected"
    kind = "conflict"

    def __init__(self, message: str, position: int, kind: str) -> None:
        super().__init__(message)
        self.position = position
        self.tampering = kind


class FileFormatError(AuditError):
    """An export or backup file is corrupt, truncated, forged or from another ledger."""

    code = "audit_file_invalid"
    kind = "invalid"

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line

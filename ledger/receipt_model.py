"""The idempotency receipt aggregate (no framework, no crypto, no database).

Issue 11 moved it here from `ledger.domainmodel`: receipts stored before the move carry the topic
`ledger.domainmodel:Receipt.Issued`, which `ledger.topics` maps to this class.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event


class Receipt(Aggregate):
    """Proof that a command ran, kept under the id uuid5(namespace, idempotency key).

    Saved in the same transaction as the command's own events, so a retry finds it and returns
    `result` without writing anything. `fingerprint` is a keyed hash of the command's arguments,
    so reusing a key for different arguments is detected without storing the arguments.
    """

    id: UUID  # uuid5(namespace, idempotency key)

    class Issued(Aggregate.Created):
        """A command with an idempotency key was applied."""

        at: datetime
        command: str
        fingerprint: str
        result: dict[str, Any]

    @event(Issued)
    def __init__(self, at: datetime, command: str, fingerprint: str, result: dict[str, Any]) -> None:
        self.command = command
        self.fingerprint = fingerprint
        self.result = result

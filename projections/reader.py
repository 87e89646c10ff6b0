"""The ledger's log as the views read it: the Ledger application, with personal data left sealed.

No view stores personal data, so decoding never needs to open it: this reader swaps the ledger's
personal-data transcoding for one that keeps only the owner id (no key lookup, no decryption).
It is faster, and a projection process cannot leak what it never decrypted.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding

from ledger.application import Ledger
from ledger.values import PersonalData


class SealedPersonalData(Transcoding):
    """Decodes a sealed personal value to its owner only (`value` None); never encodes."""

    type = PersonalData
    name = "personal_data"

    def encode(self, obj: PersonalData) -> dict[str, str]:
        raise TypeError("The projections' reader of the ledger never writes events.")

    def decode(self, data: dict[str, Any] | str) -> PersonalData:
        # Both forms the ledger has written: {"o": owner hex, ...} and "<owner hex>:<sealed>".
        owner = data["o"] if isinstance(data, dict) else data.partition(":")[0]
        return PersonalData(UUID(owner), None)


class LedgerReader(Ledger):
    """The Ledger, reading only: events decode with personal data sealed."""

    # The same name, so the same tables (PostgreSQL names them after the application) and settings.
    name = Ledger.name
    # Keyed views (the phone index) need personal data opened: projections.runner refuses them here.
    opens_personal_data = False

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The ledger's transcodings, then the sealed-personal-data one in place of the decrypting one."""
        super().register_transcodings(transcoder)
        transcoder.register(SealedPersonalData())

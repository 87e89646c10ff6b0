"""How the value types the ledger's events carry are stored (the library's JSON transcoder knows none of them)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding

from ledger.personaldata import KeyRing, PersonalDataAsSealed
from ledger.values import Actor, Role


class DateAsISO(Transcoding):
    """`date` as YYYY-MM-DD (the default transcoder refuses dates)."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class ActorAsList(Transcoding):
    """`Actor` as [id, role, site hex or null] (a list: cheaper to decode than a nested object)."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> list[str | None]:
        return [obj.actor_id, obj.role.value, obj.site_id.hex if obj.site_id else None]

    def decode(self, data: list[str | None] | dict[str, Any]) -> Actor:
        if isinstance(data, dict):  # the first format: {"id", "role", "site"}
            return Actor(data["id"], Role(data["role"]), data["site"])
        actor_id, role, site = data
        return Actor(str(actor_id), Role(str(role)), UUID(hex=site) if site else None)


def register_ledger_transcodings(transcoder: JSONTranscoder, keys: KeyRing) -> None:
    """Dates, actors and sealed personal data (after the library's own transcodings)."""
    transcoder.register(DateAsISO())
    transcoder.register(ActorAsList())
    transcoder.register(PersonalDataAsSealed(keys))

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
    """`Actor` as [id, role, site hex or null] plus the province code when there is one (a list: cheaper
    to decode than a nested object; three items for actors without a province, as stored before)."""

    type = Actor
    name = "actor"

    def encode(self, obj: Actor) -> list[str | None]:
        encoded = [obj.actor_id, obj.role.value, obj.site_id.hex if obj.site_id else None]
        if obj.province_code:
            encoded.append(obj.province_code)
        return encoded

    def decode(self, data: list[str | None] | dict[str, Any]) -> Actor:
        if isinstance(data, dict):  # the first format: {"id", "role", "site"}
            return Actor(data["id"], Role(data["role"]), data["site"])
        actor_id, role, site = data[:3]
        province = data[3] if len(data) > 3 else None
        return Actor(str(actor_id), Role(str(role)), UUID(hex=site) if site else None, province)


def register_ledger_transcodings(transcoder: JSONTranscoder, keys: KeyRing) -> None:
    """Dates, actors and sealed personal data (after the library's own transcodings)."""
    transcoder.register(DateAsISO())
    transcoder.register(ActorAsList())
    transcoder.register(PersonalDataAsSealed(keys))

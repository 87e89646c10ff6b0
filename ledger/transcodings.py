"""How the value types the ledger's events carry are stored (the library's JSON transcoder knows none of them)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, Transcoding, TranscodingNotRegisteredError

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


_PLAIN = frozenset({str, int, float, bool, type(None)})


class FastJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder, encoding the same bytes faster.

    The library hands every value the json module cannot encode (UUIDs, times, actors, sealed data)
    to a Python `default` callback, one C-to-Python round trip each: about a fifth of booking a
    province's day went there. Here the event's state is first turned into plain JSON values in one
    Python pass (each registered type by its transcoding, as the callback would), then encoded by
    the json module's C encoder alone. The output is byte-for-byte the library's (a test re-encodes
    every event of a demo store with both); decoding is the library's own.
    """

    def __init__(self) -> None:
        super().__init__()
        self._plain = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

    def encode(self, obj: Any) -> bytes:
        return self._plain.encode(self._native(obj)).encode("utf8")

    def _native(self, o: Any) -> Any:
        # What json encodes natively (str, int, float, bool, None and their subclasses, dicts, lists,
        # tuples) stays itself; anything else goes through its transcoding, exactly as `default` does.
        kind = type(o)
        if kind in _PLAIN:
            return o
        if kind is dict:
            return {k: v if type(v) in _PLAIN else self._native(v) for k, v in o.items()}
        if kind is list or kind is tuple:
            return [v if type(v) in _PLAIN else self._native(v) for v in o]
        if isinstance(o, str | int | float):
            return o  # e.g. a StrEnum member: json writes it as its plain value, never through `default`
        if isinstance(o, dict):
            return {k: self._native(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [self._native(v) for v in o]
        transcoding = self.types.get(kind)
        if transcoding is None:
            raise TranscodingNotRegisteredError(
                f"Object of type {kind} is not serializable. Please define and register "
                "a custom transcoding for this type."
            )
        data = transcoding.encode(o)
        return {"_type_": transcoding.name, "_data_": data if type(data) in _PLAIN else self._native(data)}

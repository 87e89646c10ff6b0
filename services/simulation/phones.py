"""The simulated people's phones: an SMS gateway (the `services.sms_gateways.Gateway` interface) that
hands each text to the household's phone at once. The one fake of the simulation: no real network
can run here. References are numbered, so the same seed gives the same outbox."""

from __future__ import annotations

from collections import Counter

from services.sms_gateways import Sms


class SimulatedPhones:
    """Delivers every text; remembers how many each phone received (read by the simulation's tally)."""

    def __init__(self) -> None:
        self.sent = 0
        self.by_phone: Counter[str] = Counter()
        self._references: dict[str, str] = {}

    def send(self, sms: Sms, idempotency_key: str) -> str:
        """Deliver once per idempotency key (a retried attempt gets the first reference back)."""
        found = self._references.get(idempotency_key)
        if found is not None:
            return found
        self.sent += 1
        self.by_phone[sms.to] += 1
        reference = f"sim-{self.sent:08d}"
        self._references[idempotency_key] = reference
        return reference

"""What the web app must look up that the ledger has no query for: sites, lots, phone -> people,
and certificates (UCI -> person, the withdrawn UCIs of the revocation list).

A small in-process reader of the ledger's log (only the few event types it needs), caught up
before each use. The phone index holds keyed hashes of phone numbers, never the numbers.
Kept in memory: fine for a province or a demo; at national scale this belongs in a projection.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.certificates import Certificate
from ledger.domainmodel import Person, VaccinationSite, VaccineLot

PAGE = 1000


def _topic(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@dataclass
class Site:
    id: str
    code: str
    name: str
    ward_code: str
    province_code: str
    capacity_per_day: int


@dataclass
class Lot:
    id: str
    product: str
    lot_number: str
    expiry: date
    site_id: str
    quantity: int
    manufacturer: str = ""


@dataclass
class Directory:
    """Sites, lots and the phone index, caught up from the log by `refresh()`."""

    ledger: Ledger
    phone_key: Callable[[str], str | None]
    sites: dict[str, Site] = field(default_factory=dict)
    lots: dict[str, Lot] = field(default_factory=dict)
    people_by_phone: dict[str, set[str]] = field(default_factory=dict)
    phone_of: dict[str, str] = field(default_factory=dict)
    person_of_uci: dict[str, str] = field(default_factory=dict)
    withdrawn: set[str] = field(default_factory=set)
    position: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def topics(self) -> list[str]:
        return [
            _topic(Person.Registered),
            _topic(Person.PhoneCorrected),
            _topic(Person.Erased),
            _topic(VaccinationSite.Registered),
            _topic(VaccinationSite.CapacityChanged),
            _topic(VaccineLot.Received),
            _topic(VaccineLot.Transferred),
            _topic(Certificate.Issued),
            _topic(Certificate.Superseded),
            _topic(Certificate.Revoked),
        ]

    def refresh(self) -> None:
        with self._lock:
            topics = self.topics()
            while True:
                page = self.ledger.recorder.select_notifications(
                    self.position, PAGE, topics=topics, inclusive_of_start=False
                )
                if not page:
                    return
                for notification in page:
                    self._apply(self.ledger.mapper.to_domain_event(notification))
                self.position = page[-1].id
                if len(page) < PAGE:
                    return

    def _index_phone(self, person_id: str, phone: Any) -> None:
        old = self.phone_of.pop(person_id, None)
        if old is not None:
            self.people_by_phone.get(old, set()).discard(person_id)
        value = getattr(phone, "value", None) if phone is not None else None
        key = self.phone_key(value) if isinstance(value, str) else None
        if key:
            self.phone_of[person_id] = key
            self.people_by_phone.setdefault(key, set()).add(person_id)

    def _apply(self, event: Any) -> None:
        aggregate_id = str(event.originator_id)
        if isinstance(event, Person.Registered):
            if getattr(event, "guardian_id", None) is None:  # dependants are reached through the guardian
                self._index_phone(aggregate_id, getattr(event, "phone", None))
        elif isinstance(event, Person.PhoneCorrected):
            if aggregate_id in self.phone_of:
                self._index_phone(aggregate_id, getattr(event, "phone", None))
        elif isinstance(event, Person.Erased):
            self._index_phone(aggregate_id, None)
        elif isinstance(event, VaccinationSite.Registered):
            self.sites[aggregate_id] = Site(
                id=aggregate_id,
                code=str(event.code),
                name=str(event.name),
                ward_code=str(event.ward_code),
                province_code=str(event.province_code),
                capacity_per_day=int(event.capacity_per_day),
            )
        elif isinstance(event, VaccinationSite.CapacityChanged):
            if aggregate_id in self.sites:
                self.sites[aggregate_id].capacity_per_day = int(event.capacity_per_day)
        elif isinstance(event, VaccineLot.Received):
            self.lots[aggregate_id] = Lot(
                id=aggregate_id,
                product=str(event.product),
                lot_number=str(event.lot_number),
                expiry=event.expiry,
                site_id=str(event.site_id),
                quantity=int(getattr(event, "quantity", 0) or 0),
                manufacturer=str(getattr(event, "manufacturer", "") or ""),
            )
        elif isinstance(event, VaccineLot.Transferred) and aggregate_id in self.lots:
            self.lots[aggregate_id].site_id = str(event.site_id)
        elif isinstance(event, Certificate.Issued):
            self.person_of_uci[str(event.uci)] = str(event.person_id)
        elif isinstance(event, Certificate.Superseded | Certificate.Revoked):
            self.withdrawn.add(str(event.uci))

    def withdrawn_ucis(self) -> list[str]:
        """Superseded and revoked UCIs (what `ledger.certificates.withdrawn_certificates` lists), caught up."""
        self.refresh()
        with self._lock:
            return sorted(self.withdrawn)

    def person_for_uci(self, uci: str) -> str | None:
        self.refresh()
        return self.person_of_uci.get(uci)

    def people_with_phone(self, key: str) -> list[UUID]:
        self.refresh()
        return sorted(UUID(p) for p in self.people_by_phone.get(key, set()))

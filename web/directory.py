"""What the web app must look up that the ledger has no query for: sites and lots (small, kept in
memory), and the per-person indexes kept in the web tables: phone -> people (keyed hashes, never
the numbers) and certificates (UCI -> person, withdrawn UCIs for the revocation list).

A reader of the ledger's log, only the event types it needs, caught up before each use. Writes to
the tables are idempotent upserts applied in log order, so a page read twice after a crash gives
the same rows; the position is stored with each page.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from ledger.application import Ledger
from ledger.certificate_model import Certificate
from ledger.domainmodel import Person, VaccinationSite, VaccineLot
from ledger.topics import stored_topics
from web.store import SqlStore

PAGE = 1000
INDEX_POSITION = "directory"
INDEX_KEY_CHECK = "directory-phone-key"

Statement = tuple[str, tuple[Any, ...]]


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


SITE_TOPICS = (
    VaccinationSite.Registered,
    VaccinationSite.CapacityChanged,
    VaccineLot.Received,
    VaccineLot.Transferred,
)
INDEX_TOPICS = (
    Person.Registered,
    Person.PhoneCorrected,
    Person.Erased,
    Certificate.Issued,
    Certificate.Superseded,
    Certificate.Revoked,
)


@dataclass
class Directory:
    """Sites and lots in memory; phone and certificate indexes in the web tables; `refresh()` catches up."""

    ledger: Ledger
    phone_key: Callable[[str], str | None]
    store: SqlStore
    sites: dict[str, Site] = field(default_factory=dict)
    lots: dict[str, Lot] = field(default_factory=dict)
    position: int = 0  # of the in-memory part; the tables keep their own
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checked_key: bool = False

    # reading the log -------------------------------------------------------------------------------
    def _pages(self, start: int, topics: tuple[type, ...]) -> Any:
        names = [name for t in topics for name in stored_topics(t)]  # old topics of moved classes too
        while True:
            page = self.ledger.recorder.select_notifications(
                start, PAGE, topics=names, inclusive_of_start=False
            )
            if not page:
                return
            yield page
            start = page[-1].id
            if len(page) < PAGE:
                return

    def refresh(self) -> None:
        with self._lock:
            for page in self._pages(self.position, SITE_TOPICS):
                for notification in page:
                    self._apply_site(self.ledger.mapper.to_domain_event(notification))
                self.position = page[-1].id
            self._check_phone_key()
            for page in self._pages(self._index_position(), INDEX_TOPICS):
                statements: list[Statement] = []
                for notification in page:
                    statements += self._index_statements(self.ledger.mapper.to_domain_event(notification))
                statements.append(
                    (
                        "INSERT INTO web_positions (name, position) VALUES (?, ?) "
                        "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                        (INDEX_POSITION, page[-1].id),
                    )
                )
                self.store.transaction(statements)

    def _index_position(self) -> int:
        rows = self.store.query("SELECT position FROM web_positions WHERE name = ?", (INDEX_POSITION,))
        return int(rows[0][0]) if rows else 0

    def _check_phone_key(self) -> None:
        """Phone keys are HMACs under the web secret: a new secret means rebuilding the phone index."""
        if self._checked_key:
            return
        fingerprint = self.phone_key("0900000000") or ""  # any valid number: only the key matters
        rows = self.store.query("SELECT value FROM web_settings WHERE name = ?", (INDEX_KEY_CHECK,))
        if not rows or rows[0][0] != fingerprint:
            self.store.transaction(
                [
                    ("DELETE FROM web_phone_index", ()),
                    ("DELETE FROM web_certificates", ()),
                    ("DELETE FROM web_positions WHERE name = ?", (INDEX_POSITION,)),
                    ("DELETE FROM web_settings WHERE name = ?", (INDEX_KEY_CHECK,)),
                    ("INSERT INTO web_settings (name, value) VALUES (?, ?)", (INDEX_KEY_CHECK, fingerprint)),
                ]
            )
        self._checked_key = True

    # applying events ----------------------------------------------------------------------------------
    def _phone_rows(self, person_id: str, phone: Any) -> list[Statement]:
        statements: list[Statement] = [("DELETE FROM web_phone_index WHERE person_id = ?", (person_id,))]
        value = getattr(phone, "value", None) if phone is not None else None
        key = self.phone_key(value) if isinstance(value, str) else None
        if key:
            statements.append(
                (
                    "INSERT INTO web_phone_index (phone_key, person_id) VALUES (?, ?) "
                    "ON CONFLICT (phone_key, person_id) DO NOTHING",
                    (key, person_id),
                )
            )
        return statements

    def _index_statements(self, event: Any) -> list[Statement]:
        aggregate_id = str(event.originator_id)
        if isinstance(event, Person.Registered):
            if getattr(event, "guardian_id", None) is None:  # dependants are reached through the guardian
                return self._phone_rows(aggregate_id, getattr(event, "phone", None))
            return []
        if isinstance(event, Person.PhoneCorrected):
            return self._phone_rows(aggregate_id, getattr(event, "phone", None))
        if isinstance(event, Person.Erased):
            return self._phone_rows(aggregate_id, None)
        if isinstance(event, Certificate.Issued):
            return [
                (
                    "INSERT INTO web_certificates (uci, person_id, withdrawn) VALUES (?, ?, 0) "
                    "ON CONFLICT (uci) DO NOTHING",
                    (str(event.uci), str(event.person_id)),
                )
            ]
        if isinstance(event, Certificate.Revoked):  # superseded certificates stay valid
            return [("UPDATE web_certificates SET withdrawn = 1 WHERE uci = ?", (str(event.uci),))]
        return []

    def _apply_site(self, event: Any) -> None:
        aggregate_id = str(event.originator_id)
        if isinstance(event, VaccinationSite.Registered):
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

    # queries --------------------------------------------------------------------------------------------
    def person_for_uci(self, uci: str) -> str | None:
        self.refresh()
        rows = self.store.query("SELECT person_id FROM web_certificates WHERE uci = ?", (uci,))
        return str(rows[0][0]) if rows else None

    def people_with_phone(self, key: str) -> list[UUID]:
        self.refresh()
        rows = self.store.query("SELECT person_id FROM web_phone_index WHERE phone_key = ?", (key,))
        return sorted(UUID(str(r[0])) for r in rows)

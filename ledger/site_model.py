"""Aggregates of the places and the vaccine: vaccination sites and vaccine lots (no framework, no
crypto, no database; the house style of ledger.domainmodel).

Issue 11 moved them here from `ledger.domainmodel`: events stored before the move carry the topics
`ledger.domainmodel:VaccinationSite...` and `ledger.domainmodel:VaccineLot...`, which `ledger.topics`
maps to these classes.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.errors import RuleViolation
from ledger.values import Actor


class VaccinationSite(Aggregate):
    """A vaccination site: where doses are given, with a daily capacity."""

    id: UUID  # given by the application

    class Registered(Aggregate.Created):
        """A vaccination site was registered."""

        actor: Actor
        at: datetime
        code: str
        name: str
        ward_code: str
        province_code: str
        capacity_per_day: int

    @event(Registered)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        code: str,
        name: str,
        ward_code: str,
        province_code: str,
        capacity_per_day: int,
    ) -> None:
        self.code = code
        self.name = name
        self.ward_code = ward_code
        self.province_code = province_code
        self.capacity_per_day = capacity_per_day

    class CapacityChanged(Aggregate.Event):
        """The site's daily capacity changed."""

        actor: Actor
        at: datetime
        capacity_per_day: int

    def change_capacity(self, *, capacity_per_day: int, actor: Actor, at: datetime) -> None:
        """Change the daily capacity."""
        self._capacity_changed(actor=actor, at=at, capacity_per_day=capacity_per_day)

    @event(CapacityChanged)
    def _capacity_changed(self, actor: Actor, at: datetime, capacity_per_day: int) -> None:
        self.capacity_per_day = capacity_per_day


class VaccineLot(Aggregate):
    """A lot of one vaccine product: manufacturer, expiry, and the site holding it."""

    id: UUID  # given by the application

    class Received(Aggregate.Created):
        """A vaccine lot was received at a site."""

        actor: Actor
        at: datetime
        product: str  # vaccines.csv mp_code
        manufacturer: str  # vaccines.csv ma_code
        lot_number: str
        expiry: date
        site_id: UUID
        quantity: int

    @event(Received)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        product: str,
        manufacturer: str,
        lot_number: str,
        expiry: date,
        site_id: UUID,
        quantity: int,
    ) -> None:
        self.product = product
        self.manufacturer = manufacturer
        self.lot_number = lot_number
        self.expiry = expiry
        self.site_id = site_id
        self.quantity = quantity

    def usable_on(self, day: date) -> bool:
        """A lot can be used up to and including its expiry date."""
        return day <= self.expiry

    class Transferred(Aggregate.Event):
        """The lot moved to another site."""

        actor: Actor
        at: datetime
        site_id: UUID

    def transfer(self, *, site_id: UUID, actor: Actor, at: datetime) -> None:
        """Move the lot to another site."""
        if site_id == self.site_id:
            raise RuleViolation("The lot is already at that site.")
        self._transferred(actor=actor, at=at, site_id=site_id)

    @event(Transferred)
    def _transferred(self, actor: Actor, at: datetime, site_id: UUID) -> None:
        self.site_id = site_id

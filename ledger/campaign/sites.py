"""A site's schedule: address, sessions per day with capacity, opening days, open or paused.

It is its own aggregate (id derived from the site's id) beside the existing VaccinationSite, so that
the sites registered before campaign operations keep replaying unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from ledger.campaign.errors import SiteClosed
from ledger.campaign.values import Session, SiteStatus, format_opening_days
from ledger.errors import RuleViolation
from ledger.values import Actor


class SiteSchedule(Aggregate):
    """When and how many people a vaccination site can take."""

    id: UUID  # schedule_id(site_id)

    class Configured(Aggregate.Created):
        """A site's schedule was set up."""

        actor: Actor
        at: datetime
        site_id: UUID
        name: str
        ward_code: str
        province_code: str
        address: str
        sessions: list[list[str | int]]
        opening_days: list[int]

    @event(Configured)
    def __init__(
        self,
        actor: Actor,
        at: datetime,
        site_id: UUID,
        name: str,
        ward_code: str,
        province_code: str,
        address: str,
        sessions: list[list[str | int]],
        opening_days: list[int],
    ) -> None:
        self.site_id = site_id
        self.name = name
        self.ward_code = ward_code
        self.province_code = province_code
        self.address = address
        self.sessions = tuple(Session.from_list(s) for s in sessions)
        self.opening_days = tuple(opening_days)
        self.status = SiteStatus.OPEN

    @property
    def capacity_per_day(self) -> int:
        """The sum of the sessions' capacities."""
        return sum(s.capacity for s in self.sessions)

    @property
    def opening_days_text(self) -> str:
        """The opening days as `mon,tue,...` or `daily`."""
        return format_opening_days(self.opening_days)

    def check_open_on(self, day: date) -> None:
        """Refuse a day the site does not work."""
        if self.status is not SiteStatus.OPEN:
            raise SiteClosed(
                f"The site {self.name} is paused: reopen it before planning.", site=self.name, day=day
            )
        if day.weekday() not in self.opening_days:
            raise SiteClosed(
                f"The site {self.name} does not open on {day.strftime('%A')} {day.isoformat()} (open "
                f"{self.opening_days_text}): choose another day or change its opening days.",
                site=self.name,
                day=day,
            )

    class SessionsChanged(Aggregate.Event):
        """The sessions (times, capacities) or opening days changed; plans already made keep theirs."""

        actor: Actor
        at: datetime
        sessions: list[list[str | int]]
        opening_days: list[int]

    def change_sessions(
        self, *, sessions: tuple[Session, ...], opening_days: tuple[int, ...], actor: Actor, at: datetime
    ) -> None:
        """Change the sessions and opening days (no event when nothing changes)."""
        if sessions == self.sessions and opening_days == self.opening_days:
            return
        self._sessions_changed(
            actor=actor, at=at, sessions=[s.as_list() for s in sessions], opening_days=list(opening_days)
        )

    @event(SessionsChanged)
    def _sessions_changed(
        self, actor: Actor, at: datetime, sessions: list[list[str | int]], opening_days: list[int]
    ) -> None:
        self.sessions = tuple(Session.from_list(s) for s in sessions)
        self.opening_days = tuple(opening_days)

    class PlaceChanged(Aggregate.Event):
        """The site moved to another ward of its province, or its address was corrected."""

        actor: Actor
        at: datetime
        ward_code: str
        address: str

    def change_place(self, *, ward_code: str, address: str, actor: Actor, at: datetime) -> None:
        """Change the ward (same province) and the address (no event when nothing changes)."""
        if ward_code == self.ward_code and address == self.address:
            return
        self._place_changed(actor=actor, at=at, ward_code=ward_code, address=address)

    @event(PlaceChanged)
    def _place_changed(self, actor: Actor, at: datetime, ward_code: str, address: str) -> None:
        self.ward_code = ward_code
        self.address = address

    class StatusChanged(Aggregate.Event):
        """The site was paused (no new appointments) or reopened."""

        actor: Actor
        at: datetime
        status: str
        reason: str

    def set_status(self, *, status: SiteStatus, reason: str, actor: Actor, at: datetime) -> None:
        """Pause or reopen the site."""
        if status is self.status:
            raise RuleViolation(f"The site {self.name} is already {status.value}.")
        self._status_changed(actor=actor, at=at, status=status.value, reason=reason)

    @event(StatusChanged)
    def _status_changed(self, actor: Actor, at: datetime, status: str, reason: str) -> None:
        self.status = SiteStatus(status)

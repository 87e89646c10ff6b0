"""What every campaign operation shares: the ledger and view store, the views brought up to the log
(once for a batch of calls), one site or appointment as listed, idempotency keys derived from what a
command does, and ids read from text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.application import Ledger
from ledger.campaign.errors import (
    AppointmentNotFound,
    CampaignInputInvalid,
)
from ledger.errors import SiteNotFound
from projections import (
    plan_queries,
    site_queries,
)
from projections.registry import catch_up_views
from projections.store import ViewStore

VIEWS = ("operations", "campaign", "stock")


def derived_key(*parts: object) -> str:
    """An idempotency key derived from what a command does (a retry is the same request)."""
    return "campaign:" + hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def as_id(value: object, what: str) -> UUID:
    """An id given as text (a form, the CLI) as a UUID, or one clear sentence."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise CampaignInputInvalid(f"{value!r} is not a {what} id: copy the id exactly.") from None


class CampaignBase:
    """The ledger and view store the campaign's operations work on."""

    def __init__(self, ledger: Ledger, store: ViewStore) -> None:
        self.ledger = ledger
        self.store = store
        self._held = False

    @contextmanager
    def caught_up_once(self) -> Iterator[None]:
        """Many calls as one batch (every site's day planned, every site's list read): the views are
        brought up to the log once before and once after, not around each call. Inside, reads see the
        views as they were at the start: a call's own writes are not read back (a plan returns its
        `booked_now`, but its sessions as they were). The ledger still re-checks every write."""
        self.refresh()
        self._held = True
        try:
            yield
        finally:
            self._held = False
            self.refresh()

    def refresh(self) -> None:
        """Bring the campaign and operations views up to the log (reads then see every write so far).

        A projections follower may be applying the same pages at the same moment: the view's position
        then refuses the second writer's page (IntegrityError, rolled back), and catching up again
        resumes from the position the follower reached."""
        if self._held:
            return
        for _ in range(5):
            try:
                catch_up_views(self.ledger, self.store, VIEWS)
                return
            except IntegrityError:
                continue
        catch_up_views(self.ledger, self.store, VIEWS)

    def site(self, site_id: str | UUID) -> site_queries.SiteRow:
        """One site, or SiteNotFound."""
        self.refresh()
        found = site_queries.site(self.store, as_id(site_id, "site"))
        if found is None:
            raise SiteNotFound(f"No vaccination site {site_id}: see `immunize site list`.")
        return found

    def _appointment(self, appointment_id: str | UUID) -> plan_queries.AppointmentRow:
        self.refresh()
        found = plan_queries.appointment(self.store, as_id(appointment_id, "appointment"))
        if found is None:
            raise AppointmentNotFound(f"No appointment {appointment_id}: check the id.")
        return found

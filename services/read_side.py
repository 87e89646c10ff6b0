"""The read side the pages, the API and the CLI look things up in: the projections' views.

Sites and lots (`sites_and_lots`), the people directory (`people_directory`), the phone index
(`phone_index`, keyed with the web's key), certificates (`certificate_index`) and doses (`health_book`).
`refresh()` brings these views up to the ledger's head in one pass (each page of the log decoded once), and does
nothing but ask the head when nothing was written since the last refresh: a page that calls it from
three services refreshes the views at most once. A process that also runs the views in the
background (`immunize web serve`, `immunize run`) is fine: each page's position is checked inside its
transaction, so a page the runner applied first is skipped, never applied twice.

When a follower process keeps these views at the head (`immunize serve --followers`, or
`IMMUNIZE_VIEWS_FOLLOWED=1` beside a process file's `immunize projections run --keyed`), the read
side is `followed`: a read does no catch-up (under steady writes every request ran one, ~40 queries
and a lock on the views' positions, serialised behind the follower). What a page shows is then the
follower's position (a fraction of a second behind the log), except for the caller's own writes:
the web passes the log position of the caller's last write (`reading_after`), and a read that must
show it catches the views up to it first if the follower has not yet (read-your-writes). A phone
that finds nobody is looked up again after a catch-up (a citizen signs in right after registering).

Which pages read the ledger's aggregate instead, and why, is said once in services.citizen.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.application import Ledger
from ledger.errors import PhoneInvalid
from ledger.phone import normalise_phone
from projections import book_queries
from projections import directory_queries as q
from projections.book_queries import BookCertificate, BookDose
from projections.directory_queries import DirectoryEntry, LotEntry, SiteEntry
from projections.projection import ViewKeys
from projections.queries import certificate_by_uci
from projections.registry import catch_up_views
from projections.store import ViewStore

READ_VIEWS = ("sites_and_lots", "people_directory", "certificate_index", "health_book")
# The campaign's views (services.campaign_base.VIEWS): caught up with the read views by the pages that
# show a citizen's appointments (`refresh(campaign=True)`), not by every read.
CAMPAIGN_VIEWS = ("operations", "campaign", "stock")
KEYED_READ_VIEWS = ("phone_index", "declared_id_index")

# The log position the current request must see: the caller's own last write (0: none pending).
_must_see: ContextVar[int] = ContextVar("read_your_writes", default=0)


def must_see(position: int) -> None:
    """From now on in this thread's context, reads show at least the log up to `position` (0: no
    requirement); the web sets it at the start of every request (`reading_after` is the block form)."""
    _must_see.set(max(0, position))


@contextmanager
def reading_after(position: int) -> Iterator[None]:
    """Within this block a followed read side shows at least the log up to `position` (the caller's
    own last write), catching its views up first if the follower has not reached it yet."""
    token = _must_see.set(position)
    try:
        yield
    finally:
        _must_see.reset(token)


def phone_view_keys(phone_key: Callable[[str], str] | None) -> ViewKeys | None:
    """The phone index's key from the web's: a stored number is normalised first (numbers stored
    before the one normaliser count too); one that is not a Vietnamese number is not indexed."""
    if phone_key is None:
        return None
    key = phone_key

    def stored(phone: str) -> str | None:
        try:
            return key(normalise_phone(phone))
        except PhoneInvalid:
            return None

    def national_id(number: str) -> str | None:
        # Another purpose than a phone's ("national_id:" cannot start a normalised phone number).
        return key("national_id:" + number)

    return ViewKeys(phone=stored, national_id=national_id)


@dataclass
class ReadSide:
    """Lookups in the directory views; `refresh()` first when the page must see the latest writes."""

    ledger: Ledger
    views: ViewStore
    keys: ViewKeys | None = None
    followed: bool = False  # a follower process keeps the views at the head (module docstring)
    refreshes: int = 0  # catch-ups that found something new (tests count them per page)
    _position: int = -1  # the views are known to be at least here
    _campaign_position: int = -1  # and the campaign's views (`refresh(campaign=True)`)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def names(self) -> tuple[str, ...]:
        return READ_VIEWS + (KEYED_READ_VIEWS if self.keys is not None else ())

    def refresh(self, *, campaign: bool = False) -> None:
        """Bring the read views up to the ledger's head (nothing but one query when they are there);
        `campaign=True` also the campaign's views (`CAMPAIGN_VIEWS`: appointments, sessions, sites), in
        the same pass and behind the same one query (the citizen's health book shows the next visit).

        Followed: nothing, unless the caller's own last write (`reading_after`) is beyond what the
        views are known to hold; then their positions are read and, if still behind, caught up."""
        if self.followed:
            wanted = _must_see.get()
            known = min(self._position, self._campaign_position) if campaign else self._position
            if wanted <= known:
                return
            reached = self.position(campaign=campaign)
            if reached >= wanted:
                with self._lock:
                    self._position = max(self._position, reached)
                    if campaign:
                        self._campaign_position = max(self._campaign_position, reached)
                return
        self._catch_up(campaign=campaign)

    def position(self, *, campaign: bool = False) -> int:
        """The log position every read view (and with `campaign`, every campaign view) has reached (the
        follower's, or this process's): one statement over the views' tracking rows (0 while any view
        has none)."""
        from projections.registry import view_classes

        names = self.names + (CAMPAIGN_VIEWS if campaign else ())
        tables = [
            view.recorder(self.views, self.keys).tracking_table
            for view in view_classes(names, keyed=self.keys is not None)
        ]
        # Table names are the views' own (code), never input.
        union = " UNION ALL ".join(
            f"SELECT notification_id FROM {table} WHERE application_name = ?"  # noqa: S608
            for table in tables
        )
        [(count, lowest)] = self.views.query(
            f"SELECT COUNT(*), MIN(notification_id) FROM ({union}) AS positions",  # noqa: S608
            tuple(self.ledger.name for _ in tables),
        )
        return int(lowest) if int(count) == len(tables) and lowest is not None else 0

    def _catch_up(self, *, campaign: bool = False) -> None:
        head = self.ledger.recorder.max_notification_id() or 0
        with self._lock:
            names = self.names if head > self._position else ()
            if campaign and head > self._campaign_position:
                names += CAMPAIGN_VIEWS
            if not names:
                return
            # A page the background runner applied first is not applied again (projections.runner); a
            # follower applying the same page at the same moment makes this one's position refused
            # (IntegrityError, rolled back): catching up again resumes from where it reached.
            for attempt in range(5):
                try:
                    catch_up_views(self.ledger, self.views, names, keys=self.keys)
                    break
                except IntegrityError:
                    if attempt == 4:
                        raise
            self._position = max(self._position, head)
            if campaign:
                self._campaign_position = max(self._campaign_position, head)
            self.refreshes += 1

    # sites and lots ----------------------------------------------------------------------------
    def site(self, site_id: str) -> SiteEntry | None:
        return q.sites_by_id(self.views, [site_id]).get(site_id)

    def sites(self, *, province: str | None = None) -> list[SiteEntry]:
        return q.sites(self.views, province=province)

    def site_names(self, site_ids: Sequence[str]) -> dict[str, str]:
        return {site_id: site.name for site_id, site in q.sites_by_id(self.views, site_ids).items()}

    def lots(self, *, site_ids: Sequence[str] | None = None) -> list[LotEntry]:
        return q.lots(self.views, site_ids=site_ids)

    # people ------------------------------------------------------------------------------------
    def people(self, *, after: int = 0, limit: int = 100) -> list[DirectoryEntry]:
        return q.people(self.views, after=after, limit=limit)

    def dependants_of(self, guardian_ids: Sequence[UUID]) -> list[DirectoryEntry]:
        return q.dependants_of(self.views, guardian_ids)

    def people_with_phone(self, key: str) -> list[UUID]:
        """The holders of the phone with this keyed handle (the web's HMAC of the 0XXXXXXXXX form);
        refreshed first: a citizen signs in right after registering."""
        self.refresh()
        found = q.people_with_phone(self.views, key)
        if not found and self.followed:
            self._catch_up()  # registered a moment ago, before the follower applied it
            found = q.people_with_phone(self.views, key)
        return found

    def family_ids(self, key: str) -> set[str]:
        """The people the phone with this keyed handle signs in for (its holders and the dependants
        each manages, erased people left out), from the views only: what a read checks before it
        shows a health book or a certificate (no personal data opened)."""
        return set(self.household(key))

    def household(self, key: str, *, refresh: bool = True) -> dict[str, str]:
        """`family_ids` with each one's place: person id -> "self" (a holder of the phone) or
        "dependant", holders first; one statement over the phone index and the directory. Refreshed
        first (unless the caller has just refreshed: `refresh=False`), and looked up again after a
        catch-up when no holder is found (a citizen signs in right after registering)."""
        if refresh:
            self.refresh()
        rows = q.household(self.views, key)
        if not any(holder for holder, _ in rows) and self.followed:
            self._catch_up()
            rows = q.household(self.views, key)
        live = {str(e.person_id) for holder, e in rows if holder and not e.erased}
        found = {pid: "self" for pid in sorted(live)}
        for holder, entry in rows:
            if not holder and not entry.erased and str(entry.guardian_id) in live:
                found.setdefault(str(entry.person_id), "dependant")
        return found

    def people_declaring_id(self, key: str) -> list[UUID]:
        """The people who typed this national ID online, not yet confirmed (ViewKeys.national_id handle);
        refreshed first: the citizen may have registered a moment ago."""
        self.refresh()
        found = q.people_declaring_id(self.views, key)
        if not found and self.followed:
            self._catch_up()
            found = q.people_declaring_id(self.views, key)
        return found

    # health books --------------------------------------------------------------------------------
    def doses_of(self, person_id: UUID) -> list[BookDose]:
        return book_queries.doses_of(self.views, person_id)

    def doses_of_people(self, person_ids: Sequence[UUID]) -> dict[UUID, list[BookDose]]:
        """`doses_of` for a family, in one statement."""
        return book_queries.doses_of_people(self.views, person_ids)

    def doses_with_site_names(self, person_id: UUID) -> tuple[list[BookDose], dict[str, str]]:
        """The person's doses and the names of the sites that gave them, in one statement."""
        return book_queries.doses_with_site_names(self.views, person_id)

    def certificates_of(self, person_id: UUID) -> list[BookCertificate]:
        return book_queries.certificates_of(self.views, person_id)

    def person_for_uci(self, uci: str) -> str | None:
        """The person a certificate was issued to (refreshed first: a certificate issued a moment ago)."""
        self.refresh()
        entry = certificate_by_uci(self.views, uci)
        return entry.person_id if entry is not None and entry.person_id else None

"""Every view of the ledger, and what can be done to all of them: run, rebuild, digest, lag.

These are the functions other areas call: the web app and CLI (`run_views`, `view_status`), the
auditor's replay (`rebuild`, `digests` on a fresh store filled from an export).

`VIEWS` are built by anyone from the log with personal data sealed (`immunize projections run`).
`KEYED_VIEWS` (the phone index) need the web's key and personal data opened: they are built only
where `keys` (projections.projection.ViewKeys) are given, i.e. in the web process. Every view has a
version; a new version, or a new key for a keyed view, rebuilds it on the next catch-up or start.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import Application

from projections.campaign import CampaignView
from projections.certificate_index import CertificateIndex
from projections.declared_id_index import DeclaredIdIndex
from projections.digest import digest
from projections.errors import ProjectionError
from projections.health_book import HealthBook
from projections.operations import Operations
from projections.people_directory import PeopleDirectory
from projections.phone_index import PhoneIndex
from projections.projection import ViewKeys, ViewProjection
from projections.runner import Progress, Supervisor, catch_up
from projections.sites import SitesAndLots
from projections.statistics import Statistics
from projections.stock import StockView
from projections.store import ViewStore

VIEWS: tuple[type[ViewProjection], ...] = (
    HealthBook,
    Statistics,
    Operations,
    CertificateIndex,
    CampaignView,
    StockView,
    SitesAndLots,
    PeopleDirectory,
)
KEYED_VIEWS: tuple[type[ViewProjection], ...] = (PhoneIndex, DeclaredIdIndex)
VIEW_NAMES = tuple(view.name for view in VIEWS)  # what `projections run` and `rebuild` build by default
KEYED_VIEW_NAMES = tuple(view.name for view in KEYED_VIEWS)
# The views split between two follower processes (`serve --followers` with
# IMMUNIZE_FOLLOWER_PROCESSES=2): one process applies a page to every view it follows on one core at
# most (the GIL), and at load the 8 views together fell behind a writer of 1,000 events/s (live lag
# p99 5.4 s on PostgreSQL at load 10). Balanced by each
# view's catch-up time per event on PostgreSQL (bench_projections): the two dose-counting views, which
# read back their facts every page, go to different processes (together they made their follower lag
# twice the other's at load 19); the keyed views go with the last group, as the follower with `--keyed`.
# Every view in exactly one group: tests/unit/test_follower_groups.py checks it.
FOLLOWER_GROUPS: tuple[tuple[str, ...], ...] = (
    ("operations", "campaign", "people_directory", "certificate_index"),
    ("statistics", "health_book", "stock", "sites_and_lots"),
)

RebuildProgress = Callable[[str, int, int, int], None]  # (views, position, events read, head)


class UnknownView(ProjectionError):
    """No view has that name."""

    code = "view_unknown"
    kind = "not_found"


def view_classes(
    names: Sequence[str] | None = None, *, keyed: bool = False
) -> tuple[type[ViewProjection], ...]:
    """The views with these names (for None: every unkeyed view, and the keyed ones when `keyed`),
    or an error listing the names."""
    if not names:
        return (*VIEWS, *KEYED_VIEWS) if keyed else VIEWS
    by_name = {view.name: view for view in (*VIEWS, *KEYED_VIEWS)}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise UnknownView(
            f"There is no view {unknown[0]!r}: use one of {', '.join(VIEW_NAMES + KEYED_VIEW_NAMES)}."
        )
    return tuple(by_name[n] for n in names)


def run_views(
    app: Application[Any],
    store: ViewStore,
    names: Sequence[str] | None = None,
    *,
    keys: ViewKeys | None = None,
    **options: Any,
) -> Supervisor:
    """Start every view (or those named; the keyed ones too when `keys` are given) following the
    ledger live, supervised; `.stop()` to end."""
    return Supervisor(app, view_classes(names, keyed=keys is not None), store, keys=keys, **options).start()


def catch_up_views(
    app: Application[Any],
    store: ViewStore,
    names: Sequence[str] | None = None,
    *,
    keys: ViewKeys | None = None,
    progress: Progress | None = None,
) -> int:
    """Bring views up to the ledger's current head, synchronously (each page decoded once); return events read."""
    projections = [view.open(store, keys) for view in view_classes(names, keyed=keys is not None)]
    return catch_up(app, projections, progress=progress)


def rebuild(
    app: Application[Any],
    store: ViewStore,
    names: Sequence[str] | None = None,
    *,
    progress: RebuildProgress | None = None,
    keys: ViewKeys | None = None,
) -> dict[str, str]:
    """Drop each view (or those named), replay the whole log into it, and return its digest."""
    head = app.recorder.max_notification_id() or 0
    classes = view_classes(names, keyed=keys is not None)
    projections = []
    for view_class in classes:
        projection = view_class.open(store, keys)
        projection.view.drop_tables()
        projections.append(projection)
    label = "+".join(c.name for c in classes)

    def report(position: int, read: int) -> None:
        if progress is not None:
            progress(label, position, read, head)

    # All views in one pass: each page of the log is read and decoded once.
    catch_up(app, projections, until=head, progress=report)
    return {p.name: digest(p.view) for p in projections}


def digests(store: ViewStore, names: Sequence[str] | None = None) -> dict[str, str]:
    """The SHA-256 of each view's contents (a rebuild gives the same as the live view)."""
    result: dict[str, str] = {}
    for view_class in view_classes(names):
        recorder = view_class.recorder(store)
        recorder.create_table(rebuild_stale=False)  # a reader: a stale view is rebuilt by a runner
        result[view_class.name] = digest(recorder)
    return result


@dataclass(frozen=True)
class ViewLag:
    """How far a view is behind the log: in positions, and the age of the oldest event not yet applied."""

    name: str
    position: int
    head: int
    behind: int
    seconds: float


def view_status(
    app: Application[Any],
    store: ViewStore,
    *,
    now: datetime | None = None,
    names: Sequence[str] | None = None,
) -> list[ViewLag]:
    """Each view's lag behind the ledger (positions and seconds), as of `now` (default: the clock)."""
    now = now or datetime.now(UTC)
    head = app.recorder.max_notification_id() or 0
    lags: list[ViewLag] = []
    for view_class in view_classes(names):
        recorder = view_class.recorder(store)
        recorder.create_table(rebuild_stale=False)  # a reader: a stale view is rebuilt by a runner
        position = recorder.max_tracking_id(app.name) or 0
        seconds = 0.0
        if position < head:
            [oldest] = app.recorder.select_notifications(position, 1, inclusive_of_start=False)
            event: Any = app.mapper.to_domain_event(oldest)
            # The ledger's own time (`at`, from its clock) when the event has one.
            happened = getattr(event, "at", None) or event.timestamp
            seconds = max(0.0, (now - happened).total_seconds())
        lags.append(ViewLag(view_class.name, position, head, head - position, seconds))
    return lags

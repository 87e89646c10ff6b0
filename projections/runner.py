"""Running views: catch up page by page, follow the log live, restart after an error.

`ViewRunner` is the paged counterpart of eventsourcing's `ProjectionRunner` (which applies one event
per transaction): it resumes from the view's `max_tracking_id`, applies each page of up to 1,000
events in one transaction, and offers the same `wait(position)` / `run_forever()` / context manager.
`Supervisor` keeps several runners going and restarts one that stopped on an error; because the
position is committed with the rows, a restart (or a SIGKILL of the process) loses and repeats
nothing. `catch_up` applies the log synchronously (rebuilds, replays, tests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Notification, Tracking

from ledger.errors import StoreError
from projections.errors import ProjectionError
from projections.follow import DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL, PollingFollower, open_follower
from projections.projection import ViewKeys, ViewMovedOn, ViewNeedsKey, ViewProjection
from projections.store import ViewStore

log = logging.getLogger(__name__)


class ViewsBehind(ProjectionError):
    """A caller bounded how much of the log it may apply (a web request: `bounded_catch_up`) and the
    views are further behind than that: a view rebuilt after a new version or a new web key, or a long
    backlog. The read side is brought up to date elsewhere (at start, or in the background)."""

    code = "read_side_rebuilding"
    kind = "unavailable"


@dataclass(frozen=True)
class CatchUpBound:
    """How many events a caller of `catch_up` may apply, and who to tell when the views are further
    behind (a web request: the platform starts bringing them up to date in the background)."""

    limit: int
    on_behind: Callable[[], None] = lambda: None


# The bound of the caller in this thread (or task); None: no bound (runners, the CLI, start-up). A web
# request sets one, so that it never replays the log into a rebuilt view.
_CATCH_UP_BOUND: ContextVar[CatchUpBound | None] = ContextVar("projections_catch_up_bound", default=None)


@contextmanager
def bounded_catch_up(bound: CatchUpBound | None) -> Iterator[None]:
    """Within this block, `catch_up` raises ViewsBehind instead of applying more than the bound."""
    token = _CATCH_UP_BOUND.set(bound)
    try:
        yield
    finally:
        _CATCH_UP_BOUND.reset(token)


def set_catch_up_bound(bound: CatchUpBound | None) -> Callable[[], None]:
    """`bounded_catch_up` for callers with separate start and end hooks (a web request's before and
    teardown): returns the function that lifts the bound again."""
    token = _CATCH_UP_BOUND.set(bound)

    def lift() -> None:
        try:
            _CATCH_UP_BOUND.reset(token)
        except ValueError:  # another context (the hooks ran apart): leave this one unbounded
            _CATCH_UP_BOUND.set(None)

    return lift


Progress = Callable[[int, int], None]  # (position reached, events applied so far)


def apply_page(app: Application[Any], projection: ViewProjection, page: Sequence[Notification]) -> None:
    """Decode the events of `page` the view handles (others are not even decoded) and apply them."""
    topics = projection.handled_topics
    to_domain_event = app.mapper.to_domain_event
    events = [to_domain_event(n) for n in page if n.topic in topics]
    projection.process_page(events, Tracking(app.name, page[-1].id))


def _apply_after(
    app: Application[Any],
    projection: ViewProjection,
    positions: dict[str, int],
    page: Sequence[Notification],
    decoded: dict[int, Any],
) -> None:
    """Apply the events of `page` past the view's position, checked inside the page's transaction:
    when another reader (the background runner, a page catching up) got there first, read on from
    where it left the view, so nothing is applied twice."""
    name = projection.name
    wanted = projection.handled_topics
    while True:
        todo = [n for n in page if n.id > positions[name]]
        if not todo:
            return
        events = [decoded[n.id] for n in todo if n.topic in wanted]
        try:
            projection.process_page(events, Tracking(app.name, todo[-1].id), after=positions[name])
        except ViewMovedOn as moved:
            positions[name] = moved.position
            continue
        except (IntegrityError, StoreError) as error:
            # The view's first page, which has no position row to lock yet: the other reader's
            # commit made ours fail on the position's key, or on a row key of the view itself (the
            # phone index inserts keyed rows; the store reports that as a refused statement). Read on
            # from where it left the view; any other failure, or a view that did not move, is raised.
            if isinstance(error, StoreError) and not _a_duplicate_key(error):
                raise
            now = projection.view.max_tracking_id(app.name) or 0
            if now <= positions[name]:
                raise
            positions[name] = now
            continue
        positions[name] = todo[-1].id
        return


def _a_duplicate_key(error: BaseException) -> bool:
    """Whether a unique key refused the write (eventsourcing's or SQLite's IntegrityError in the chain)."""
    import sqlite3

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (IntegrityError, sqlite3.IntegrityError)):
            return True
        seen = seen.__cause__
    return False


def apply_page_to_views(
    app: Application[Any],
    projections: Sequence[ViewProjection],
    positions: dict[str, int],
    page: Sequence[Notification],
) -> None:
    """Decode each event of `page` once and apply it to every view not yet past it: in one transaction
    for all of them when it can (`_apply_together`), else in a transaction per view."""
    topics: set[str] = set().union(*(p.handled_topics for p in projections))
    to_domain_event = app.mapper.to_domain_event
    decoded = {n.id: to_domain_event(n) for n in page if n.topic in topics}
    if _apply_together(app, projections, positions, page, decoded):
        return
    for projection in projections:
        _apply_after(app, projection, positions, page, decoded)


def _apply_together(
    app: Application[Any],
    projections: Sequence[ViewProjection],
    positions: dict[str, int],
    page: Sequence[Notification],
    decoded: dict[int, Any],
) -> bool:
    """Apply `page` to every view in ONE transaction (one BEGIN and COMMIT per page instead of one per
    view: at load, a follower's round trips were what fell behind a steady writer). Only when the views
    share a store and none overrides `process_page`. Views are locked in name order (the same order in
    every reader). Any sign of another reader (a view moved on, a duplicate key, a deadlock) rolls the
    whole page back and returns False: the caller then applies it view by view, the path that reads on
    from where another reader left each view. Positions move only after the commit."""
    if len(projections) < 2:
        return False
    store = projections[0].store
    if any(
        p.store is not store or type(p).process_page is not ViewProjection.process_page for p in projections
    ):
        return False
    done: dict[str, int] = {}
    try:
        with store.transaction(write=True) as cursor:
            for projection in sorted(projections, key=lambda p: p.name):
                name = projection.name
                todo = [n for n in page if n.id > positions[name]]
                if not todo:
                    continue
                wanted = projection.handled_topics
                events = [decoded[n.id] for n in todo if n.topic in wanted]
                projection.apply_in(cursor, events, Tracking(app.name, todo[-1].id), after=positions[name])
                done[name] = todo[-1].id
    except (ViewMovedOn, IntegrityError, StoreError):
        return False
    positions.update(done)
    return True


def check_reader(app: Application[Any], projections: Sequence[ViewProjection]) -> None:
    """A keyed view (the phone index) reads personal data: refuse a reader that keeps it sealed."""
    keyed = [p.name for p in projections if p.keyed]
    if keyed and not getattr(app, "opens_personal_data", True):
        raise ViewNeedsKey(
            f"The view {keyed[0]} needs personal data opened: it is built by the web process, not by "
            "`immunize projections run`."
        )


def catch_up(
    app: Application[Any],
    projection: ViewProjection | Sequence[ViewProjection],
    *,
    until: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: Progress | None = None,
) -> int:
    """Apply the log to one view (or several, decoding each page once) from its position up to
    `until` (default: the head now); return the number of events read."""
    projections = [projection] if isinstance(projection, ViewProjection) else list(projection)
    check_reader(app, projections)
    for p in projections:
        p.view.create_table()
    head = app.recorder.max_notification_id() if until is None else until
    positions = {p.name: p.view.max_tracking_id(app.name) or 0 for p in projections}
    position = min(positions.values(), default=0)
    bound = _CATCH_UP_BOUND.get()
    if bound is not None and head is not None and head - position > bound.limit:
        bound.on_behind()
        raise ViewsBehind(
            f"The views are {head - position} events behind the log, more than a request may apply "
            f"({bound.limit}): they are being brought up to date; try again in a minute."
        )
    follower = PollingFollower(app.recorder, position, page_size=page_size, poll_interval=0)
    applied = 0
    while head is not None and position < head:
        page = [n for n in follower.next_page() if n.id <= head]
        if not page:
            break
        apply_page_to_views(app, projections, positions, page)
        position = page[-1].id
        applied += len(page)
        if progress is not None:
            progress(position, applied)
    return applied


class ViewRunner:
    """Views kept up to date in one background thread: each page is read and decoded once for all
    of them, and applied to all in one transaction (or, when another reader is at work, to each in
    its own: `apply_page_to_views`); each view resumes from its own position."""

    def __init__(
        self,
        app: Application[Any],
        projection_classes: type[ViewProjection] | Sequence[type[ViewProjection]],
        store: ViewStore,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        keys: ViewKeys | None = None,
    ) -> None:
        classes = [projection_classes] if isinstance(projection_classes, type) else list(projection_classes)
        self.app = app
        self.name = "+".join(c.name for c in classes)
        self.projections = [c.open(store, keys) for c in classes]
        check_reader(app, self.projections)
        for projection in self.projections:
            projection.view.create_table()
        self.projection = self.projections[0]
        self.view = self.projection.view
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.error: BaseException | None = None
        self.stopped = threading.Event()
        self._stopping = threading.Event()
        self._follower_lock = threading.Lock()
        self._follower: Any = None
        self._thread = threading.Thread(target=self._run, name=f"view-{self.name}", daemon=True)

    def start(self) -> ViewRunner:
        """Start following the log in the background."""
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            positions = {p.name: p.view.max_tracking_id(self.app.name) or 0 for p in self.projections}
            follower = open_follower(
                self.app.recorder,
                min(positions.values()),
                page_size=self.page_size,
                poll_interval=self.poll_interval,
            )
            with self._follower_lock:
                self._follower = follower
            if self._stopping.is_set():
                follower.stop()
            try:
                while not self._stopping.is_set():
                    page = follower.next_page()
                    if page:
                        apply_page_to_views(self.app, self.projections, positions, page)
            finally:
                follower.close()
        except BaseException as exc:
            self.error = exc
            log.warning("view %s stopped on an error: %s", self.name, exc)
        finally:
            self.stopped.set()

    def stop(self) -> None:
        """Ask the thread to stop after the page in hand (which is applied whole or not at all)."""
        self._stopping.set()
        with self._follower_lock:
            if self._follower is not None:
                self._follower.stop()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread to end."""
        if self._thread.is_alive():
            self._thread.join(timeout)

    def wait(self, notification_id: int | None, timeout: float = 10.0) -> None:
        """Block until every view has processed `notification_id`; raise the runner's error if it stopped."""
        for projection in self.projections:
            view = projection.view
            try:
                view.wait(self.app.name, notification_id, timeout=timeout, interrupt=self.stopped)
            except Exception:
                if self.error is not None:
                    raise self.error from None
                if view.has_tracking_id(self.app.name, notification_id):
                    continue
                raise

    def run_forever(self, timeout: float | None = None) -> None:
        """Block until stopped (or `timeout`); re-raise the error that stopped the runner."""
        self.stopped.wait(timeout)
        if self.error is not None:
            raise self.error

    def __enter__(self) -> ViewRunner:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        self.join()


class Supervisor:
    """Runs views and restarts a runner that stopped on an error; it resumes from each view's position.

    By default all views share one runner (the log is read and decoded once per page for all of
    them); `shared_reading=False` gives each view its own runner (one view's failure then does not
    pause the others).
    """

    def __init__(
        self,
        app: Application[Any],
        projection_classes: Sequence[type[ViewProjection]],
        store: ViewStore,
        *,
        shared_reading: bool = True,
        page_size: int = DEFAULT_PAGE_SIZE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        restart_delay: float = 0.5,
        max_restart_delay: float = 30.0,
        keys: ViewKeys | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.keys = keys
        classes = tuple(projection_classes)
        self.groups = [classes] if shared_reading else [(c,) for c in classes]
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.runners: dict[str, ViewRunner] = {}
        self.restarts: dict[str, int] = {}
        # Failures in a row (the backoff's exponent): a runner that ran longer than max_restart_delay
        # before stopping starts afresh, so one failover a day does not leave views 30 s late forever.
        self._streak: dict[str, int] = {}
        self._started_at: dict[str, float] = {}
        self.errors: list[tuple[str, BaseException]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="view-supervisor", daemon=True)

    @staticmethod
    def _name(group: Sequence[type[ViewProjection]]) -> str:
        return "+".join(c.name for c in group)

    def _start_runner(self, group: Sequence[type[ViewProjection]]) -> None:
        runner = ViewRunner(
            self.app,
            group,
            self.store,
            page_size=self.page_size,
            poll_interval=self.poll_interval,
            keys=self.keys,
        )
        self._started_at[self._name(group)] = time.monotonic()
        self.runners[self._name(group)] = runner.start()

    def start(self) -> Supervisor:
        """Start every runner, then watch them."""
        for group in self.groups:
            self._start_runner(group)
        self._thread.start()
        return self

    def _watch(self) -> None:
        next_start: dict[str, float] = {}
        while not self._stopping.wait(0.05):
            for group in self.groups:
                name = self._name(group)
                runner = self.runners.get(name)
                if runner is None or not runner.stopped.is_set():
                    continue
                if name not in next_start:
                    error = runner.error or RuntimeError("stopped")
                    self.errors.append((name, error))
                    if time.monotonic() - self._started_at.get(name, 0.0) > self.max_restart_delay:
                        self._streak[name] = 0
                    count = self._streak.get(name, 0)
                    delay = min(self.restart_delay * (2**count), self.max_restart_delay)
                    next_start[name] = time.monotonic() + delay
                    log.warning("view %s stopped (%s); restarting in %.1f s", name, error, delay)
                elif time.monotonic() >= next_start[name]:
                    del next_start[name]
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    self._streak[name] = self._streak.get(name, 0) + 1
                    try:
                        self._start_runner(group)
                    except Exception as exc:  # the database may still be away: try again later
                        self.errors.append((name, exc))
                        next_start[name] = time.monotonic() + self.max_restart_delay / 10

    def positions(self) -> dict[str, int]:
        """The position of every view."""
        return {
            p.name: p.view.max_tracking_id(self.app.name) or 0
            for runner in list(self.runners.values())
            for p in runner.projections
        }

    def wait(self, notification_id: int | None, timeout: float = 30.0) -> None:
        """Block until every view has processed `notification_id` (restarts included)."""
        deadline = time.monotonic() + timeout
        while True:
            behind = [
                name
                for name, position in self.positions().items()
                if notification_id is not None and position < notification_id
            ]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"views {', '.join(behind)} did not reach position {notification_id} in {timeout} s"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop watching and stop every runner."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        for runner in self.runners.values():
            runner.stop()
        for runner in self.runners.values():
            runner.join()

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

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
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from eventsourcing.application import Application
from eventsourcing.persistence import Notification, Tracking

from projections.follow import DEFAULT_PAGE_SIZE, DEFAULT_POLL_INTERVAL, PollingFollower, open_follower
from projections.projection import ViewProjection
from projections.store import ViewStore

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]  # (position reached, events applied so far)


def apply_page(app: Application[Any], projection: ViewProjection, page: Sequence[Notification]) -> None:
    """Decode the events of `page` the view handles (others are not even decoded) and apply them."""
    topics = projection.handled_topics
    to_domain_event = app.mapper.to_domain_event
    events = [to_domain_event(n) for n in page if n.topic in topics]
    projection.process_page(events, Tracking(app.name, page[-1].id))


def catch_up(
    app: Application[Any],
    projection: ViewProjection,
    *,
    until: int | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: Progress | None = None,
) -> int:
    """Apply the log from the view's position up to `until` (default: the head now); return events read."""
    view = projection.view
    view.create_table()
    head = app.recorder.max_notification_id() if until is None else until
    position = view.max_tracking_id(app.name) or 0
    follower = PollingFollower(app.recorder, position, page_size=page_size, poll_interval=0)
    applied = 0
    while head is not None and position < head:
        page = [n for n in follower.next_page() if n.id <= head]
        if not page:
            break
        apply_page(app, projection, page)
        position = page[-1].id
        applied += len(page)
        if progress is not None:
            progress(position, applied)
    return applied


class ViewRunner:
    """One view kept up to date in a background thread."""

    def __init__(
        self,
        app: Application[Any],
        projection_class: type[ViewProjection],
        store: ViewStore,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self.app = app
        self.name = projection_class.name
        self.view = projection_class.recorder(store)
        self.view.create_table()
        self.projection = projection_class(self.view)
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
            gt = self.view.max_tracking_id(self.app.name)
            follower = open_follower(
                self.app.recorder, gt, page_size=self.page_size, poll_interval=self.poll_interval
            )
            with self._follower_lock:
                self._follower = follower
            if self._stopping.is_set():
                follower.stop()
            try:
                while not self._stopping.is_set():
                    page = follower.next_page()
                    if page:
                        apply_page(self.app, self.projection, page)
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
        """Block until the view has processed `notification_id`; raise the runner's error if it stopped."""
        try:
            self.view.wait(self.app.name, notification_id, timeout=timeout, interrupt=self.stopped)
        except Exception:
            if self.error is not None:
                raise self.error from None
            if self.view.has_tracking_id(self.app.name, notification_id):
                return
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
    """Runs several views and restarts any runner that stopped on an error, resuming from its position."""

    def __init__(
        self,
        app: Application[Any],
        projection_classes: Sequence[type[ViewProjection]],
        store: ViewStore,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        restart_delay: float = 0.5,
        max_restart_delay: float = 30.0,
    ) -> None:
        self.app = app
        self.store = store
        self.projection_classes = tuple(projection_classes)
        self.page_size = page_size
        self.poll_interval = poll_interval
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.runners: dict[str, ViewRunner] = {}
        self.restarts: dict[str, int] = {}
        self.errors: list[tuple[str, BaseException]] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="view-supervisor", daemon=True)

    def _start_runner(self, projection_class: type[ViewProjection]) -> None:
        runner = ViewRunner(
            self.app,
            projection_class,
            self.store,
            page_size=self.page_size,
            poll_interval=self.poll_interval,
        )
        self.runners[projection_class.name] = runner.start()

    def start(self) -> Supervisor:
        """Start every view, then watch them."""
        for projection_class in self.projection_classes:
            self._start_runner(projection_class)
        self._thread.start()
        return self

    def _watch(self) -> None:
        next_start: dict[str, float] = {}
        while not self._stopping.wait(0.05):
            for projection_class in self.projection_classes:
                name = projection_class.name
                runner = self.runners.get(name)
                if runner is None or not runner.stopped.is_set():
                    continue
                if name not in next_start:
                    error = runner.error or RuntimeError("stopped")
                    self.errors.append((name, error))
                    count = self.restarts.get(name, 0)
                    delay = min(self.restart_delay * (2**count), self.max_restart_delay)
                    next_start[name] = time.monotonic() + delay
                    log.warning("view %s stopped (%s); restarting in %.1f s", name, error, delay)
                elif time.monotonic() >= next_start[name]:
                    del next_start[name]
                    self.restarts[name] = self.restarts.get(name, 0) + 1
                    try:
                        self._start_runner(projection_class)
                    except Exception as exc:  # the database may still be away: try again later
                        self.errors.append((name, exc))
                        next_start[name] = time.monotonic() + self.max_restart_delay / 10

    def wait(self, notification_id: int | None, timeout: float = 30.0) -> None:
        """Block until every view has processed `notification_id` (restarts included)."""
        deadline = time.monotonic() + timeout
        for name in self.runners:
            while True:
                runner = self.runners[name]
                if runner.view.has_tracking_id(self.app.name, notification_id):
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"view {name} did not reach position {notification_id} in {timeout} s")
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

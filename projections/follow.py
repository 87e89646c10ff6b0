"""Reading the ledger's log in pages, from a position onwards, and waiting for more.

PostgreSQL: eventsourcing's LISTEN/NOTIFY subscription (a thread pulls pages as soon as the ledger
commits), handed out a whole page at a time. SQLite and memory: polling `select_notifications`
("greater than the last id seen": ids can have holes) with a short sleep when the log is idle.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

from eventsourcing.persistence import ApplicationRecorder, Notification

DEFAULT_PAGE_SIZE = 1000
DEFAULT_POLL_INTERVAL = 0.1


class Follower(Protocol):
    """Pages of notifications after a position; `next_page` may return [] when idle or stopped."""

    def next_page(self) -> Sequence[Notification]:
        """The next page (at most `page_size` notifications), waiting a little if there is none."""

    def stop(self) -> None:
        """Stop following; a blocked `next_page` returns."""

    def close(self) -> None:
        """Release threads and connections."""


class PollingFollower:
    """Follows any recorder by polling `select_notifications` (SQLite has no LISTEN)."""

    def __init__(
        self,
        recorder: ApplicationRecorder,
        gt: int | None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
    ) -> None:
        self.recorder = recorder
        self.position = gt or 0
        self.page_size = page_size
        self.poll_interval = poll_interval
        self._stopped = threading.Event()

    def next_page(self) -> Sequence[Notification]:
        if self._stopped.is_set():
            return []
        page = self.recorder.select_notifications(
            start=self.position, limit=self.page_size, inclusive_of_start=False
        )
        if page:
            self.position = page[-1].id
        else:
            self._stopped.wait(self.poll_interval)
        return page

    def stop(self) -> None:
        self._stopped.set()

    def close(self) -> None:
        self.stop()


class PostgresFollower:
    """Follows a PostgreSQL recorder with eventsourcing's LISTEN/NOTIFY subscription, a page at a time."""

    def __init__(
        self, recorder: ApplicationRecorder, gt: int | None, *, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        from eventsourcing.postgres import PostgresSubscription

        class PagedSubscription(PostgresSubscription):
            """The library's subscription, handing out the rest of the page it already holds."""

            # The library sets a limit of 500 and starts pulling in its __init__: fix ours first.
            @property
            def _select_limit(self) -> int:
                return page_size

            @_select_limit.setter
            def _select_limit(self, value: int) -> None:
                pass

            def next_page(self) -> Sequence[Notification]:
                first = next(self)
                rest = self._notifications[self._notifications_index :]
                self._notifications_index = len(self._notifications)
                return [first, *rest]

        self._subscription: Any = PagedSubscription(recorder=recorder, gt=gt)  # type: ignore[arg-type]
        self._subscription.__enter__()

    def next_page(self) -> Sequence[Notification]:
        try:
            page: Sequence[Notification] = self._subscription.next_page()
        except StopIteration:
            return []
        return page

    def stop(self) -> None:
        self._subscription.stop()

    def close(self) -> None:
        self._subscription.__exit__(None, None, None)


def open_follower(
    recorder: ApplicationRecorder,
    gt: int | None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
) -> Follower:
    """LISTEN/NOTIFY on PostgreSQL, polling elsewhere."""
    from eventsourcing.postgres import PostgresApplicationRecorder

    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresFollower(recorder, gt, page_size=page_size)
    return PollingFollower(recorder, gt, page_size=page_size, poll_interval=poll_interval)

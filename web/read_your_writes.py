"""Read-your-writes on a followed read side (services.read_side): a signed-in caller sees their own
writes at once, everyone else sees the follower's position (a fraction of a second behind the log).

After a write (any non-GET answered below 400) by a signed-in session, the session keeps the log's
head and the person the write was about (the route's `person_id`, or none for a write about no one
person, such as adding a dependant). A later request of that session reads at least up to that
position on that person's pages, and on every page after a write about no one person: a nurse who
recorded a dose sees it on the person's page at once, a citizen who added a dependant finds them in
the family list. Other pages (another person's, the lots list after a dose) show the follower's
position, a fraction of a second behind, and cost no catch-up. Installed only when the views are
followed; without a follower every read catches the views up itself.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, request, session
from flask.wrappers import Response

from ledger.commands import VIETNAM_TIME
from services.read_side import ReadSide, must_see
from web.i18n import translate

WROTE = "wrote"  # session key: [log position after the caller's last write, person id or ""]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _required_position() -> int:
    mark = session.get(WROTE)
    if not (isinstance(mark, list) and len(mark) == 2 and isinstance(mark[0], int)):
        return 0
    position, about = int(mark[0]), str(mark[1])
    person = (request.view_args or {}).get("person_id")
    if about and person != about:
        return 0  # another person's page, or a list: the write was about one person, shown on their page
    return position


def _before() -> None:
    must_see(_required_position() if g.get("principal") is not None else 0)


def _after(response: Response) -> Response:
    signed_in = g.get("principal") is not None and session.get("principal") is not None  # not signed out
    if request.method in SAFE_METHODS or response.status_code >= 400 or not signed_in:
        return response
    from web.context import ctx

    head = ctx().backend.ledger.recorder.max_notification_id() or 0
    session[WROTE] = [head, str((request.view_args or {}).get("person_id") or "")]
    return response


def _reset(_error: BaseException | None) -> None:
    must_see(0)  # the thread's next request starts with no requirement


class Freshness:
    """How far behind the log the followed views are, sampled at most once per `interval` seconds."""

    KEPT = 900  # samples remembered (15 minutes at one a second)

    def __init__(self, read: ReadSide, clock: Callable[[], datetime], interval: float = 1.0) -> None:
        self.read, self.clock, self.interval = read, clock, interval
        self.samples = 0  # statements pairs run (tests count them)
        self._heads: deque[tuple[datetime, int]] = deque(maxlen=self.KEPT)  # (when, the log's head)
        self._as_of: datetime | None = None
        self._behind = False
        self._sampled: datetime | None = None
        self._lock = threading.Lock()

    def as_of(self) -> tuple[bool, datetime | None]:
        """(behind?, the moment the views hold the log of, None if older than every sample kept)."""
        now = self.clock()
        due = self._sampled is None or (now - self._sampled).total_seconds() >= self.interval
        if due and self._lock.acquire(blocking=False):  # one thread samples; the others use the last
            try:
                self._sample(now)
            finally:
                self._lock.release()
        return self._behind, self._as_of

    def _sample(self, now: datetime) -> None:
        head = self.read.ledger.recorder.max_notification_id() or 0
        position = self.read.position()
        self.samples += 1
        self._sampled = now
        self._heads.append((now, head))
        reached = [when for when, at in self._heads if at <= position]
        self._behind = position < head
        self._as_of = max(reached) if reached else None


def _freshness() -> Freshness:
    found: Freshness | None = current_app.extensions.get("immunize_freshness")
    if found is None:  # the read side opens with the backend, on first use
        from web.context import ctx

        context = ctx()
        found = current_app.extensions.setdefault(
            "immunize_freshness", Freshness(context.platform.read, context.clock)
        )
    return found


def _stamp() -> dict[str, Any]:
    """Template context: `views_as_of`, the sentence for a signed-in page while the views are behind."""
    if g.get("principal") is None:
        return {}
    behind, as_of = _freshness().as_of()
    if not behind:
        return {}
    if as_of is None:
        return {"views_as_of": translate("views.behind")}
    return {"views_as_of": translate("views.as_of", time=f"{as_of.astimezone(VIETNAM_TIME):%H:%M:%S}")}


def _as_of_header(response: Response) -> Response:
    if g.get("principal") is None or not request.path.startswith("/api/"):
        return response
    behind, as_of = _freshness().as_of()
    if behind:
        response.headers["X-Immunize-As-Of"] = as_of.isoformat() if as_of is not None else "behind"
    return response


def install(app: Flask) -> None:
    """After web.roles (which sets g.principal): before each request, the position it must show."""
    app.before_request(_before)
    app.after_request(_after)
    app.after_request(_as_of_header)
    app.teardown_request(_reset)
    app.context_processor(_stamp)

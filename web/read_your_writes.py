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

from flask import Flask, g, request, session
from flask.wrappers import Response

from services.read_side import must_see

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


def install(app: Flask) -> None:
    """After web.roles (which sets g.principal): before each request, the position it must show."""
    app.before_request(_before)
    app.after_request(_after)
    app.teardown_request(_reset)

"""No web request replays the log into a view.

A view is empty again after a new view version or a new web secret (projections.recorder drops it), and
replaying a large store into it takes minutes: inside a request that was a 30 s+ page, and every worker's
first pages at once. So:
- `immunize serve` brings every view up to date before it accepts requests (`READ_SIDE_READY_AT_START`,
  with a progress line every few seconds on stderr);
- every request may apply at most `READ_SIDE_REQUEST_LIMIT` (IMMUNIZE_READ_SIDE_REQUEST_LIMIT) events when it catches views up (the usual
  handful since the last page); beyond that (projections.runner.ViewsBehind) the platform brings the views
  up to date in a background thread, and until it is done every request but /health and static files is
  answered 503 "the read side is being rebuilt, try again in a minute" with Retry-After;
- `immunize projections rebuild` stays the operator's tool (run it before starting on a large store).
"""

from __future__ import annotations

import sys
from typing import Any

from flask import Flask, g, request
from flask.wrappers import Response

from projections.runner import CatchUpBound, ViewsBehind, set_catch_up_bound

RETRY_AFTER_SECONDS = 60
OPEN_WHILE_REBUILDING = frozenset({"static", "public.health", "public.favicon"})


def say(line: str) -> None:
    """Progress of the read side, on the server's stderr (no personal data: counts only)."""
    print(line, file=sys.stderr, flush=True)


def rebuilding_response() -> Response:
    """503 with the catalog's sentence (`read_side_rebuilding`, vi and en) and Retry-After."""
    from web.i18n import message_for
    from web.views.errors import render_error

    response = render_error(503, "error.read_side_rebuilding", message=message_for(ViewsBehind()))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def install(app: Flask) -> None:
    """Bound every request's catch-up; answer 503 while the views are brought up to date."""
    from web.context import ctx

    limit = int(app.config["READ_SIDE_REQUEST_LIMIT"])

    @app.before_request
    def bound_catch_up() -> Response | None:
        platform = ctx().platform
        if platform.catching_up is not None and request.endpoint not in OPEN_WHILE_REBUILDING:
            return rebuilding_response()

        def behind() -> None:
            platform.catch_up_in_background(say)

        g.lift_catch_up_bound = set_catch_up_bound(CatchUpBound(limit, on_behind=behind))
        return None

    @app.teardown_request
    def lift_bound(_error: BaseException | None) -> None:
        lift = g.pop("lift_catch_up_bound", None)
        if lift is not None:
            lift()

    @app.errorhandler(ViewsBehind)
    def views_behind(_error: ViewsBehind) -> Any:
        return rebuilding_response()


def prepare_at_start(app: Flask) -> None:
    """With READ_SIDE_READY_AT_START: bring every view up to the log's head now, before the server
    accepts requests (a view of another version or key is rebuilt here, with progress on stderr)."""
    if app.config.get("READ_SIDE_READY_AT_START"):
        app.extensions["immunize"].platform.prepare(say)

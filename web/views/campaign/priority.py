"""The public priority list per ward (counts only; a signed-in citizen also sees their family's places)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import render_template, request
from flask.wrappers import Response

from projections import priority_queries
from services import citizen
from services.public_pages import ledger_head
from web import signin
from web.context import ctx
from web.errors import USER_ERRORS
from web.roles import Role, allow, current_principal
from web.views.campaign.common import (
    _failed,
    pages,
    service,
)
from web.views.public import anonymous_page

PRIORITY_ARGS = ("ward_code", "ward", "province_code", "district_code")  # all the page reads of its query


@pages.get("/priority")
@allow(Role.PUBLIC)
def priority_page() -> tuple[str, int] | Response:
    """A visitor not signed in gets the page as public bytes, per query and language, made again at
    most once per cache interval when the log moved (web.views.public.anonymous_page): a surge reads it."""
    ward = request.args.get("ward_code", request.args.get("ward", "")).strip()[:5]
    if not ward or _known_ward(ward):
        query = "&".join(f"{k}={request.args.get(k, '')[:8]}" for k in PRIORITY_ARGS)
        cached = anonymous_page(
            f"priority?{query}", lambda: _priority_page(ward)[0], lambda: ledger_head(ctx().backend)
        )
        if cached is not None:
            return cached
    return _priority_page(ward)


def _known_ward(code: str) -> bool:
    try:
        ctx().backend.reference.ward(code)
    except USER_ERRORS:
        return False
    return True


def _priority_page(ward: str) -> tuple[str, int]:
    found, error, status = None, "", 200
    if ward:
        try:
            found = service().priority_list(ward)
        except USER_ERRORS as exc:
            error, _, status = _failed(exc)
    mine: list[tuple[str, Any]] = []
    who = current_principal()
    if found is not None and who is not None and who.role is Role.CITIZEN:
        s = service()
        for member in citizen.family(ctx().backend, signin.session_phone()):
            for place in s.queue_places(UUID(member.id)):
                if place.position is not None and place.registration.ward == found.ward:
                    mine.append((member.full_name, place))
    return render_template(
        "campaign_priority.html",
        ward=ward,
        found=found,
        error=error,
        mine=mine,
        small=priority_queries.SMALL_COUNT,
    ), status

"""The public priority list per ward (counts only; a signed-in citizen also sees their family's places)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import render_template, request

from projections import campaign_queries as q
from services import citizen
from web import signin
from web.context import ctx
from web.errors import USER_ERRORS
from web.roles import Role, allow, current_principal
from web.views.campaign.common import (
    _failed,
    pages,
    service,
)


@pages.get("/priority")
@allow(Role.PUBLIC)
def priority_page() -> tuple[str, int]:
    ward = request.args.get("ward_code", request.args.get("ward", "")).strip()[:5]
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
        "campaign_priority.html", ward=ward, found=found, error=error, mine=mine, small=q.SMALL_COUNT
    ), status

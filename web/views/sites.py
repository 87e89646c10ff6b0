"""Province officers add a vaccination site and edit it on a page (the API and CLI had it already):
ward, address, sessions with their capacity, opening days, pause and reopen.

The form works without JavaScript: the ward is typed or picked from a list of the officer's province's
wards (a `<datalist>`: "00001 — Phường Phúc Xá, Quận Ba Đình", or the code alone); each session is a
row of start, end and capacity (an empty capacity leaves that session out). Bad input comes back as
one sentence beside the field it is about, with everything typed kept. The ledger holds the officer
to their province (a ward of another province is refused there too).
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from ledger.campaign.errors import CapacityInvalid, SiteWardOtherProvince
from ledger.campaign.values import MAX_SESSION_CAPACITY, Session, parse_opening_days
from ledger.errors import WardUnknown
from projections import site_queries
from web.context import ctx
from web.errors import USER_ERRORS, BadInput, error_code
from web.notices import confirm
from web.roles import Role, allow
from web.views.campaign.common import _failed, _principal, service, staff_actor

pages = Blueprint("sites", __name__)

# The sessions the page offers, with the times a new site starts from.
SESSIONS = (("morning", "07:30", "11:30"), ("afternoon", "13:30", "16:30"), ("evening", "17:30", "20:00"))
DAYS = range(7)
_WARD_CODE = re.compile(r"\s*(\d{5})\b")
# Which field an error is about (its sentence goes beside it, the field gets the focus).
FIELD_OF = {
    "ward_unknown": "ward",
    "site_ward_other_province": "ward",
    "opening_days_invalid": "days",
    "site_code_taken": "site_code",  # the service's rule (services.campaign_sites.add_site)
}


@dataclass(frozen=True)
class WardChoice:
    code: str
    label: str  # "00001 — Phường Phúc Xá, Quận Ba Đình"


def ward_choices(province: str) -> list[WardChoice]:
    """Every ward of the province, as the list offers them."""
    ref = ctx().backend.reference
    found = []
    for ward in ref.wards.values():
        if ward.province_code == province:
            district = ref.districts.get(ward.district_code)
            where = f"{ward.full_name}, {district.name}" if district else ward.full_name
            found.append(WardChoice(ward.code, f"{ward.code} — {where}"))
    return sorted(found, key=lambda w: w.label)


def ward_of(text: str, province: str) -> str:
    """The ward code in what was typed or picked: the 5-digit code it starts with, or the name of exactly
    one ward of the province ("Phúc Xá", "phường phúc xá": the hint says a name may be typed, and an
    officer who typed it without picking from the list was told the "code" did not exist). A name two
    wards share (e.g. "Phường 1" in several districts) is refused: pick from the list."""
    found = _WARD_CODE.match(text)
    if found is not None:
        return found[1]
    wanted = _ward_key(text)
    ref = ctx().backend.reference
    matches = [
        w.code
        for w in ref.wards.values()
        if w.province_code == province and wanted in (_ward_key(w.name), _ward_key(w.full_name))
    ]
    if wanted and len(matches) == 1:
        return matches[0]
    raise WardUnknown(f"{text!r} is not a ward of the list.", ward_code=text.strip()[:40] or "—")


def _ward_key(name: str) -> str:
    """A ward's name compared without case, spacing or Unicode form differences."""
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def sessions_of(form: Mapping[str, str]) -> list[Session]:
    """The session rows with a capacity typed (the others are left out)."""
    chosen = []
    for name, _start, _end in SESSIONS:
        capacity = form.get(f"capacity-{name}", "").strip()
        if not capacity:
            continue
        if not re.fullmatch(r"-?\d{1,9}", capacity):
            raise CapacityInvalid(
                f"The capacity {capacity!r} is not a whole number.",
                capacity=capacity[:12],
                maximum=MAX_SESSION_CAPACITY,
                session=name,
            )
        start, end = _time(form, "start", name), _time(form, "end", name)
        if end <= start:  # "07:30" < "11:30": zero-padded times compare as text
            raise BadInput(
                "the session ends before it starts",
                key="error.site_session_order",
                field=f"end-{name}",
                session=name,
                start=start,
                end=end,
            )
        try:
            chosen.append(Session(name, start, end, int(capacity)))
        except CapacityInvalid as exc:
            exc.params["session"] = name
            raise
    if not chosen:
        raise BadInput("no session", key="error.site_no_session", field="capacity-morning")
    return chosen


_HOUR = re.compile(r"\s*(\d{1,2})(?:\s*[:hH.]\s*)?(\d{2})\s*")


def _time(form: Mapping[str, str], which: str, session: str) -> str:
    """A session's start or end as HH:MM: "7:30", "07.30", "7h30" and "0730" are read as 07:30 (how times
    are written in Viet Nam; a phone's number pad has no colon); anything else is refused with the field and what was typed (the ledger's own
    check gave one sentence for every time of every session, with a date format the form does not have)."""
    typed = form.get(f"{which}-{session}", "")
    found = _HOUR.fullmatch(typed)
    if found is not None and int(found[1]) < 24 and int(found[2]) < 60:
        return f"{int(found[1]):02d}:{found[2]}"
    raise BadInput(
        "not a time of day",
        key=f"error.site_session_{which}",
        field=f"{which}-{session}",
        session=session,
        time=typed.strip()[:12] or "—",
    )


def days_of(form: Any) -> list[int]:
    return [int(d) for d in form.getlist("days") if d in {str(n) for n in DAYS}]


def _field(exc: Exception) -> str:
    code = error_code(exc)
    params = getattr(exc, "params", None) or {}
    if code == "session_capacity_invalid" and isinstance(params.get("session"), str):
        return f"capacity-{params['session']}"
    return str(params.get("field") or FIELD_OF.get(code, ""))


def _form_of(site: site_queries.SiteRow | None) -> dict[str, Any]:
    """The form's values: the site as it is (edit), or a new site's defaults."""
    if site is None:
        values: dict[str, Any] = {"days": [str(d) for d in DAYS]}
        for name, start, end in SESSIONS[:2]:
            values |= {f"start-{name}": start, f"end-{name}": end, f"capacity-{name}": "200"}
        return values
    labels = {w.code: w.label for w in ward_choices(site.province)}
    values = {"ward": labels.get(site.ward, site.ward), "site_address": site.address}
    for s in site.sessions:
        values |= {
            f"start-{s['name']}": s["start"],
            f"end-{s['name']}": s["end"],
            f"capacity-{s['name']}": str(s["capacity"]),
        }
    values["days"] = [str(d) for d in parse_opening_days(site.opening_days)]
    return values


def _page(
    site: site_queries.SiteRow | None,
    form: Mapping[str, Any],
    *,
    error: str = "",
    field: str = "",
    status: int = 200,
) -> tuple[str, int]:
    who = _principal()
    province = who.province_code or ""
    return render_template(
        "campaign_site.html",
        site=site,
        form=form,
        wards=ward_choices(province),
        province=province,
        sessions=SESSIONS,
        days=DAYS,
        error=error,
        error_field=field,
        form_key=uuid.uuid4().hex,
    ), status


def _typed(form: Any) -> dict[str, Any]:
    """What was typed, kept for the form shown again (bounded)."""
    kept: dict[str, Any] = {k: str(v)[:300] for k, v in form.items() if k not in ("csrf_token", "days")}
    kept["days"] = form.getlist("days")[:7]
    return kept


@pages.route("/province/sites/new", methods=["GET", "POST"])
@allow(Role.PROVINCE)
def add_page() -> tuple[str, int] | BaseResponse:
    if request.method == "GET":
        return _page(None, _form_of(None))
    form = request.form
    try:
        code = form.get("site_code", "").strip()[:50]
        name = form.get("site_name", "").strip()[:200]
        if not code:
            raise BadInput("the field site_code is empty", key="error.field_missing", field="site_code")
        if not name:
            raise BadInput("the field site_name is empty", key="error.field_missing", field="site_name")
        mine = _principal().province_code or ""
        ward = ctx().backend.reference.ward(ward_of(form.get("ward", ""), mine))
        if ward.province_code != mine:  # the ledger refuses it too; here the sentence names the ward
            raise SiteWardOtherProvince(
                f"Ward {ward.code} is in province {ward.province_code}, not in {mine}.",
                ward=ward.code,
                ward_province=ward.province_code,
                province=mine,
            )
        row = service().add_site(
            code=code,
            name=name,
            ward_code=ward.code,
            address=form.get("site_address", "").strip()[:300],
            sessions=sessions_of(form),
            opening_days=days_of(form),
            actor=staff_actor(),
            idempotency_key=f"site-page:{form.get('key', '')[:64]}" if form.get("key") else None,
        )
    except USER_ERRORS as exc:
        field = _field(exc)  # before _failed, which words the session's name for the sentence
        error, _, status = _failed(exc)
        return _page(None, _typed(form), error=error, field=field, status=status)
    confirm("campaign.done.site_added", site=row.name)
    return redirect(url_for("sites.edit_page", site_id=row.site_id))


@pages.route("/province/sites/<site_id>", methods=["GET", "POST"])
@allow(Role.PROVINCE)
def edit_page(site_id: str) -> tuple[str, int] | BaseResponse:
    actor = staff_actor(site_id)  # another province's site: refused before anything is shown
    site = service().site(site_id)
    if request.method == "GET":
        return _page(site, _form_of(site))
    form = request.form
    try:
        row = service().update_site(
            site.site_id,
            ward_code=ward_of(form.get("ward", ""), site.province),
            address=form.get("site_address", "").strip()[:300],
            sessions=sessions_of(form),
            opening_days=days_of(form),
            actor=actor,
            idempotency_key=f"site-page:{form.get('key', '')[:64]}" if form.get("key") else None,
        )
    except USER_ERRORS as exc:
        field = _field(exc)  # before _failed, which words the session's name for the sentence
        error, _, status = _failed(exc)
        return _page(site, _typed(form), error=error, field=field, status=status)
    confirm("campaign.done.site_saved", site=row.name)
    return redirect(url_for("sites.edit_page", site_id=row.site_id))


@pages.post("/province/sites/<site_id>/status")
@allow(Role.PROVINCE)
def status_page(site_id: str) -> tuple[str, int] | BaseResponse:
    actor = staff_actor(site_id)
    site = service().site(site_id)
    wanted = "open" if site.status == "paused" else "paused"
    try:
        row = service().set_site_status(
            site.site_id, wanted, reason=request.form.get("reason", "").strip()[:500], actor=actor
        )
    except USER_ERRORS as exc:
        error, _, status = _failed(exc)
        return _page(site, _form_of(site), error=error, field="reason", status=status)
    confirm(
        "campaign.done.site_paused" if wanted == "paused" else "campaign.done.site_reopened", site=row.name
    )
    return redirect(url_for("sites.edit_page", site_id=row.site_id))

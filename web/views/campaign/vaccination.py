"""The citizen's vaccination pages: register, see, cancel and move appointments, move the waiting
place to another ward. Which appointments a citizen sees, and the health book's next visit and next
dose, are services.citizen's (`visits`, `person_page`).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from projections import priority_queries, site_queries
from services import citizen
from services.campaign import CampaignService
from web import signin
from web.context import ctx
from web.errors import USER_ERRORS, BadInput
from web.i18n import message_for
from web.notices import confirm
from web.places import ward_name
from web.roles import Role, allow
from web.views.campaign.common import (
    _failed,
    _family_actor,
    _own_appointment,
    _own_registration,
    pages,
    service,
)


def _visits(person_id: UUID) -> list[citizen.Visit]:
    """The family member's visits as services.citizen's rule says (booked or arrived), with their site
    and session times, in one read."""
    return citizen.visits(ctx().backend, person_id)


def _places(s: CampaignService, person_id: UUID) -> tuple[str, list[tuple[str, list[site_queries.SiteRow]]]]:
    """The person's home ward, and the campaign sites of their province by ward (for "where")."""
    person = s.ledger.get_person(person_id)
    by_ward: dict[str, list[site_queries.SiteRow]] = {}
    for site in s.sites(province=person.province_code):
        if site.status == "open":
            by_ward.setdefault(site.ward, []).append(site)
    home = person.ward_code
    order = sorted(by_ward, key=lambda w: (w != home, w))
    return home, [(w, by_ward[w]) for w in order]


def _citizen_page(person_id: str, *, error: str = "", field: str = "", status: int = 200) -> tuple[str, int]:
    pid, _ = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    s = service()
    groups = sorted(ctx().backend.reference.priority_groups.values(), key=lambda g: g.rank)
    places = s.queue_places(pid)
    home, wards = _places(s, pid)
    open_registration = any(p.registration.status in ("waiting", "booked") for p in places)
    person = s.ledger.get_person(pid)
    upcoming, series_done = citizen.next_dose(s.ledger, person)
    # The form starts from what the person chose before (a next dose keeps its priority group and
    # place), else the group on their record: a tap on "register" never drops them to the last group.
    latest = places[0].registration if places else None
    default_group = latest.priority_group if latest else person.priority_group
    default_place = ""
    if latest is not None and latest.site_id:
        default_place = f"site:{latest.site_id}"
    elif latest is not None and latest.ward != home:
        default_place = f"ward:{latest.ward}"
    return render_template(
        "campaign_citizen.html",
        person=who,
        default_group=default_group,
        default_place=default_place,
        next_dose=upcoming,
        series_done=series_done,
        visits=_visits(pid),
        places=places,
        groups=groups,
        home_ward=home,
        wards=wards,
        can_register=not open_registration,
        today_iso=s.ledger.today().isoformat(),
        error=error,
        error_field=field,
    ), status


@pages.get("/me/vaccination/<person_id>")
@allow(Role.CITIZEN)
def my_vaccination(person_id: str) -> tuple[str, int]:
    return _citizen_page(person_id)


def _preference(value: str) -> tuple[str | None, str | None]:
    """(site id, ward code) from the "where" choice: "" (home ward), "ward:CODE" or "site:ID"."""
    value = value.strip()
    if not value:
        return None, None
    kind, _, code = value.partition(":")
    if kind == "site" and code:
        return code, None
    if kind == "ward" and code:
        return None, code
    raise BadInput("choose the place from the list", key="error.campaign_place_choice", field="place")


@pages.post("/me/vaccination/<person_id>/register")
@allow(Role.CITIZEN)
def my_register(person_id: str) -> tuple[str, int] | BaseResponse:
    pid, actor = _family_actor(person_id)
    try:
        site_id, ward_code = _preference(request.form.get("place", ""))
        language = request.form.get("language", "vi")
        if language not in ("vi", "en"):
            raise BadInput("choose a language", key="error.field_choice", field="language")
        made = service().register(
            person=pid,
            group=request.form.get("priority_group", "")[:40],
            site_id=site_id,
            ward_code=ward_code,
            actor=actor,
            language=language,
        )
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _citizen_page(person_id, error=error, field=field, status=status)
    confirm("campaign.done.registered", person=person_id, number=made.dose_number)
    return redirect(url_for("campaign.my_vaccination", person_id=person_id))


@pages.get("/me/vaccination/<person_id>/appointments/<appointment_id>/cancel")
@allow(Role.CITIZEN)
def my_cancel_confirm(person_id: str, appointment_id: str) -> tuple[str, int]:
    """Cancelling asks once more, showing what is cancelled (a stray tap on a phone cancels nothing)."""
    pid, _ = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    _own_appointment(pid, appointment_id)
    visit = next((v for v in _visits(pid) if v.appointment_id == appointment_id), None)
    return render_template(
        "campaign_cancel.html", person=who, visit=visit, appointment_id=appointment_id
    ), 200


@pages.post("/me/vaccination/<person_id>/appointments/<appointment_id>/cancel")
@allow(Role.CITIZEN)
def my_cancel_page(person_id: str, appointment_id: str) -> tuple[str, int] | BaseResponse:
    pid, actor = _family_actor(person_id)
    withdraw = request.form.get("withdraw") == "1"
    try:
        _own_appointment(pid, appointment_id)
        service().cancel_appointment(
            appointment_id, actor=actor, reason="cancelled online", withdraw=withdraw
        )
    except USER_ERRORS as exc:
        error, field, status = _failed(exc)
        return _citizen_page(person_id, error=error, field=field, status=status)
    confirm("campaign.done.withdrawn" if withdraw else "campaign.done.cancelled", person=person_id)
    return redirect(url_for("campaign.my_vaccination", person_id=person_id))


def _slot(value: str) -> tuple[str, date, str]:
    """(site id, day, session) from a "site|YYYY-MM-DD|session" choice."""
    parts = value.split("|")
    if len(parts) != 3 or not all(parts):
        raise BadInput("choose a session from the list", key="error.campaign_slot_choice", field="slot")
    try:
        day = date.fromisoformat(parts[1])
    except ValueError:
        raise BadInput(
            "choose a session from the list", key="error.campaign_slot_choice", field="slot"
        ) from None
    return parts[0], day, parts[2]


@pages.route("/me/vaccination/<person_id>/appointments/<appointment_id>/move", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def my_move_page(person_id: str, appointment_id: str) -> tuple[str, int] | BaseResponse:
    pid, actor = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    s = service()
    _own_appointment(pid, appointment_id)
    error, field, status = "", "", 200
    if request.method == "POST":
        try:
            site_id, day, session = _slot(request.form.get("slot", "")[:200])
            s.move_appointment(appointment_id, site_id=site_id, day=day, session=session, actor=actor)
        except USER_ERRORS as exc:
            error, field, status = _failed(exc)
        else:
            confirm("campaign.done.moved", person=person_id)
            return redirect(url_for("campaign.my_vaccination", person_id=person_id))
    current = next((v for v in _visits(pid) if v.appointment_id == appointment_id), None)
    booked = s.appointment(appointment_id)
    home = s.site(booked.site_id).ward
    ward, ward_error = _chosen_ward(home)
    options = s.move_options(appointment_id, days=7, ward=ward)
    by_day: dict[str, list[priority_queries.SessionPlace]] = {}
    for option in options:
        by_day.setdefault(option.day, []).append(option)
    return render_template(
        "campaign_move.html",
        person=who,
        current=current,
        appointment_id=appointment_id,
        by_day=[(date.fromisoformat(d), xs) for d, xs in by_day.items()],
        ward=ward,
        elsewhere=ward != home,
        ward_error=ward_error,
        error=error,
        error_field=field,
    ), status


@pages.route("/me/vaccination/<person_id>/registrations/<registration_id>/move", methods=["GET", "POST"])
@allow(Role.CITIZEN)
def my_transfer_page(person_id: str, registration_id: str) -> tuple[str, int] | BaseResponse:
    """A waiting person moves their place to another ward's queue (working elsewhere for a while)."""
    pid, actor = _family_actor(person_id)
    who = citizen.member(ctx().backend, signin.session_phone(), person_id)
    s = service()
    reg = _own_registration(pid, registration_id)
    error, field, status = "", "", 200
    if request.method == "POST":
        try:
            site_id, _ = _preference(request.form.get("place", ""))
            ward_code = request.form.get("ward_code", "").strip()[:5] or None
            seen = request.form.get("moves_seen", "")
            s.transfer_registration(
                registration_id,
                ward_code=None if site_id else ward_code,
                site_id=site_id,
                actor=actor,
                moves_seen=int(seen) if seen.isdigit() else None,
            )
        except USER_ERRORS as exc:
            error, field, status = _failed(exc)
        else:
            moved = _own_registration(pid, registration_id)
            confirm("campaign.done.transferred", person=person_id, ward=ward_name(moved.ward))
            return redirect(url_for("campaign.my_vaccination", person_id=person_id))
    ward, ward_error = _chosen_ward(reg.ward)
    chosen = bool(request.args.get("ward_code")) and not ward_error
    s.refresh()
    sites = [x for x in site_queries.sites(s.store, ward=ward) if x.status == "open"] if chosen else []
    return render_template(
        "campaign_transfer.html",
        person=who,
        registration=reg,
        current_site=s.site(reg.site_id) if reg.site_id else None,
        ward=ward,
        chosen=chosen,
        ward_error=ward_error,
        sites=sites,
        moves_seen=s.moves_of(registration_id),
        error=error,
        error_field=field,
    ), status


def _chosen_ward(default: str) -> tuple[str, str]:
    """(the ward chosen in the page's picker, or `default`; the sentence when the choice is not a ward)."""
    code = request.args.get("ward_code", "").strip()[:5]
    if not code:
        return default, ""
    try:
        return ctx().backend.reference.ward(code).code, ""
    except USER_ERRORS as exc:
        return default, message_for(exc)

"""What the campaign's API and pages share: the two blueprints, the service, who the caller is as the
ledger's actor, the family member's own appointment or registration, and the sentence of an error.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from flask import Blueprint, request

from ledger.campaign.errors import AppointmentNotFound, CampaignInputInvalid, RegistrationNotFound
from ledger.errors import NotPermitted
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections import plan_queries, queue_queries
from services import citizen
from services.campaign import CampaignService
from web import signin
from web.catalog import CATALOG
from web.context import ctx
from web.errors import error_code, status_for
from web.i18n import message_for, translate
from web.roles import Principal, Role, current_principal

api = Blueprint("campaign_api", __name__, url_prefix="/api/v1")
pages = Blueprint("campaign", __name__)


def service() -> CampaignService:
    backend = ctx().backend
    return CampaignService(backend.ledger, backend.views)


def _principal() -> Principal:
    who = current_principal()
    assert who is not None  # roles.install guarantees it
    return who


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise CampaignInputInvalid("Send a JSON object with Content-Type: application/json.")
    return data


def _day(text: object) -> date:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        raise CampaignInputInvalid(f"The date {text!r} is not a date: use YYYY-MM-DD.") from None


def staff_actor(site_id: str | UUID | None = None) -> Actor:
    """The signed-in staff member as the ledger's actor; a province officer only for their province."""
    who = _principal()
    if who.role is Role.STAFF:
        if site_id is not None and str(site_id) != who.site_id:
            raise NotPermitted("Site staff work their own site's day only: sign in at that site.")
        return Actor(who.subject, LedgerRole.SITE_STAFF, UUID(who.site_id) if who.site_id else None)
    if who.role is Role.PROVINCE:
        if site_id is not None and service().site(site_id).province != who.province_code:
            raise NotPermitted(
                f"Province officers manage their own province's sites (yours: {who.province_code})."
            )
        return Actor(who.subject, LedgerRole.PROVINCE_OFFICER, province_code=who.province_code or None)
    raise NotPermitted("Only site staff and province officers do this.")


def _family_actor(person_id: str) -> tuple[UUID, Actor]:
    member = citizen.member(ctx().backend, signin.session_phone(), person_id)
    guardian = member.guardian_id
    actor = Actor(guardian, LedgerRole.GUARDIAN) if guardian else Actor(member.id, LedgerRole.CITIZEN)
    return UUID(member.id), actor


def _own_appointment(person_id: UUID, appointment_id: str) -> plan_queries.AppointmentRow:
    """The appointment, when it is this family member's; anyone else's is 'not found'."""
    found = service().appointment(appointment_id)
    if found.person_id != str(person_id):
        raise AppointmentNotFound("No such appointment for this person: reload the page.")
    return found


def _own_registration(person_id: UUID, registration_id: str) -> queue_queries.RegistrationRow:
    """The registration, when it is this family member's; anyone else's is 'not found'."""
    for r in service().my_registrations(person_id):
        if r[0].registration_id == registration_id:
            return r[0]
    raise RegistrationNotFound("No such registration for this person: reload the page.")


# ---- pages ---------------------------------------------------------------------------------------
#
# Each page form comes back with what was typed and one sentence next to the field it is about when
# something is wrong (the error's code names the field); success is confirmed on the next page.

# Which form field an error is about (its message is shown next to that field).
FIELD_OF_ERROR = {
    "priority_group_unknown": "priority_group",
    "site_not_found": "place",
    "ward_unknown": "place",
    "campaign_place_choice": "place",
    "already_registered": "priority_group",
    "campaign_day_in_past": "date",
    "date_invalid": "date",
    "field_missing": "date",
    "campaign_input_invalid": "date",
    "site_closed": "date",
    "no_stock": "site_id",
    "move_same_session": "slot",
    "move_same_ward": "place",
    "move_not_due": "slot",
    "session_unavailable": "slot",
    "campaign_slot_choice": "slot",
    "lot_not_at_site": "lot_id",
    "lot_expired": "lot_id",
}


@pages.app_template_filter("product")
def product_name(code: str) -> str:
    """A vaccine product code (EU/1/20/1528) as people call it and as every page names it (the `vaccine`
    filter's rule on the product's name: Pfizer-BioNTech, Sinopharm, AstraZeneca); the code when unknown."""
    from web.charts import short_vaccine_name

    vaccine = ctx().backend.reference.vaccines.get(str(code))
    return short_vaccine_name(vaccine.name) if vaccine else str(code)


def _failed(exc: Exception) -> tuple[str, str, int]:
    """(sentence, field it is about, HTTP status) of an error a person can act on."""
    params = getattr(exc, "params", None)
    if isinstance(params, dict) and isinstance(params.get("session"), str):
        key = f"campaign.session.{params['session']}"
        if key in CATALOG:  # "morning" as the page's language says it
            params["session"] = translate(key).lower()
    return message_for(exc), FIELD_OF_ERROR.get(error_code(exc), ""), status_for(exc)

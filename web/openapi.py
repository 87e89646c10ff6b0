"""The OpenAPI 3.1 description of /api/v1 (a test checks it names every API route and no other)."""

from __future__ import annotations

from typing import Any

CSRF: list[dict[str, list[str]]] = [{"csrfHeader": [], "session": []}]


def _op(
    summary: str, role: str, *, body: dict[str, Any] | None = None, params: tuple[str, ...] = ()
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "x-role": role,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
            "400": {"$ref": "#/components/responses/Error"},
            "401": {"$ref": "#/components/responses/Error"},
            "403": {"$ref": "#/components/responses/Error"},
            "404": {"$ref": "#/components/responses/Error"},
            "409": {"$ref": "#/components/responses/Error"},
            "429": {"$ref": "#/components/responses/Error"},
            "503": {"$ref": "#/components/responses/Error"},
        },
    }
    if params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in params
        ]
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object", "properties": body}}},
        }
        operation["security"] = CSRF
    return operation


S = {"type": "string"}
N = {"type": "integer"}
PERSON = ("person_id",)
PATHS: dict[str, dict[str, Any]] = {
    "/openapi.json": {"get": _op("This document", "public")},
    "/session": {"get": _op("Who is signed in, and the CSRF token for unsafe calls", "public")},
    "/auth/otp": {"post": _op("Send a one-time code to a phone", "public", body={"phone": S})},
    "/auth/otp/verify": {"post": _op("Sign a citizen in with the code", "public", body={"code": S})},
    "/auth/staff": {"post": _op("Sign staff in", "public", body={"username": S, "password": S})},
    "/auth/signout": {"post": _op("Sign out", "any", body={})},
    "/statistics": {"get": _op("Public statistics (small counts suppressed)", "public")},
    "/verify": {"post": _op("Verify an HC1 certificate", "public", body={"hc1": S})},
    "/me/family": {"get": _op("The citizen's family: self and dependants", "citizen")},
    "/me/dependants": {
        "post": _op(
            "Add a dependant",
            "citizen",
            body={"full_name": S, "date_of_birth": S, "sex": S, "ward_code": S, "priority_group": S},
        )
    },
    "/me/people/{person_id}": {"get": _op("A family member's health book", "citizen", params=PERSON)},
    "/me/people/{person_id}/reactions": {
        "post": _op(
            "Report a reaction after a dose",
            "citizen",
            params=PERSON,
            body={"dose_id": S, "onset": S, "symptoms": S, "severity": S},
        )
    },
    "/me/people/{person_id}/declarations": {
        "post": _op(
            "Declare health",
            "citizen",
            params=PERSON,
            body={
                "symptoms": S,
                "no_symptoms": {"type": "boolean"},
                "exposure": {"type": "boolean"},
                "travel": S,
                "no_travel": {"type": "boolean"},
            },
        )
    },
    "/me/people/{person_id}/certificate": {
        "get": _op(
            "The current certificate: HC1, status green/yellow (409 until one is issued)",
            "citizen",
            params=PERSON,
        ),
        "post": _op(
            "Issue the certificate when none is current (reads never issue)", "citizen", params=PERSON
        ),
    },
    "/desk/find": {
        "post": _op(
            "Find a person by national ID or certificate ({id}), or everyone a phone reaches ({people}); "
            "a national ID only declared online, not yet confirmed against the card, answers "
            "{people, national_id_confirmed: false} (check the card, then POST .../id-card/confirm); "
            "every lookup (number or certificate) is logged for the auditor (a keyed digest of the number or "
            "UCI, never the value) and rate-limited (429)",
            "staff",
            body={"national_id": S, "phone": S, "hc1": S},
        )
    },
    "/desk/people": {
        "post": _op(
            "Register a person at the staff member's desk (409 national_id_declared_online when a citizen"
            " declared the number online: find and confirm them instead; the same request sent again"
            " answers the same id)",
            "staff",
            body={
                "full_name": S,
                "date_of_birth": S,
                "sex": S,
                "national_id": S,
                "ward_code": S,
                "priority_group": S,
                "phone": S,
            },
        )
    },
    "/desk/lots": {"get": _op("Lots at the staff member's site", "staff")},
    "/desk/people/{person_id}": {"get": _op("A person's record at the desk", "staff", params=PERSON)},
    "/desk/people/{person_id}/doses": {
        "post": _op(
            "Record a dose",
            "staff",
            params=PERSON,
            body={"lot_id": S, "dose_number": {"type": "integer"}, "given_on": S, "idempotency_key": S},
        )
    },
    "/desk/people/{person_id}/reactions": {
        "post": _op(
            "Record a reaction",
            "staff",
            params=PERSON,
            body={"dose_id": S, "onset": S, "symptoms": S, "severity": S},
        )
    },
    "/desk/people/{person_id}/corrections": {
        "post": _op(
            "Correct a record with a reason",
            "staff",
            params=PERSON,
            body={"field": S, "value": S, "dose_id": S, "reason": S},
        )
    },
    "/desk/people/{person_id}/id-card/confirm": {
        "post": _op("Confirm the ID number a citizen typed online, against the card", "staff", params=PERSON)
    },
    "/desk/people/{person_id}/join": {
        "post": _op(
            "Join this online registration to the record a site registered with the same ID number, once the "
            "card is seen: phone, guardian or dependants, declarations and waiting place move, the online record "
            "is erased (errors: rule_violation for different numbers, doses or an appointment on it)",
            "staff",
            params=PERSON,
            body={"registered_id": S},
        )
    },
    "/desk/people/{person_id}/phone/confirm": {
        "post": _op(
            "Confirm a phone change with the code sent to the new number",
            "staff",
            params=PERSON,
            body={"code": S},
        )
    },
    "/province": {"get": _op("The province's sites and lots", "province")},
    "/province/people/{person_id}/erase": {
        "post": _op(
            "Erase a person of the officer's province (confirm: erase; the reason is kept)",
            "province",
            params=PERSON,
            body={"reason": S, "confirm": S},
        )
    },
    "/operations": {"get": _op("The operations view with projection lag", "response")},
    "/audit": {"get": _op("Checkpoints and the last verification", "auditor")},
    # ---- campaign operations (issue 13) ----
    "/sms/inbound": {
        "post": {
            **_op(
                "A reply from a phone, pushed by the SMS gateway (X-Gateway-Secret: the shared secret); "
                "message_id or received_at (the gateway's) required: a message delivered twice is recorded once. "
                'Answers {"outcome"}: no_reaction, mild, serious (check-in answers 1, 2, 3 <text>), kept, '
                'unknown_phone, or for "HUY" / "HUY 2": cancelled, asked_which, nothing_to_cancel',
                "gateway",
                body={"from": S, "text": S, "message_id": S, "received_at": S},
            ),
            "security": [{"gatewaySecret": []}],
        }
    },
    "/campaign/sites": {
        "get": _op("Campaign sites with sessions and capacity (?province=CODE)", "staff, province, response"),
        "post": _op(
            "Add a site in the officer's province",
            "province",
            body={
                "code": S,
                "name": S,
                "ward_code": S,
                "address": S,
                "sessions": {"type": "array"},
                "opening_days": S,
            },
        ),
    },
    "/campaign/sites/{site_id}": {
        "post": _op(
            "Edit a site of the officer's province in one go: ward (same province), address, sessions "
            "(name=HH:MM-HH:MM/capacity, 1 to 2,000 each), opening days (planned days keep theirs)",
            "province (own province)",
            params=("site_id",),
            body={"ward_code": S, "address": S, "sessions": {"type": "array"}, "opening_days": S},
        )
    },
    "/campaign/sites/{site_id}/status": {
        "post": _op(
            "Pause a site (no new appointments) or reopen it: {status: paused|open, reason}",
            "province (own province)",
            params=("site_id",),
            body={"status": S, "reason": S},
        )
    },
    "/campaign/sites/{site_id}/registrations": {
        "get": _op(
            "The open registrations of a site's area, in planning order",
            "staff, province",
            params=("site_id",),
        )
    },
    "/campaign/sites/{site_id}/plan": {
        "post": _op(
            "Plan a site-day: {site_id, date, sessions: [{name, start, end, capacity, appointments}], waiting, "
            "waiting_reasons: [{reason: capacity_full / no_stock / not_due_yet / site_closed, count, dose_number, "
            "product}], not_due_yet: {count, first_due}}",
            "staff, province",
            params=("site_id",),
            body={"date": S},
        )
    },
    "/campaign/sites/{site_id}/days/{day}": {
        "get": _op(
            "A site's day: sessions and appointments with status",
            "staff, province",
            params=("site_id", "day"),
        )
    },
    "/campaign/registrations/{registration_id}/move": {
        "post": _op(
            "Move a waiting place to another ward's queue ({ward_code} or {site_id}); 403 "
            "waiting_place_of_another_site for a place of another site or ward",
            "staff (own site or ward), province (own province)",
            params=("registration_id",),
            body={"ward_code": S, "site_id": S, "moves_seen": {"type": "integer"}},
        )
    },
    "/campaign/registrations/{registration_id}/withdraw": {
        "post": _op(
            "Take a waiting place out of the queue; 403 waiting_place_of_another_site for another site's",
            "staff (own site or ward), province (own province)",
            params=("registration_id",),
            body={"reason": S},
        )
    },
    "/campaign/appointments/{appointment_id}/check-in": {
        "post": _op("The person arrived", "staff", params=("appointment_id",), body={})
    },
    "/campaign/appointments/{appointment_id}/no-show": {
        "post": _op(
            "The person did not come (before the day is closed): released and re-queued with their priority",
            "staff (own site)",
            params=("appointment_id",),
            body={},
        )
    },
    "/campaign/appointments/{appointment_id}/came-late": {
        "post": _op(
            "Undo today's no-show: the person came late (checked in on the same appointment)",
            "staff (own site)",
            params=("appointment_id",),
            body={},
        )
    },
    "/campaign/appointments/{appointment_id}/dose": {
        "post": _op(
            "Record the dose given at the appointment",
            "staff",
            params=("appointment_id",),
            body={"lot_id": S},
        )
    },
    "/campaign/stock": {"get": _op("Stock per site and product (?site=ID)", "staff, province, response")},
    "/stock/lots": {
        "get": _op(
            "Store lots, site allocations and allocation vs use within the caller's reach (?site=ID)",
            "staff (own site), province (own province)",
        )
    },
    "/stock/shipments": {
        "post": _op(
            "A shipment line arrives at the officer's province store (doses or vials; doses per vial from "
            "the label); header Idempotency-Key makes a retry one write",
            "province",
            body={
                "province": S,
                "product": S,
                "lot_number": S,
                "expiry": S,
                "doses_per_vial": N,
                "doses": N,
                "vials": N,
            },
        )
    },
    "/stock/allocations": {
        "post": _op(
            "Allocate whole vials of a store lot to a site of the same province (never more than the store "
            "holds, never an expired lot)",
            "province",
            body={"lot_id": S, "site_id": S, "doses": N, "vials": N},
        )
    },
    "/stock/returns": {
        "post": _op(
            "Return unopened vials of a site lot to the province store it was allocated from (never an opened "
            "vial, never more than the site holds; a lot received at the site has no store to return to)",
            "staff (own site), province (own province)",
            body={"site_lot_id": S, "doses": N, "vials": N},
        )
    },
    "/stock/sites/{site_id}/close-day": {
        "post": _op(
            "End of the day's sessions: doses left in opened vials are recorded as wasted",
            "staff (own site), province",
            params=("site_id",),
            body={"date": S},
        )
    },
    "/campaign/priority-list/{ward_code}": {
        "get": _op(
            'A ward\'s waiting people per priority group (counts 1-4 as "<5"), the next day with places '
            "and how far they reach (cutoff: rank, group, registered_on)",
            "public",
            params=("ward_code",),
        )
    },
    "/me/people/{person_id}/registration": {
        "post": _op(
            "Register a family member for their next dose",
            "citizen",
            params=PERSON,
            body={"priority_group": S, "site_id": S, "ward_code": S, "language": S},
        )
    },
    "/me/people/{person_id}/appointments": {
        "get": _op("A family member's appointments and place in the queue", "citizen", params=PERSON)
    },
    "/me/people/{person_id}/appointments/{appointment_id}/cancel": {
        "post": _op(
            "Cancel an appointment", "citizen", params=("person_id", "appointment_id"), body={"reason": S}
        )
    },
    "/me/people/{person_id}/appointments/{appointment_id}/move": {
        "post": _op(
            "Move an appointment to another session, day or site, in the ward or another ward or province "
            "(then the person waits in that ward's queue, same priority and registration time; errors: "
            "move_same_session, move_not_due, session_unavailable, no_stock, site_not_found, "
            "outside_province, campaign_day_in_past, appointment_closed); the person is told by a 'change' "
            "message",
            "citizen",
            params=("person_id", "appointment_id"),
            body={"site_id": S, "date": S, "session": S},
        )
    },
    "/me/people/{person_id}/appointments/{appointment_id}/move-options": {
        "get": _op(
            "The sessions the appointment may move to: [{site_id, site_name, address, date, session, start, "
            "end, free}] (free places, the vaccine in stock, 2 weeks ahead; the appointment's ward, or "
            "?ward=CODE for another)",
            "citizen",
            params=("person_id", "appointment_id"),
        )
    },
    "/me/people/{person_id}/registrations/{registration_id}/move": {
        "post": _op(
            "Move a waiting registration to another ward's queue (any province), keeping its priority and "
            "registration time; moves_seen (the registration's moves when read) makes a resent request "
            "the same move (errors: move_same_ward, already_booked, registration_closed, ward_unknown, "
            "site_not_found); the person is told by a 'transfer' message (waits for the morning in quiet hours)",
            "citizen",
            params=("person_id", "registration_id"),
            body={"ward_code": S, "site_id": S, "moves_seen": N},
        )
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Immunization platform API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "immunize_session"},
                "csrfHeader": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
                "gatewaySecret": {"type": "apiKey", "in": "header", "name": "X-Gateway-Secret"},
            },
            "responses": {
                "Error": {
                    "description": (
                        "An error: `error` is its stable code (e.g. dose_too_soon, lot_not_at_site, ward_unknown),"
                        " `message` the sentence in the caller's language with the values, `detail` the English"
                        " detail; the status follows the error's kind (invalid 400, forbidden 403, not_found"
                        " 404, conflict 409, unavailable 503)"
                    ),
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {"error": S, "message": S, "detail": S},
                            }
                        }
                    },
                }
            },
        },
    }


ROLE_ORDER = ("public", "any", "citizen", "staff", "province", "response", "auditor")


def operations_by_role() -> list[tuple[str, list[dict[str, Any]]]]:
    """The document's operations for the readable page: grouped by who may call them, in path order."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, item in PATHS.items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            fields = body.get("schema", {}).get("properties", {})
            groups.setdefault(str(operation.get("x-role", "public")), []).append(
                {
                    "method": method.upper(),
                    "path": "/api/v1" + path,
                    "summary": operation.get("summary", ""),
                    "parameters": [p["name"] for p in operation.get("parameters", [])],
                    "fields": [(name, spec.get("type", "object")) for name, spec in fields.items()],
                    "csrf": "security" in operation,
                    "statuses": sorted(operation.get("responses", {})),
                }
            )
    order = {role: n for n, role in enumerate(ROLE_ORDER)}
    return sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))

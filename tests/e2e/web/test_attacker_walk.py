"""Every route, walked over `app.url_map` as an attacker would, against a world with real records:

- anonymous: every route is on the explicit public list below, or refuses with 401, 403 or a redirect to
  sign-in (with real ids in the URL, so no view answers "not found" before checking who asks);
- a citizen of another household: every citizen route naming a person (their book, certificate files,
  dose proofs, reactions, declarations, appointments and moves) refuses someone else's person, their
  dependant, their appointment and their dose with 403/404, shows none of their data and writes nothing;
- site staff of another site and a province officer of another province: every route naming a site or an
  appointment refuses with 403/404 and writes nothing; the officer cannot open or erase a person of
  another province.

A new route is walked automatically; the public list must name every route declared public.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ledger.application import Ledger
from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services.campaign import CampaignService
from tests.e2e.web.conftest import make_app, sign_in_as
from web.roles import ACCESS_ATTRIBUTE, Role

SYSTEM = Actor("attack-test", LedgerRole.ADMIN)

# Every route anyone may call, signed in or not (decided one by one: pages and files for the public,
# sign-in steps, the verifier, trust material, the transparency log, and the SMS gateway's inbound
# route, which checks its own shared secret).
PUBLIC = {
    "static",
    "public.home",
    "public.health",
    "public.favicon",
    "public.language",
    "public.statistics",
    "public.verify",
    "public.trust_list",
    "public.trust_anchor",
    "public.revocation_list",
    "places.province",
    "apidocs.page",
    "auth.signin",
    "auth.citizen_phone",
    "auth.citizen_code",
    "auth.staff",
    "auth.signout",
    "transparency.checkpoint",
    "transparency.inclusion",
    "transparency.consistency",
    "api.openapi_document",
    "api.session_info",
    "api.otp_request",
    "api.otp_verify",
    "api.staff_signin",
    "api.signout",
    "api.statistics",
    "api.verify",
    "campaign_api.sms_inbound",
    "campaign_api.priority_list",
    "campaign.priority_page",
}

# Staff routes naming a person that site staff may open for anyone (the desk serves walk-ins from any
# ward; each read is logged for the auditor, writes are held to the site by the ledger's rules).
DESK_ANY_PERSON = {"staff.", "api.desk_"}

VICTIM_NAME = "Hoàng Thị Bị Hại"
CHILD_NAME = "Hoàng Bé Con"


def roles_of(app: Flask, endpoint: str) -> frozenset[Role]:
    if endpoint == "static":
        return frozenset({Role.PUBLIC})
    return frozenset(getattr(app.view_functions[endpoint], ACCESS_ATTRIBUTE, frozenset()))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("attack")
    ledger = Ledger("memory://", key_dir=base / "lk")
    app = make_app(base, ledger, WTF_CSRF_ENABLED=False, SMS_INBOUND_SECRET="gateway-shared-secret")
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    other_ward = next(w for w in ledger.reference.wards.values() if w.province_code != "01")
    sessions = [Session("morning", "07:30", "11:30", 5)]
    here = service.add_site(
        code="VN-01-0009",
        name="Trạm Y tế A",
        ward_code="00001",
        address="1 A",
        sessions=sessions,
        actor=SYSTEM,
    )
    there = service.add_site(
        code="VN-XX-0009", name="Trạm Y tế B", ward_code=other_ward.code, address="1 B", sessions=sessions,
        actor=SYSTEM,
    )  # fmt: skip
    lot = ledger.receive_lot(
        product="BBIBP-CorV", lot_number="AT-1", expiry=ledger.today() + timedelta(days=365),
        site_id=UUID(here.site_id), quantity=20, actor=SYSTEM, idempotency_key="at-lot",
    )  # fmt: skip

    def person(n: int, name: str, phone: str | None, guardian: UUID | None = None) -> UUID:
        return ledger.register_person(
            national_id=None if guardian else f"0010851{n:05d}", full_name=name, date_of_birth="1961-02-03",
            sex="female", phone=phone, ward_code="00001", priority_group="HEALTH_WORKER", actor=SYSTEM,
            idempotency_key=f"at-p{n}", guardian_id=guardian, relationship="child" if guardian else None,
        )  # fmt: skip

    victim = person(1, VICTIM_NAME, "0912340100")
    child = person(2, CHILD_NAME, None, guardian=victim)
    attacker = person(3, "Lê Văn Tò Mò", "0912340200")
    for who in (victim, attacker):
        service.register(person=who, group="HEALTH_WORKER", actor=SYSTEM)
    service.plan_day(here.site_id, ledger.today(), actor=SYSTEM)
    [appointment] = [a for a in service.my_appointments(victim) if a.status == "booked"]
    dose = ledger.record_dose(
        person_id=victim, dose_number=1, product="BBIBP-CorV", lot_id=lot, administered_on=ledger.today(),
        site_id=UUID(here.site_id), actor=SYSTEM, idempotency_key="at-dose",
    )  # fmt: skip
    return {
        "app": app,
        "ledger": ledger,
        "victim": victim,
        "child": child,
        "dose": dose.dose_id,
        "lot": lot,
        "appointment": appointment.appointment_id,
        "registration": appointment.registration_id,
        "here": here.site_id,
        "there": there.site_id,
        "other_province": other_ward.province_code,
        "day": ledger.today().isoformat(),
    }


def requests_for(app: Flask, values: dict[str, str], wanted: Any) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) of every route `wanted(rule)` picks, its arguments filled from `values`."""
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if not wanted(rule):
                continue
            url = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
            assert url is not None
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url[1]))
    return found


def call(client: FlaskClient, method: str, url: str, fields: dict[str, str] | None = None) -> Any:
    """The request as an attacker sends it: with plausible fields (a real lot, today), so no view can
    refuse for a missing field before it checks who asks."""
    fields = fields or {}
    body = {"json": fields} if url.startswith("/api/") and method == "POST" else {"data": fields}
    return client.open(url, method=method, **body)


def head(world: dict[str, Any]) -> int:
    return int(world["ledger"].recorder.max_notification_id() or 0)


def values(world: dict[str, Any], person: UUID) -> dict[str, str]:
    return {
        "person_id": str(person),
        "dose_id": str(world["dose"]),
        "appointment_id": str(world["appointment"]),
        "registration_id": str(world["registration"]),
        "site_id": str(world["here"]),
        "reaction_id": str(UUID(int=9)),
        "day": world["day"],
        "fmt": "png",
        "filename": "style.css",
        "code": "01",
        "ward_code": "00001",
    }


def test_the_public_list_names_exactly_the_routes_declared_public(world: dict[str, Any]) -> None:
    app: Flask = world["app"]
    declared = {r.endpoint for r in app.url_map.iter_rules() if Role.PUBLIC in roles_of(app, r.endpoint)}
    assert declared == PUBLIC, "a route became public (or stopped being): decide it here"


def test_anonymous_callers_are_refused_on_every_route_not_on_the_public_list(world: dict[str, Any]) -> None:
    app: Flask = world["app"]
    client = app.test_client()
    before = head(world)
    walked = 0
    for endpoint, method, url in requests_for(
        app, values(world, world["victim"]), lambda rule: rule.endpoint not in PUBLIC
    ):
        response = call(client, method, url)
        to_signin = response.status_code == 302 and "/signin" in response.headers.get("Location", "")
        assert response.status_code in (401, 403) or to_signin, (endpoint, method, response.status_code)
        assert VICTIM_NAME not in response.get_data(as_text=True)
        walked += 1
    assert walked > 80
    assert head(world) == before


@pytest.mark.parametrize("target", ["victim", "child"])
def test_a_citizen_cannot_touch_another_households_people(world: dict[str, Any], target: str) -> None:
    app: Flask = world["app"]
    client = app.test_client()
    sign_in_as(client, "citizen", phone="0912340200")  # the attacker's own phone: a real household
    assert client.get("/me/").status_code == 200
    before = head(world)
    walked = 0
    for endpoint, method, url in requests_for(
        app,
        values(world, world[target]),
        lambda rule: Role.CITIZEN in roles_of(app, rule.endpoint) and "person_id" in rule.arguments,
    ):
        response = call(client, method, url)
        html = response.get_data(as_text=True)
        assert response.status_code in (403, 404), (endpoint, method, url, response.status_code)
        assert VICTIM_NAME not in html
        assert CHILD_NAME not in html
        walked += 1
    assert walked >= 20
    assert head(world) == before  # nothing written for anyone


@pytest.mark.parametrize("role", ["staff", "province"])
def test_staff_of_another_site_or_province_cannot_touch_this_sites_days_stock_and_appointments(
    world: dict[str, Any], role: str
) -> None:
    app: Flask = world["app"]
    client = app.test_client()
    sign_in_as(client, role, site_id=str(world["there"]), province_code=world["other_province"])
    before = head(world)
    walked = 0

    def wanted(rule: Any) -> bool:
        named = {"site_id", "appointment_id"} & set(rule.arguments)
        return bool(named) and Role(role) in roles_of(app, rule.endpoint)

    fields = {"lot_id": str(world["lot"]), "date": world["day"], "doses": "5", "capacity-morning": "9"}
    for endpoint, method, url in requests_for(app, values(world, world["victim"]), wanted):
        response = call(client, method, url, fields)
        assert response.status_code in (403, 404), (endpoint, method, url, response.status_code)
        assert VICTIM_NAME not in response.get_data(as_text=True)
        walked += 1
    assert walked >= 4
    assert head(world) == before


def test_a_province_officer_cannot_open_or_erase_a_person_of_another_province(world: dict[str, Any]) -> None:
    app: Flask = world["app"]
    client = app.test_client()
    sign_in_as(client, "province", province_code=world["other_province"])
    before = head(world)
    walked = 0

    def wanted(rule: Any) -> bool:
        return "person_id" in rule.arguments and Role.PROVINCE in roles_of(app, rule.endpoint)

    for endpoint, method, url in requests_for(app, values(world, world["victim"]), wanted):
        response = client.open(url, method=method, data={"confirm": "erase", "reason": "attack"})
        assert response.status_code in (403, 404), (endpoint, method, url, response.status_code)
        assert VICTIM_NAME not in response.get_data(as_text=True)
        walked += 1
    assert walked >= 2
    assert head(world) == before
    assert world["ledger"].person_record(world["victim"]).full_name == VICTIM_NAME  # not erased

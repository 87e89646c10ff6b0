"""Every route, every role: the allowed/denied matrix, walked over `app.url_map` (nothing may be missed)."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from tests.e2e.web.conftest import ROLES, sign_in_as

PUBLIC = set(ROLES)
SIGNED_IN = set(ROLES) - {"anonymous"}

# The contract, written out by hand: endpoint -> roles allowed. A new endpoint must be added here.
EXPECTED: dict[str, set[str]] = {
    "static": PUBLIC,
    "public.home": PUBLIC,
    "public.health": PUBLIC,
    "public.favicon": PUBLIC,
    "public.language": PUBLIC,
    "public.statistics": PUBLIC,
    "public.verify": PUBLIC,
    "public.trust_list": PUBLIC,
    "public.trust_anchor": PUBLIC,
    "public.revocation_list": PUBLIC,
    "places.province": PUBLIC,
    "apidocs.page": PUBLIC,
    "auth.signin": PUBLIC,
    "auth.citizen_phone": PUBLIC,
    "auth.citizen_code": PUBLIC,
    "auth.staff": PUBLIC,
    "auth.signout": PUBLIC,
    "citizen.home": {"citizen"},
    "citizen.register": {"citizen"},
    "citizen.add_dependant": {"citizen"},
    "citizen.person": {"citizen"},
    "citizen.reaction": {"citizen"},
    "citizen.declaration": {"citizen"},
    "citizen.certificate": {"citizen"},
    "citizen.certificate_file": {"citizen"},
    "citizen.dose_proof": {"citizen"},
    "staff.desk": {"staff"},
    "staff.find": {"staff"},
    "staff.register": {"staff"},
    "staff.person": {"staff"},
    "staff.record_dose": {"staff"},
    "staff.record_reaction": {"staff"},
    "staff.correct": {"staff"},
    "province.overview": {"province"},
    "operations.dashboard": {"response"},
    "operations.follow_up": {"response"},
    "audit.overview": {"auditor"},
    "audit.verify": {"auditor"},
    "audit.export": {"auditor"},
    "transparency.checkpoint": PUBLIC,
    "transparency.inclusion": PUBLIC,
    "transparency.consistency": PUBLIC,
    "api.openapi_document": PUBLIC,
    "api.session_info": PUBLIC,
    "api.otp_request": PUBLIC,
    "api.otp_verify": PUBLIC,
    "api.staff_signin": PUBLIC,
    "api.signout": PUBLIC,
    "api.statistics": PUBLIC,
    "api.verify": PUBLIC,
    "api.family": {"citizen"},
    "api.add_dependant": {"citizen"},
    "api.health_book": {"citizen"},
    "api.citizen_reaction": {"citizen"},
    "api.declaration": {"citizen"},
    "api.certificate": {"citizen"},
    "api.find": {"staff"},
    "api.desk_register": {"staff"},
    "api.lots": {"staff"},
    "api.desk_person": {"staff"},
    "api.desk_dose": {"staff"},
    "api.desk_reaction": {"staff"},
    "api.desk_correction": {"staff"},
    "api.province": {"province"},
    "privacy.find": {"province"},
    "privacy.reads": {"auditor"},
    "staff.confirm_phone": {"staff"},
    "citizen.issue_certificate": {"citizen"},
    "api.issue_certificate": {"citizen"},
    "staff.confirm_national_id": {"staff"},
    "staff.join_online_registration": {"staff"},
    "api.desk_phone_confirm": {"staff"},
    "api.desk_id_card_confirm": {"staff"},
    "api.desk_join": {"staff"},
    "privacy.person": {"province"},
    "privacy.erase": {"province"},
    "privacy.api_erase": {"province"},
    "api.operations": {"response"},
    "api.audit": {"auditor"},
    # campaign operations (issue 13); the SMS gateway's inbound route checks its own shared secret
    "campaign_api.sms_inbound": PUBLIC,
    "campaign_api.sites": {"staff", "province", "response"},
    "campaign_api.add_site": {"province"},
    "campaign_api.edit_site": {"province"},
    "campaign_api.site_status": {"province"},
    "campaign_api.registrations": {"staff", "province"},
    "campaign_api.plan": {"staff", "province"},
    "campaign_api.day_list": {"staff", "province"},
    "campaign_api.check_in": {"staff"},
    "campaign_api.staff_transfer": {"staff", "province"},
    "campaign_api.staff_withdraw": {"staff", "province"},
    "campaign_api.no_show": {"staff"},
    "campaign_api.came_late": {"staff"},
    "campaign_api.record_dose": {"staff"},
    "campaign_api.stock": {"staff", "province", "response"},
    "stock_api.lots": {"staff", "province"},
    "stock_api.receive": {"province"},
    "stock_api.allocate": {"province"},
    "stock_api.return_vials": {"staff", "province"},
    "stock_api.close_day": {"staff", "province"},
    "stock.page": {"staff", "province"},
    "stock.receive_page": {"province"},
    "stock.allocate_page": {"province"},
    "stock.return_page": {"staff", "province"},
    "campaign_api.priority_list": PUBLIC,
    "campaign_api.register": {"citizen"},
    "campaign_api.my_appointments": {"citizen"},
    "campaign_api.my_cancel": {"citizen"},
    "campaign_api.my_move": {"citizen"},
    "campaign_api.my_move_options": {"citizen"},
    "campaign_api.my_transfer": {"citizen"},
    "campaign.my_transfer_page": {"citizen"},
    "campaign.my_move_page": {"citizen"},
    "campaign.today_close": {"staff"},
    "campaign.province_capacity": {"province"},
    "campaign.today_page": {"staff"},
    "campaign.today_check_in": {"staff"},
    "sites.add_page": {"province"},
    "sites.edit_page": {"province"},
    "sites.status_page": {"province"},
    "campaign.today_no_show": {"staff"},
    "campaign.today_came_late": {"staff"},
    "campaign.today_dose": {"staff"},
    "campaign.priority_page": PUBLIC,
    "campaign.my_vaccination": {"citizen"},
    "campaign.my_register": {"citizen"},
    "campaign.my_cancel_page": {"citizen"},
    "campaign.my_cancel_confirm": {"citizen"},
    "campaign.province_page": {"province"},
    "campaign.province_plan": {"province"},
}

ARGUMENTS = {
    "person_id": str(uuid.UUID(int=7)),
    "dose_id": str(uuid.UUID(int=8)),
    "fmt": "png",
    "filename": "style.css",
    "code": "01",
    "reaction_id": str(uuid.UUID(int=9)),
    "site_id": str(uuid.UUID(int=9)),
    "appointment_id": str(uuid.UUID(int=11)),
    "registration_id": str(uuid.UUID(int=12)),
    "day": "2021-08-02",
    "ward_code": "00001",
}


def test_the_matrix_names_every_endpoint_of_the_app(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(EXPECTED), "add new endpoints to EXPECTED (and decide who may call them)"


def _requests(app: Flask) -> list[tuple[str, str, str]]:
    found = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            url = rule.build({name: ARGUMENTS[name] for name in rule.arguments}, append_unknown=False)
            assert url is not None
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((rule.endpoint, method, url[1]))
    return found


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_the_matrix_says(tmp_path: object, role: str) -> None:
    from pathlib import Path

    from ledger.application import Ledger
    from tests.e2e.web.conftest import make_app

    base = Path(str(tmp_path))
    app = make_app(base, Ledger("memory://", key_dir=base / "lk"), WTF_CSRF_ENABLED=False)
    client = app.test_client()
    checked = 0
    for endpoint, method, url in _requests(app):
        sign_in_as(client, role, site_id=str(uuid.UUID(int=9)))
        kwargs = {"json": {}} if url.startswith("/api/") and method == "POST" else {"data": {}}
        response = client.open(url, method=method, **kwargs)
        allowed = role in EXPECTED[endpoint]
        refused = response.headers.get("X-Access-Denied") == "1"
        sent_to_signin = response.status_code == 302 and "/signin" in response.headers.get("Location", "")
        if allowed:
            assert not refused, (endpoint, method, role, response.status_code)
            assert response.status_code < 500 or response.status_code == 503, (endpoint, method, role)
        elif role == "anonymous":
            assert refused, (endpoint, method, role)
            assert response.status_code == 401 or sent_to_signin, (endpoint, method, response.status_code)
        else:
            assert refused, (endpoint, method, role)
            assert response.status_code == 403, (endpoint, method, role, response.status_code)
        response.close()
        checked += 1
    assert checked >= len(EXPECTED)


def test_a_view_without_a_declared_role_is_refused_to_everyone(tmp_path: object) -> None:
    from pathlib import Path

    from ledger.application import Ledger
    from tests.e2e.web.conftest import make_app

    base = Path(str(tmp_path))
    app = make_app(base, Ledger("memory://", key_dir=base / "lk"))
    app.add_url_rule("/forgotten", "forgotten", lambda: "secret")
    client = app.test_client()
    for role in ROLES:
        sign_in_as(client, role)
        response = client.get("/forgotten")
        assert response.status_code in (302, 401, 403)
        assert b"secret" not in response.data

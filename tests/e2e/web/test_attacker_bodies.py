"""The attacker's walk, second part: what is sent, not who sends it.

- Every route that takes a body (every POST, PUT, PATCH or DELETE of the URL map, walked automatically),
  as each role and anonymous, with malformed, oversized, deeply nested, mistyped and garbage bodies and a
  broken picture upload: never a 5xx or a traceback, nothing written. Before, a JSON body nested a few
  thousand levels deep (4 MiB of "[" is two million) escaped `get_json(silent=True)` as a RecursionError:
  a 500 on the public sign-in, one-time-code and verify routes (web.json_bodies bounds the depth).
- A replayed idempotency key with another body, or by another staff account with the same body, is
  refused with one sentence (409) and writes nothing; it never returns the first caller's answer.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.e2e.web.conftest import sign_in_as
from tests.e2e.web.test_attacker_walk import head, requests_for, values, world  # noqa: F401
from tests.e2e.web.test_citizen import sign_in_with_code
from web.json_bodies import MAX_DEPTH, too_deep

JSON = "application/json"
BODIES: dict[str, tuple[str, bytes]] = {
    "nested_arrays": (JSON, b"[" * 200_000 + b"]" * 200_000),
    "nested_objects": (JSON, b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    "cut_short": (JSON, b'{"full_name": '),
    "not_an_object": (JSON, b"[1, 2, 3]"),
    "mistyped": (
        JSON,
        b'{"full_name": 5, "date_of_birth": [], "sex": {}, "ward_code": null, "national_id": 1e309,'
        b' "lot_id": [1], "person_id": {"a": 1}, "dose_number": "x", "idempotency_key": 7, "day": 12,'
        b' "phone": 1, "reason": [], "sessions": "x", "capacity": -1e308, "doses": 1e400, "quantity": 1e20}',
    ),
    "long_text": (JSON, b'{"full_name": "' + b"A" * 3_000_000 + b'", "hc1": "HC1:' + b"A" * 500_000 + b'"}'),
    "over_the_limit": (JSON, b'{"a": "' + b"A" * 5_000_000 + b'"}'),
    "form_garbage": (
        "application/x-www-form-urlencoded",
        b"a=%ZZ&x=" + b"%00" * 1000 + b"&full_name=\xff\xfe",
    ),
    "broken_picture": (
        "multipart/form-data; boundary=zzz",
        b'--zzz\r\nContent-Disposition: form-data; name="picture"; filename="a.png"\r\n\r\n'
        b"\x89PNG\r\n\x1a\nGARBAGE\r\n--zzz--\r\n",
    ),
}
ROLES = ["anonymous", "citizen", "staff", "province", "response", "auditor"]


def client_as(world: dict[str, Any], role: str) -> FlaskClient:  # noqa: F811
    app: Flask = world["app"]
    client = app.test_client()
    if role == "citizen":
        sign_in_with_code(client, app, "0912340200")  # the attacker's own phone
    elif role != "anonymous":
        sign_in_as(client, role, site_id=str(world["here"]), province_code="01")
    return client


@pytest.mark.parametrize("role", ROLES)
def test_no_body_on_any_route_gets_a_5xx_or_a_traceback_or_writes(world: dict[str, Any], role: str) -> None:  # noqa: F811
    app: Flask = world["app"]
    client = client_as(world, role)
    routes = requests_for(
        app,
        values(world, world["victim"]),
        lambda r: bool((r.methods or set()) & {"POST", "PUT", "PATCH", "DELETE"}),
    )
    walked = 0
    for endpoint, method, url in routes:
        if method == "GET":
            continue
        for name, (content_type, data) in BODIES.items():
            before = head(world)
            response = client.open(
                url, method=method, data=data, headers={"Content-Type": content_type, "Accept-Language": "en"}
            )
            text = response.get_data(as_text=True)
            # A 503 without keys is this test world's (no signing keys for /verify), never a crash.
            crashed = response.status_code >= 500 and "signing keys" not in text
            assert not crashed, (role, endpoint, name, response.status_code, text[:200])
            assert "Traceback" not in text, (role, endpoint, name)
            assert head(world) == before, (role, endpoint, name, "wrote")
            walked += 1
    assert walked > 100


def test_the_depth_check_counts_nesting_not_brackets_in_text() -> None:
    assert too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert not too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    # Brackets inside strings (escaped quotes too) are text, not nesting.
    assert not too_deep(b'{"a": "' + b"[{" * 500 + b'\\"[[[", "b": [[1]]}')


def test_the_public_sign_in_answers_a_nested_body_with_one_sentence(world: dict[str, Any]) -> None:  # noqa: F811
    client = world["app"].test_client()
    response = client.post(
        "/api/v1/auth/otp",
        data=b"[" * 100_000 + b"]" * 100_000,
        headers={"Content-Type": JSON, "Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["detail"]
    too_big = client.post(
        "/api/v1/auth/otp", data=b'{"a": "' + b"A" * 5_000_000 + b'"}', headers={"Content-Type": JSON}
    )
    assert too_big.status_code == 413  # bounded in size before anything is read


def test_a_replayed_key_with_another_body_or_by_another_account_is_refused_and_writes_nothing(
    world: dict[str, Any],  # noqa: F811
) -> None:
    app: Flask = world["app"]
    nurse = client_as(world, "staff")
    url = f"/api/v1/desk/people/{world['child']}/doses"
    first = {"lot_id": str(world["lot"]), "given_on": world["day"], "idempotency_key": "replayed-key-1"}
    done = nurse.post(url, json=first, headers={"Accept-Language": "en"})
    assert done.status_code == 200, done.get_data(as_text=True)
    assert nurse.post(url, json=first).get_json() == done.get_json()  # the same request: the same answer
    before = head(world)
    other_person = nurse.post(
        f"/api/v1/desk/people/{world['victim']}/doses", json=first, headers={"Accept-Language": "en"}
    )
    assert other_person.status_code == 409
    assert other_person.get_json()["error"] == "idempotency_key_reused"
    assert other_person.get_json()["message"]  # the catalog's one sentence
    other_day = nurse.post(url, json={**first, "dose_number": 2}, headers={"Accept-Language": "en"})
    assert other_day.status_code == 409
    # Another staff account replaying the very same request gets a refusal, not the first answer.
    elsewhere = app.test_client()
    sign_in_as(elsewhere, "staff", site_id=str(world["here"]), phone="0912999888")
    from web.roles import SESSION_VERSION, Principal, Role, session_account

    accounts = app.extensions["immunize"].accounts
    version = accounts.session_version(session_account(Principal(Role.STAFF, "another-nurse")))
    with elsewhere.session_transaction() as session:
        session["principal"] = {**session["principal"], "subject": "another-nurse"}
        session[SESSION_VERSION] = version
    replay = elsewhere.post(url, json=first, headers={"Accept-Language": "en"})
    assert replay.status_code in (403, 409), replay.get_data(as_text=True)
    assert replay.get_json().get("dose_id") is None
    assert head(world) == before

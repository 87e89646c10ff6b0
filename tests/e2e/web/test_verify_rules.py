"""The /verify page applies the verifier's acceptance with Viet Nam's shipped CertLogic rules and value
sets (the rule dcc-verify applies), in the page's language: our own certificate is green, a 1/2 is
yellow, and an authentic certificate with a vaccine outside the value sets is not accepted."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from credentials import cbor
from credentials.cose import sign1
from credentials.hc1 import encode_hc1
from keys.development import ensure_development_keys
from keys.settings import passphrase_from_environment
from keys.store import KeyStore
from ledger.application import Ledger
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.people import listed
from tests.unit.verifier.pki import claims, sample_dcc


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> tuple[Flask, Ledger, Path]:
    base = tmp_path_factory.mktemp("verify-rules")
    ensure_development_keys(base / "keys", datetime.now(UTC), warn=lambda line: None)
    ledger = Ledger("memory://", key_dir=base / "lk")
    seed_demo(ledger, people=40, seed=8)
    return make_app(base, ledger, WTF_CSRF_ENABLED=False), ledger, base


def signed_by_our_key(base: Path, dcc: dict[str, Any]) -> str:
    """An authentic HC1 (our own document signer) carrying any payload, as a foreign-shaped issuer would."""
    now = datetime.now(UTC)
    store = KeyStore(base / "keys")
    signer = store.current_signer(passphrase_from_environment(development=True), now)
    payload = cbor.dumps(claims(dcc, issued_at=now, expires_at=now.replace(year=now.year + 1)))
    return encode_hc1(sign1(payload, signer))


def page(client: FlaskClient, hc1: str, lang: str) -> str:
    return client.post("/verify", data={"hc1": hc1}, headers={"Accept-Language": lang}).get_data(as_text=True)


def test_our_own_complete_certificate_is_green_with_every_rule_passed(
    app: tuple[Flask, Ledger, Path],
) -> None:
    flask_app, ledger, _base = app
    holder = next(
        r
        for r in listed(ledger, limit=100)
        if r.phone and len(r.doses) >= 2 and not r.guardian_id and r.doses[-1].dose_number >= 2
    )
    client = flask_app.test_client()
    sign_in_as(client, "citizen", phone=holder.phone)
    issued = client.post(f"/api/v1/me/people/{holder.person_id}/certificate").get_json()
    public = flask_app.test_client()
    verdict = public.post("/api/v1/verify", json={"hc1": issued["hc1"]}).get_json()
    assert verdict["valid"] is True
    assert verdict["accepted"] is True
    assert verdict["status"] == issued["status"] == "green"
    assert verdict["rules"]
    assert all(rule["status"] == "passed" for rule in verdict["rules"])
    english = page(public, issued["hc1"], "en")
    assert "Valid certificate" in english
    assert "Authentic — accepted: green card under the rules of VN" in english
    vietnamese = page(public, issued["hc1"], "vi")
    assert "thẻ xanh theo quy tắc của VN" in vietnamese
    assert "Thẻ xanh" in vietnamese
    assert ": đạt (" in vietnamese


def test_a_first_dose_of_two_is_yellow_and_says_which_green_rule_it_missed(
    app: tuple[Flask, Ledger, Path],
) -> None:
    flask_app, _ledger, base = app
    hc1 = signed_by_our_key(base, sample_dcc(dn=1, sd=2, dt="2021-08-01"))
    public = flask_app.test_client()
    verdict = public.post("/api/v1/verify", json={"hc1": hc1}).get_json()
    assert verdict["accepted"] is True
    assert verdict["status"] == "yellow"
    assert verdict["dose"] == "1/2"
    english = page(public, hc1, "en")
    assert "Authentic — accepted: yellow card under the rules of VN" in english
    assert "Not a green card: rule VR-VN-0101" in english  # which green rule it missed, as dcc-verify says
    assert "Yellow" in english


def test_an_authentic_certificate_with_a_vaccine_outside_the_value_sets_is_not_accepted(
    app: tuple[Flask, Ledger, Path],
) -> None:
    flask_app, _ledger, base = app
    dcc = sample_dcc(dn=2, sd=2, dt="2021-08-01", ci="URN:UVCI:01:FR:FOREIGN0001#X")
    dcc["v"][0].update({"mp": "X-UNKNOWN-VACCINE-9", "co": "FR", "is": "A foreign ministry"})
    hc1 = signed_by_our_key(base, dcc)
    public = flask_app.test_client()
    verdict = public.post("/api/v1/verify", json={"hc1": hc1}, headers={"Accept-Language": "en"}).get_json()
    assert verdict["valid"] is True  # authentic: the signature and trust list are fine
    assert verdict["accepted"] is False
    assert verdict["status"] is None
    failed = [rule for rule in verdict["rules"] if rule["status"] == "failed"]
    assert [rule["description"] for rule in failed] == [
        "The vaccine product must be one of the EU value set (vaccines-covid-19-names)."
    ]
    english = page(public, hc1, "en")
    assert "Authentic certificate, not accepted" in english
    assert f"Authentic — not accepted: rule {failed[0]['rule']}" in english
    assert "Valid certificate" not in english
    assert 'class="badge green"' not in english
    vietnamese = page(public, hc1, "vi")
    assert f"Xác thực — không được chấp nhận: quy tắc {failed[0]['rule']}" in vietnamese
    assert ": không đạt (" in vietnamese

"""Issue 13: erasure is held to the officer's province in the ledger command, like every other
province limit (officers act only in their province; an officer without one erases nobody).

Through the ledger, the service, the CLI, the API and the page: each refusal writes nothing.
"""

from __future__ import annotations

import base64
import secrets
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from ledger.application import Ledger
from ledger.errors import OutsideProvince
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from services import privacy
from services.privacy import NotInProvince, ProvinceOfficer
from tests.e2e.web.conftest import make_app, sign_in_as

NAME = "Trần Văn Xoá"


def register(ledger: Ledger, ward: str = "00001", national_id: str = "001085000123") -> UUID:
    """A person of Hà Nội (ward 00001 is in province 01)."""
    return ledger.register_person(
        national_id=national_id,
        full_name=NAME,
        date_of_birth="1985-04-05",
        sex="male",
        phone="0912000333",
        ward_code=ward,
        priority_group="OTHER",
        actor=Actor("test", LedgerRole.ADMIN),
        idempotency_key=f"register-{national_id}",
    )


def officer(province: str | None) -> Actor:
    return Actor("officer.an", LedgerRole.PROVINCE_OFFICER, province_code=province)


def erased(ledger: Ledger, person_id: UUID) -> bool:
    return ledger.person_record(person_id).erased


def test_the_ledger_refuses_an_officer_of_another_province_or_of_none(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "keys")
    person = register(ledger)
    for actor, key in ((officer("79"), "e-79"), (officer(None), "e-none"), (officer(""), "e-empty")):
        with pytest.raises(OutsideProvince) as refused:
            ledger.erase_person(person_id=person, reason="asked", actor=actor, idempotency_key=key)
        assert refused.value.code == "outside_province"
        assert not erased(ledger, person)
        assert ledger.person_record(person).full_name == NAME
    ledger.erase_person(person_id=person, reason="asked", actor=officer("01"), idempotency_key="e-01")
    assert erased(ledger, person)


def test_an_administrator_still_erases_in_any_province(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "keys")
    person = register(ledger, ward="26734", national_id="079085000123")  # Hồ Chí Minh City
    ledger.erase_person(
        person_id=person, reason="asked", actor=Actor("root", LedgerRole.ADMIN), idempotency_key="e"
    )
    assert erased(ledger, person)


def test_the_service_refuses_and_the_ledger_holds_without_the_services_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "keys")
    person = register(ledger)
    with pytest.raises(NotInProvince):
        privacy.erase(ledger, str(person), ProvinceOfficer("officer.hcm", "79"), reason="asked")
    # The service's own look-up answers "not found" (no probing); without it, the ledger still refuses.
    monkeypatch.setattr(
        privacy, "person_in_province", lambda ledger, pid, who: ledger.person_record(UUID(pid))
    )
    with pytest.raises(OutsideProvince):
        privacy.erase(ledger, str(person), ProvinceOfficer("officer.hcm", "79"), reason="asked")
    assert not erased(ledger, person)
    privacy.erase(ledger, str(person), ProvinceOfficer("officer.hn", "01"), reason="asked")
    assert erased(ledger, person)


def test_the_cli_needs_the_officers_province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.main import _register
    from cli.main import immunize as group

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    monkeypatch.delenv("IMMUNIZE_ACTOR_PROVINCE", raising=False)
    ledger = Ledger(url, key_dir=tmp_path / "keys")
    person = register(ledger)
    _register()
    runner = CliRunner()
    base = ["person", "erase", str(person), "--reason", "asked", "--role", "province_officer", "--yes"]
    for extra in ([], ["--actor-province", "79"]):
        refused = runner.invoke(group, [*base, *extra])
        assert refused.exit_code == 5, refused.output  # forbidden
        assert "tỉnh 01" in refused.output  # the catalog sentence, in Vietnamese by default
        assert not Ledger(url, key_dir=tmp_path / "keys").person_record(person).erased
    done = runner.invoke(group, [*base, "--actor-province", "01"])
    assert done.exit_code == 0, done.output
    assert Ledger(url, key_dir=tmp_path / "keys").person_record(person).erased


def test_the_api_erases_only_in_the_officers_province(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "keys")
    person = register(ledger)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    url = f"/api/v1/province/people/{person}/erase"
    body = {"reason": "request 13/2026", "confirm": "erase"}
    elsewhere = app.test_client()
    sign_in_as(elsewhere, "province", province_code="79")
    assert elsewhere.post(url, json=body).status_code == 404
    nowhere = app.test_client()
    sign_in_as(nowhere, "province", province_code="")
    assert nowhere.post(url, json=body).status_code == 404
    citizen = app.test_client()
    sign_in_as(citizen, "citizen")
    assert citizen.post(url, json=body).status_code == 403
    mine = app.test_client()
    sign_in_as(mine, "province", province_code="01")
    unconfirmed = mine.post(url, json={"reason": "x"}, headers={"Accept-Language": "en"})
    assert unconfirmed.status_code == 400
    assert unconfirmed.get_json()["error"] == "erase_confirm"
    no_reason = mine.post(url, json={"confirm": "erase", "reason": " "})
    assert no_reason.status_code == 400
    assert not erased(ledger, person)
    done = mine.post(url, json=body)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json() == {"person_id": str(person), "erased": True}
    assert erased(ledger, person)
    erasure = next(e for e in ledger.events.get(person) if type(e).__name__ == "Erased")
    assert erasure.actor.province_code == "01"
    assert erasure.reason == "request 13/2026"


def test_the_page_refuses_another_provinces_officer_and_writes_nothing(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "keys")
    person = register(ledger)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    elsewhere = app.test_client()
    sign_in_as(elsewhere, "province", province_code="79")
    form = {"confirm": "erase", "reason": "request"}
    assert elsewhere.post(f"/province/people/{person}/erase", data=form).status_code == 404
    assert not erased(ledger, person)
    mine = app.test_client()
    sign_in_as(mine, "province", province_code="01")
    assert mine.post(f"/province/people/{person}/erase", data=form).status_code == 302
    assert erased(ledger, person)

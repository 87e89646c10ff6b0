"""Issue 12, item 6: an erasure in one process reaches every running process within seconds.

The review erased a person from another process; the running server kept showing their name,
national ID and date of birth, because its key cache was never told. Here the running server is a
real web app in this process, the eraser is the real `immunize person erase` in a subprocess.
"""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from tests.e2e.web.conftest import make_app, sign_in_as

NAME = "Nguyễn Thị Xoá"


def register(ledger: Ledger) -> UUID:
    return ledger.register_person(
        national_id="079123456789",
        full_name=NAME,
        date_of_birth="1980-04-05",
        sex="female",
        phone="0912000111",
        ward_code="00001",
        priority_group="OTHER",
        actor=Actor("test", LedgerRole.ADMIN),
        idempotency_key="register-xoa",
    )


def immunize() -> str:
    return str(Path(sys.executable).with_name("immunize"))


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_erasure_in_another_process_reaches_the_running_server_within_seconds(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'ledger.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    )
    master = base64.b64encode(secrets.token_bytes(32)).decode()
    monkeypatch.setenv("IMMUNIZE_MASTER_KEY", master)
    ledger = Ledger(url, key_dir=tmp_path / "keys")
    person_id = register(ledger)
    app = make_app(tmp_path, ledger, IMMUNIZE_DATABASE_URL=url)
    staff = app.test_client()
    sign_in_as(staff, "province", province_code="01")
    page = staff.get(f"/province/people/{person_id}").get_data(as_text=True)
    assert NAME in page  # the server has the key in its cache now
    assert "079123456789" in page

    env = {**os.environ, "IMMUNIZE_DATABASE_URL": url, "IMMUNIZE_MASTER_KEY": master}
    erased = subprocess.run(
        [immunize(), "person", "erase", str(person_id), "--reason", "the person asked (test)", "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert erased.returncode == 0, erased.stderr
    deadline = time.monotonic() + 15  # "within seconds": the cache rechecks every 2 s
    while True:
        page = staff.get(f"/province/people/{person_id}").get_data(as_text=True)
        if NAME not in page:
            break
        assert time.monotonic() < deadline, "the running server still shows the erased person"
        time.sleep(0.25)
    assert "079123456789" not in page
    assert "1980-04-05" not in page
    assert "05/04/1980" not in page


def test_after_erasure_the_wrapped_key_is_not_left_in_the_sqlite_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ledger.db"
    monkeypatch.setenv("IMMUNIZE_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    ledger = Ledger(f"sqlite:///{path}", key_dir=tmp_path / "keys")
    person_id = register(ledger)
    wrapped = ledger.keys.table.load(person_id)
    assert wrapped is not None
    ledger.erase_person(
        person_id=person_id,
        reason="the person asked (test)",
        actor=Actor("officer", LedgerRole.PROVINCE_OFFICER, province_code="01"),
        idempotency_key="erase-xoa",
    )
    on_disk = b"".join(
        p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("ledger.db") and p.is_file()
    )
    assert wrapped not in on_disk


def test_person_erase_asks_for_confirmation_and_records_who_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cli.main import _register
    from cli.main import immunize as group

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
    ledger = Ledger(url, key_dir=tmp_path / "keys")
    person_id = register(ledger)
    _register()
    runner = CliRunner()
    refused = runner.invoke(
        group, ["person", "erase", str(person_id), "--reason", "asked", "--actor", "officer.an"], input="no\n"
    )
    assert refused.exit_code == 1
    assert ledger.person_record(person_id).full_name == NAME
    done = runner.invoke(
        group,
        ["person", "erase", str(person_id), "--reason", "the person asked", "--actor", "officer.an"],
        input=f"{person_id}\n",
    )
    assert done.exit_code == 0, done.output
    assert "erased" in done.output
    fresh = Ledger(url, key_dir=tmp_path / "keys")
    record = fresh.person_record(person_id)
    assert record.erased
    erasure = next(e for e in fresh.events.get(person_id) if type(e).__name__ in ("Erased", "PersonErased"))
    assert erasure.actor.actor_id == "officer.an"
    assert erasure.reason == "the person asked"


def test_a_province_officer_erases_from_the_page_after_confirming(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "keys")
    person_id = register(ledger)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    elsewhere = app.test_client()
    sign_in_as(elsewhere, "province", province_code="79")
    assert elsewhere.get(f"/province/people/{person_id}").status_code == 404  # not their province
    officer = app.test_client()
    sign_in_as(officer, "province", province_code="01")
    found = officer.post("/province/people/find", data={"national_id": "079123456789"})
    assert found.headers["Location"].endswith(f"/province/people/{person_id}")
    unconfirmed = officer.post(
        f"/province/people/{person_id}/erase",
        data={"reason": "request 12/2026"},
        headers={"Accept-Language": "en"},
    )
    assert unconfirmed.status_code == 400
    assert "Tick the confirmation box" in unconfirmed.get_data(as_text=True)
    assert ledger.person_record(person_id).full_name == NAME
    staff = app.test_client()
    sign_in_as(staff, "staff", site_id=str(UUID(int=1)))
    assert (
        staff.post(
            f"/province/people/{person_id}/erase", data={"confirm": "erase", "reason": "x"}
        ).status_code
        == 403
    )
    done = officer.post(
        f"/province/people/{person_id}/erase", data={"confirm": "erase", "reason": "request 12/2026"}
    )
    assert done.status_code == 302
    assert ledger.person_record(person_id).erased
    erasure = next(e for e in ledger.events.get(person_id) if type(e).__name__ == "Erased")
    assert erasure.actor.actor_id == "test-province"
    assert erasure.reason == "request 12/2026"
    page = officer.get(f"/province/people/{person_id}").get_data(as_text=True)
    assert NAME not in page

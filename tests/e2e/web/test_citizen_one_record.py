"""The citizen's HTML pages about one family member (`/me/people/<id>`, its reaction form) check the
household from the views (phone index and directory, one statement) and open only the record they
show: a family of three opens one record, not three (services.citizen.member_and_book). Anyone outside
the family, or erased, is still 'not found'."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.values import Actor, Role
from tests.e2e.web.conftest import make_app
from tests.e2e.web.test_citizen import sign_in_with_code

SYSTEM = Actor("one-record-test", Role.SYSTEM)
PHONE = "0912000111"


def person(ledger: Ledger, n: int, *, phone: str | None = None, guardian: UUID | None = None) -> UUID:
    return ledger.register_person(
        national_id=None if guardian else f"00108500{n:04d}",
        full_name=f"Phạm Thị Hoa {chr(65 + n)}",
        date_of_birth="2015-05-05" if guardian else "1985-05-05",
        sex="female",
        phone=phone,
        ward_code="00001",
        priority_group="OTHER",
        actor=SYSTEM,
        idempotency_key=f"one-record-{n}",
        guardian_id=guardian,
        relationship="child" if guardian else None,
    )


@pytest.fixture
def family(tmp_path: Path) -> dict[str, Any]:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    holder = person(ledger, 0, phone=PHONE)
    children = [person(ledger, n, guardian=holder) for n in (1, 2)]
    stranger = person(ledger, 3, phone="0912000222")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in_with_code(client, app, PHONE)
    opened: list[UUID] = []
    get_person, get_people = ledger.get_person, ledger.get_people

    def one(person_id: UUID, *args: Any, **kwargs: Any) -> Any:
        opened.append(person_id)
        return get_person(person_id, *args, **kwargs)

    def many(person_ids: Any, *args: Any, **kwargs: Any) -> Any:
        opened.extend(person_ids)
        return get_people(person_ids, *args, **kwargs)

    ledger.get_person = one  # type: ignore[method-assign]
    ledger.get_people = many  # type: ignore[method-assign]
    return {
        "ledger": ledger,
        "client": client,
        "holder": holder,
        "children": children,
        "stranger": stranger,
        "opened": opened,
    }


def test_a_dependants_page_opens_only_their_record(family: dict[str, Any]) -> None:
    client, opened = family["client"], family["opened"]
    child = family["children"][1]
    page = client.get(f"/me/people/{child}")
    assert page.status_code == 200
    assert "Phạm Thị Hoa C" in page.get_data(as_text=True)
    assert set(opened) == {child}  # not the holder's, not the other child's
    opened.clear()
    form = client.get(f"/me/people/{child}/reaction")
    assert form.status_code == 200
    assert set(opened) == {child}


def test_the_holders_own_page_and_the_family_list(family: dict[str, Any]) -> None:
    client, opened = family["client"], family["opened"]
    page = client.get(f"/me/people/{family['holder']}")
    assert page.status_code == 200
    assert "Phạm Thị Hoa A" in page.get_data(as_text=True)
    assert set(opened) == {family["holder"]}
    listing = client.get("/me/").get_data(as_text=True)
    for name in ("Phạm Thị Hoa A", "Phạm Thị Hoa B", "Phạm Thị Hoa C"):
        assert name in listing  # the list shows everyone: there every record is opened


def test_a_stranger_an_erased_child_and_a_bad_id_are_not_found(family: dict[str, Any]) -> None:
    client, ledger = family["client"], family["ledger"]
    assert client.get(f"/me/people/{family['stranger']}").status_code == 404
    assert client.get("/me/people/not-an-id").status_code == 404
    child = family["children"][0]
    ledger.erase_person(
        person_id=child, reason="test: the guardian asked", actor=SYSTEM, idempotency_key="erase-child"
    )
    assert client.get(f"/me/people/{child}").status_code == 404
    assert client.get(f"/me/people/{child}/reaction").status_code == 404
    assert client.get(f"/me/people/{family['children'][1]}").status_code == 200

"""The desk's "register a new person" against a citizen registering the same number online at the same
moment: the worst interleaving, made certain (the citizen's registration commits after the desk's own
check of the declared-ID view, before the desk's write). The ledger checks the numbers held online in the
registration's transaction, so the page still answers 409 with the sentence beside the ID field, nothing
is written, and the one person with the number is the citizen once staff confirm the card.
Before, the desk's check and its write were not atomic: the nurse made a second person who claimed the
number, and the citizen's could never be confirmed.
"""

from __future__ import annotations

from typing import Any

import pytest

from services import desk
from tests.e2e.web.test_desk_register_guard import EN, form, holders, staff
from tests.e2e.web.test_register_claims import FREE, citizen, register, world  # noqa: F401


def test_a_citizen_registering_between_the_desks_check_and_its_write_is_refused_at_the_desk(
    world: dict[str, Any],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, ledger = world["app"], world["ledger"]
    online = citizen(app, "0399000077")
    checked = desk._refuse_if_declared_online

    def check_then_citizen_registers(backend: Any, national_id: str | None) -> None:
        checked(backend, national_id)  # nobody declared it yet: the desk's own check passes
        register(online, FREE, name="Trần Văn Dò")  # ...and the citizen's registration commits now

    monkeypatch.setattr(desk, "_refuse_if_declared_online", check_then_citizen_registers)
    nurse = staff(app, world["site"])
    page = nurse.post("/desk/register", data=form(FREE), headers=EN)
    text = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "Someone registered online with this ID number" in text
    assert 'id="national_id-error"' in text
    assert ledger.find_person(FREE) is None  # the desk claimed nothing
    (declared,) = holders(ledger, FREE)  # one person: the citizen, holding the number

    monkeypatch.setattr(desk, "_refuse_if_declared_online", checked)
    ledger.confirm_national_id(
        person_id=declared.person_id,
        actor=desk.StaffMember("nurse", world["site"]).actor,
        idempotency_key="c",
    )
    assert ledger.find_person(FREE) == declared.person_id

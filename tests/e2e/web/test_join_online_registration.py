"""The desk won the race: at the site, staff join the citizen's online registration to the registered record.

A person registered at a site (card seen) also registered online with the same number: the same answer as
for any number online, so they were never told. Their online record could not be confirmed, and their phone
signed in to it, without the record's doses. Now: the online record's desk page says the number is already
registered at a site for whom, and offers to join them once the card is seen; the registered record's page
lists the online registrations that typed its number; after the join, the citizen's phone reaches the
registered record, and the online one is gone. Nothing is written when the join is refused.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.web.test_desk_register_guard import EN, VI, staff
from tests.e2e.web.test_register_claims import FREE, TAKEN, citizen, register, world  # noqa: F401
from tests.people import listed


def test_staff_join_the_online_registration_and_the_citizens_phone_reaches_the_registered_record(
    world: dict[str, Any],  # noqa: F811
) -> None:
    app, ledger, owner = world["app"], world["ledger"], world["owner"]
    phone = citizen(app, "0399000010")
    status, _, text = register(phone, TAKEN, name="Phạm Thị Hồng")
    assert status == 302  # the same answer as for a free number: nothing said online
    assert "staff will join the two records" in text
    (online,) = [r for r in listed(ledger, limit=50) if r.claimed_national_id == TAKEN]
    book = phone.get(f"/me/people/{online.person_id}", headers=EN).get_data(as_text=True)
    assert "staff will join the two records" in book  # on their health book too, the same for any number
    other = citizen(app, "0399000011")
    register(other, FREE, name="Trần Văn Dò")
    (free,) = [r for r in listed(ledger, limit=50) if r.claimed_national_id == FREE]
    free_book = other.get(f"/me/people/{free.person_id}", headers=EN).get_data(as_text=True)
    sentence = "staff will join the two records and this phone will show that record"
    assert sentence in book
    assert sentence in free_book  # a free number reads the same: nothing to probe
    before = phone.get("/api/v1/me/family").get_json()["family"]
    assert [p["id"] for p in before] == [str(online.person_id)]  # a record without the registered one's doses

    nurse = staff(app, world["site"])
    registered_page = nurse.get(f"/desk/people/{owner}", headers=EN).get_data(as_text=True)
    assert "1 online registrations also typed this ID number" in registered_page
    assert f"/desk/people/{online.person_id}" in registered_page
    page = nurse.get(f"/desk/people/{online.person_id}", headers=VI).get_data(as_text=True)
    assert "Số này đã được đăng ký tại điểm tiêm cho Phạm Thị Hồng (sinh 03/02/1990)" in page
    assert 'id="join"' in page

    head = ledger.recorder.max_notification_id()
    refused = nurse.post(f"/desk/people/{online.person_id}/join", data={"registered_id": str(world["site"])})
    assert refused.status_code == 404  # not a person: nothing joined
    assert ledger.recorder.max_notification_id() == head

    done = nurse.post(f"/desk/people/{online.person_id}/join", data={"registered_id": str(owner)}, headers=EN)
    assert done.status_code == 302
    assert done.headers["Location"].endswith(f"/desk/people/{owner}")
    after = nurse.get(done.headers["Location"], headers=EN).get_data(as_text=True)
    assert "The online registration is joined to Phạm Thị Hồng" in after
    assert "online registrations also typed" not in after
    assert ledger.person_record(online.person_id).erased
    assert ledger.person_record(owner).phone == "0399000010"

    family = phone.get("/api/v1/me/family").get_json()
    assert [p["id"] for p in family["family"]] == [str(owner)]


def test_the_api_joins_too(world: dict[str, Any]) -> None:  # noqa: F811
    app, ledger, owner = world["app"], world["ledger"], world["owner"]
    register(citizen(app, "0399000012"), TAKEN, name="Phạm Thị Hồng")
    (online,) = [r for r in listed(ledger, limit=50) if r.claimed_national_id == TAKEN]
    nurse = staff(app, world["site"])
    url = f"/api/v1/desk/people/{online.person_id}/join"
    head = ledger.recorder.max_notification_id()
    bad = nurse.post(url, json={"registered_id": "not-an-id"})
    assert bad.status_code == 404
    assert ledger.recorder.max_notification_id() == head
    done = nurse.post(url, json={"registered_id": str(owner)})
    assert done.status_code == 200
    assert done.get_json() == {"person_id": str(owner)}
    assert ledger.person_record(online.person_id).erased
    assert ledger.person_record(owner).phone == "0399000012"

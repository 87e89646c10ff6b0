"""Issue 13: moving to another ward or province through the citizen's pages and the API.

The family's phone is signed in; the mother acts as her child's guardian. Each refusal comes back as
one sentence beside the field (or a 404 for another family's registration) and writes nothing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from uuid import UUID

from ledger.campaign.values import Session
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections import queue_queries
from tests.e2e.web.test_next_vaccination_day import ADMIN, PFIZER, SUNDAY, World, world

__all__ = ["world"]  # the fixture, shared with the next-vaccination-day tests

TAN_DINH = "26734"  # Phường Tân Định, Hồ Chí Minh City
OFFICER_79 = Actor("officer-79", LedgerRole.PROVINCE_OFFICER, province_code="79")


def hcm_site(w: World) -> str:
    site = w.service.add_site(
        code="VN-79-0001",
        name="Trạm Y tế Phường Tân Định",
        ward_code=TAN_DINH,
        address="1 Hai Bà Trưng, Quận 1",
        sessions=[Session("morning", "07:30", "11:30", 5)],
        actor=OFFICER_79,
    )
    w.ledger.receive_lot(
        product=PFIZER,
        lot_number="HCM-1",
        expiry=date(2022, 3, 1),
        site_id=UUID(site.site_id),
        quantity=20,
        actor=ADMIN,
        idempotency_key="hcm-lot",
    )
    return site.site_id


def token(w: World) -> str:
    return str(w.client.get("/api/v1/session").get_json()["csrf_token"])


def flat(html: str) -> str:
    return " ".join(html.split())


def registration(w: World, person: UUID) -> queue_queries.RegistrationRow:
    w.service.refresh()
    return queue_queries.registrations_of_person(w.service.store, person)[0]


def test_a_guardian_moves_a_waiting_childs_place_to_another_province(world: World) -> None:
    w = world
    there = hcm_site(w)
    w.service.register(person=w.child, group="OTHER", actor=ADMIN)
    reg = registration(w, w.child)
    page = flat(w.page(w.child))
    link = f"/me/vaccination/{w.child}/registrations/{reg.registration_id}/move"
    assert link in page
    assert "Chuyển nơi chờ tiêm" in page
    form = flat(w.client.get(link).get_data(as_text=True))
    assert "Đang chờ ở: <strong>Phường Phúc Xá" in form
    chosen = flat(w.client.get(f"{link}?ward_code={TAN_DINH}").get_data(as_text=True))
    assert "Trạm Y tế Phường Tân Định" in chosen
    assert f'value="site:{there}"' in chosen
    seen = re.search(r'name="moves_seen" value="(\d+)"', chosen)
    assert seen is not None
    assert seen.group(1) == "0"
    data = {"csrf_token": token(w), "ward_code": TAN_DINH, "place": "", "moves_seen": "0"}
    done = w.client.post(f"{link}?ward_code={TAN_DINH}", data=data)
    assert done.status_code == 302
    again = w.client.post(f"{link}?ward_code={TAN_DINH}", data=data)  # the form sent twice
    assert again.status_code == 302
    moved = registration(w, w.child)
    assert (moved.ward, moved.status, moved.queued_at) == (TAN_DINH, "waiting", reg.queued_at)
    assert len(w.service.messages(kind="transfer")) == 1
    after = flat(w.client.get(done.headers["Location"]).get_data(as_text=True))
    assert "Đã chuyển nơi chờ tiêm của Phạm Minh Khang sang Phường Tân Định" in after
    assert "Thứ tự chờ: 1 / 1 người đang chờ ở Phường Tân Định" in after
    # The same ward again: the sentence beside the place, nothing written.
    same = w.client.post(
        f"{link}?ward_code={TAN_DINH}",
        data={"csrf_token": token(w), "ward_code": TAN_DINH, "place": "", "moves_seen": "1"},
    )
    assert same.status_code == 409
    assert 'id="place-error"' in same.get_data(as_text=True)
    assert "đã ở hàng chờ của Tân Định" in flat(same.get_data(as_text=True))
    assert len(w.service.messages(kind="transfer")) == 1


def test_another_familys_registration_is_not_found(world: World) -> None:
    w = world
    stranger = w.ledger.register_person(
        national_id="001190000555",
        full_name="Lê Văn Lạ",
        date_of_birth="1990-01-01",
        sex="male",
        phone="0987000555",
        ward_code="00001",
        priority_group="OTHER",
        actor=ADMIN,
        idempotency_key="stranger",
    )
    w.service.register(person=stranger, group="OTHER", actor=ADMIN)
    reg = registration(w, stranger)
    # Through the family's own person id, or the stranger's: not found either way.
    assert (
        w.client.get(f"/me/vaccination/{w.child}/registrations/{reg.registration_id}/move").status_code == 404
    )
    assert (
        w.client.get(f"/me/vaccination/{stranger}/registrations/{reg.registration_id}/move").status_code
        == 404
    )
    refused = w.client.post(
        f"/api/v1/me/people/{w.child}/registrations/{reg.registration_id}/move",
        json={"ward_code": TAN_DINH},
        headers={"X-CSRFToken": token(w)},
    )
    assert refused.status_code == 404
    assert registration(w, stranger).ward == "00001"


def test_a_booked_appointment_moves_to_a_session_in_another_province(world: World) -> None:
    w = world
    w.lot(PFIZER)
    there = hcm_site(w)
    w.service.register(person=w.mother, group="OTHER", actor=ADMIN)
    monday = SUNDAY + timedelta(days=1)
    w.service.plan_day(w.site_id, monday, actor=Actor("o", LedgerRole.PROVINCE_OFFICER, province_code="01"))
    appointment = w.service.my_appointments(w.mother)[0].appointment_id
    url = f"/me/vaccination/{w.mother}/appointments/{appointment}/move"
    home = flat(w.client.get(url).get_data(as_text=True))
    assert "Các buổi tiêm còn chỗ ở Phường Phúc Xá" in home
    assert "Tiêm ở phường/xã hoặc tỉnh khác?" in home
    assert there not in home
    elsewhere = flat(w.client.get(f"{url}?ward_code={TAN_DINH}").get_data(as_text=True))
    assert "Các buổi tiêm còn chỗ ở Phường Tân Định" in elsewhere
    slot = f"{there}|{(monday + timedelta(days=1)).isoformat()}|morning"
    assert f'value="{slot}"' in elsewhere
    assert "Từ nay bạn chờ ở hàng chờ của Phường Tân Định" in elsewhere
    # A ward code that is not one: the sentence beside the picker, the home ward's sessions kept.
    bad = flat(w.client.get(f"{url}?ward_code=99999").get_data(as_text=True))
    assert 'id="ward-error"' in bad
    moved = w.client.post(f"{url}?ward_code={TAN_DINH}", data={"csrf_token": token(w), "slot": slot})
    assert moved.status_code == 302
    page = flat(w.page(w.mother))
    assert "Trạm Y tế Phường Tân Định" in page
    assert "03/08/2021" in page
    assert registration(w, w.mother).ward == TAN_DINH
    changes = w.service.messages(kind="change")
    assert len(changes) == 1
    assert "Tân Định" in changes[0].text


def test_the_api_moves_a_registration_and_lists_another_wards_sessions(world: World) -> None:
    w = world
    w.lot(PFIZER)
    there = hcm_site(w)
    w.service.register(person=w.child, group="OTHER", actor=ADMIN)
    reg = registration(w, w.child)
    url = f"/api/v1/me/people/{w.child}/registrations/{reg.registration_id}/move"
    headers = {"X-CSRFToken": token(w)}
    unknown = w.client.post(url, json={"ward_code": "99999"}, headers=headers)
    assert unknown.status_code == 400
    body = w.client.post(url, json={"site_id": there, "moves_seen": 0}, headers=headers).get_json()
    assert (body["ward"], body["site_id"], body["status"], body["moves"]) == (TAN_DINH, there, "waiting", 1)
    again = w.client.post(url, json={"site_id": there, "moves_seen": 0}, headers=headers).get_json()
    assert again["moves"] == 1  # resent: the same move
    same = w.client.post(url, json={"site_id": there, "moves_seen": 1}, headers=headers)
    assert same.status_code == 409
    assert same.get_json()["error"] == "move_same_ward"
    # Booked at home, the appointment's move options may be listed for Tân Định.
    w.service.register(person=w.mother, group="OTHER", actor=ADMIN)
    w.service.plan_day(w.site_id, SUNDAY, actor=Actor("o", LedgerRole.PROVINCE_OFFICER, province_code="01"))
    appointment = w.service.my_appointments(w.mother)[0].appointment_id
    options = w.client.get(
        f"/api/v1/me/people/{w.mother}/appointments/{appointment}/move-options?ward={TAN_DINH}"
    ).get_json()
    assert options
    assert {o["site_id"] for o in options} == {there}

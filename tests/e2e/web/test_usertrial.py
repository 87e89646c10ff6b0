"""What a user trial found: each test reproduces one problem a person met on the demo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from flask import Flask

from ledger.application import Ledger
from ledger.values import Actor
from ledger.values import Role as LedgerRole
from projections.registry import catch_up_views
from services import dashboards
from services.demo_population import seed_demo
from tests.e2e.web.conftest import make_app, person_holding, sign_in_as
from tests.e2e.web.test_staff import a_site_with_lots, staff_client
from tests.people import listed


@pytest.fixture
def app(tmp_path: Path, ledger: Ledger) -> Flask:
    return make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)


def test_a_mistyped_phone_comes_back_in_the_sign_in_form(app: Flask) -> None:
    client = app.test_client()
    client.get("/signin/citizen")
    response = client.post("/signin/citizen", data={"phone": "09x123"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'value="09x123"' in page  # what was typed is kept, to be corrected, not typed again


def test_a_wrong_password_keeps_the_username_in_the_form(app: Flask) -> None:
    client = app.test_client()
    client.get("/signin/staff")
    response = client.post("/signin/staff", data={"username": "nobody.here", "password": "wrong password"})
    assert response.status_code in (400, 401)
    page = response.get_data(as_text=True)
    assert 'value="nobody.here"' in page
    assert "wrong password" not in page  # the password is never echoed


# 18:30 UTC on 30 November is 01:30 on 1 December in Viet Nam (UTC+7).
AFTER_MIDNIGHT_IN_VIETNAM = datetime(2026, 11, 30, 18, 30, tzinfo=UTC)
PERSON = {
    "full_name": "Trần Văn Bình",
    "date_of_birth": "28/02/1990",
    "sex": "male",
    "national_id": "001090000111",
    "province_code": "01",
    "district_code": "001",
    "ward_code": "00001",
}


def test_a_health_declaration_after_midnight_in_viet_nam_is_dated_that_day(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: AFTER_MIDNIGHT_IN_VIETNAM)
    client = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False).test_client()
    sign_in_as(client, "citizen", phone="0912000111")
    assert client.post("/me/register", data=PERSON).status_code == 302
    person_id = person_holding(ledger, PERSON["national_id"]).person_id
    response = client.post(
        f"/me/people/{person_id}/declaration", data={"no_symptoms": "yes", "no_travel": "yes"}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    book = client.get(f"/me/people/{person_id}").get_data(as_text=True)
    assert "01/12/2026" in book  # the day it is in Viet Nam
    assert "30/11/2026" not in book  # not the day it still is in UTC


def test_a_lot_that_expired_yesterday_in_viet_nam_is_flagged_expired_after_midnight(tmp_path: Path) -> None:
    now = [datetime(2026, 11, 29, 3, 0, tzinfo=UTC)]
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now[0])
    seed_demo(ledger, people=12, seed=3)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    site = read.sites()[0]
    ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="LAST-DAY-30-11",
        expiry=date(2026, 11, 30),
        site_id=UUID(site.id),
        quantity=100,
        actor=Actor("test-setup", LedgerRole.SYSTEM),
        idempotency_key="last-day-lot",
    )
    now[0] = AFTER_MIDNIGHT_IN_VIETNAM  # 1 December in Viet Nam: the lot expired yesterday
    client = app.test_client()
    sign_in_as(client, "province", province_code=site.province_code)
    lots = client.get("/api/v1/province").get_json()["lots"]
    ours = next(lot for lot in lots if lot["lot_number"] == "LAST-DAY-30-11")
    assert ours["expired"] is True
    page = client.get("/province/").get_data(as_text=True)
    row = page[page.index("LAST-DAY-30-11") :].split("</tr>")[0]
    assert "badge red" in row


def test_staff_correct_a_birth_date_typed_as_on_every_other_form_and_a_sex_in_vietnamese(
    tmp_path: Path,
) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=40, seed=5)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    person = next(
        r
        for r in listed(ledger, limit=100)
        if r.national_id and any(str(dose.site_id) == site.id for dose in r.doses)
    )
    url = f"/desk/people/{person.person_id}/corrections"
    form = client.get(f"/desk/people/{person.person_id}").get_data(as_text=True)
    assert "female/male/other" not in form  # the Vietnamese page names the choices in Vietnamese
    response = client.post(url, data={"field": "date_of_birth", "value": "27/02/1990", "reason": "nhập nhầm"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert ledger.person_record(person.person_id).date_of_birth == "1990-02-27"
    new_sex = "male" if ledger.person_record(person.person_id).sex != "male" else "female"
    typed = {"male": "Nam", "female": "nữ"}[new_sex]
    response = client.post(url, data={"field": "sex", "value": typed, "reason": "nhập nhầm"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert ledger.person_record(person.person_id).sex == new_sex
    response = client.post(url, data={"field": "sex", "value": "không rõ", "reason": "nhập nhầm"})
    assert response.status_code == 400
    assert "Giới tính" in response.get_data(as_text=True)  # the sentence names the field


def test_the_dose_forms_lot_picker_shows_the_expiry_as_a_vietnamese_date(tmp_path: Path) -> None:
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=12, seed=3)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    client = staff_client(app, site.id)
    person = next(iter(listed(ledger, limit=10)))
    page = client.get(f"/desk/people/{person.person_id}").get_data(as_text=True)
    expiry = ledger.today() + timedelta(days=180)  # the fresh lot of a_site_with_lots
    assert f"FRESH-1 · {expiry:%d/%m/%Y}" in page
    assert expiry.isoformat() not in page


def test_the_operations_targets_use_the_population_the_public_statistics_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # immunize run's demo sets IMMUNIZE_POPULATION_SCALE: statistics said 20.2% had a first dose while the
    # operations view said 0.0% of the same target (measured against the whole GSO population)
    monkeypatch.setenv("IMMUNIZE_POPULATION_SCALE", "0.000001")
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    seed_demo(ledger, people=40, seed=5)
    app = make_app(tmp_path, ledger)
    backend = app.extensions["immunize"].platform.backend
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    stats = dashboards.statistics(backend)
    population = sum(max(1, round(p.population * 0.000001)) for p in backend.reference.provinces.values())
    expected = round(100.0 * stats.people_vaccinated / population, 2)
    assert expected > 1
    ops = dashboards.operations(backend, now=datetime.now(UTC))
    everyone = next(t for t in ops.targets if t.key == "population_first_dose_q1_2022")
    assert round(everyone.current_pct, 2) == expected


def test_a_second_dose_due_weeks_ago_does_not_promise_a_registration_on_that_day(tmp_path: Path) -> None:
    """Seen in the demo: 'Mũi 2 đến hạn từ 21/09/2021 … Đến ngày đó hệ thống tự đăng ký …' for a person
    never registered, years after that day. A day already past is said to be past, with what to do."""
    now = [datetime(2026, 10, 1, 3, 0, tzinfo=UTC)]
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now[0])
    seed_demo(ledger, people=12, seed=3)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    site = read.sites()[0]
    system = Actor("test-setup", LedgerRole.SYSTEM)
    lot = ledger.receive_lot(
        product="EU/1/20/1528", lot_number="OVERDUE-1", expiry=date(2027, 6, 30), site_id=UUID(site.id),
        quantity=10, actor=system, idempotency_key="overdue-lot",
    )  # fmt: skip
    client = app.test_client()
    sign_in_as(client, "citizen", phone="0912000222")
    assert client.post("/me/register", data=PERSON).status_code == 302
    person_id = person_holding(ledger, PERSON["national_id"]).person_id
    ledger.record_dose(
        person_id=UUID(str(person_id)), dose_number=1, product="EU/1/20/1528", lot_id=lot,
        administered_on=date(2026, 10, 1), site_id=UUID(site.id), actor=system, idempotency_key="overdue-dose",
    )  # fmt: skip
    now[0] = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 60 days later; dose 2 was due from 22/10/2026
    page = client.get(f"/me/vaccination/{person_id}").get_data(as_text=True)
    line = page[page.index('id="next-dose"') :].split("</p>")[0]
    assert "22/10/2026" in line
    assert "Đến ngày đó" not in line  # that day is gone: no promise about it
    assert "Đăng ký ngay bên dưới" in line
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/me/vaccination/{person_id}").get_data(as_text=True)
    line = page[page.index('id="next-dose"') :].split("</p>")[0]
    assert "On that day" not in line
    assert "register below" in line


def test_returning_more_vials_than_are_sealed_answers_in_vials_as_the_form_asks(tmp_path: Path) -> None:
    """Seen in the demo: 4 vials of 6 at a site, the officer typed 9 vials to return; the sentence said
    'fewer than 54 doses … return at most 24 doses' while the form asks for vials."""
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: AFTER_MIDNIGHT_IN_VIETNAM)
    seed_demo(ledger, people=12, seed=3)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    read = app.extensions["immunize"].platform.read
    read.refresh()
    site = read.sites()[0]
    client = app.test_client()
    sign_in_as(client, "province", province_code=site.province_code)
    received = client.post(
        "/stock/receive",
        data={"product": "EU/1/20/1528", "lot_number": "UT-RET-1", "expiry": "2027-05-30",
              "doses_per_vial": "6", "doses": "10", "unit": "vials"},
    )  # fmt: skip
    assert received.status_code == 302, received.get_data(as_text=True)
    page = client.get("/stock").get_data(as_text=True)
    store_lot = page.split('name="lot_id"')[1].split('value="')[1].split('"')[0]
    allocated = client.post("/stock/allocate", data={"lot_id": store_lot, "site_id": site.id, "vials": "4"})
    assert allocated.status_code == 302, allocated.get_data(as_text=True)
    page = client.get("/stock").get_data(as_text=True)
    site_lot = page.split('name="site_lot_id"')[1].split('value="')[1].split('"')[0]
    refused = client.post("/stock/return", data={"site_lot_id": site_lot, "vials": "9"}).get_data(
        as_text=True
    )
    assert "Trả tối đa 4 lọ" in refused  # the form's own unit
    assert "9 lọ" in refused


def test_the_reaction_rate_headline_is_not_zero_when_its_parts_are_hidden(tmp_path: Path) -> None:
    """Seen in the demo: 26 reactions (24 mild, 2 moderate) in 771 doses; the small cells were hidden,
    and the headline 'Phản ứng / 100.000 mũi' summed only the shown one (serious, 0) and said 0,0."""
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: AFTER_MIDNIGHT_IN_VIETNAM)
    seed_demo(ledger, people=12, seed=3)
    system = Actor("test-setup", LedgerRole.SYSTEM)
    people = listed(ledger, limit=100)
    for n, record in enumerate(people[:2]):
        ledger.report_reaction(
            person_id=UUID(str(record.person_id)), onset=date(2026, 11, 30), symptoms="sốt nhẹ",
            severity="mild", actor=system, idempotency_key=f"rate-{n}",
        )  # fmt: skip
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    stats = app.test_client().get("/api/v1/statistics").get_json()
    mild = next(r for r in stats["reactions"] if r["severity"] == "mild")
    assert mild["count"] is None  # 2 reports: hidden
    assert stats["reactions_per_100k"] != 0.0  # hidden, not zero
    page = app.test_client().get("/statistics").get_data(as_text=True)
    headline = page[page.index("Phản ứng / 100.000 mũi") :].split("</dd>")[0]
    assert "0,0" not in headline


def test_the_auditors_read_log_names_the_role_in_the_pages_language(tmp_path: Path) -> None:
    """Seen in the demo: /audit/reads said 'staff' (the role's code) in a Vietnamese table."""
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: AFTER_MIDNIGHT_IN_VIETNAM)
    seed_demo(ledger, people=12, seed=3)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    site = a_site_with_lots(app)
    person = listed(ledger, limit=100)[0]
    staff = app.test_client()
    sign_in_as(staff, "staff", site_id=site.id, province_code=site.province_code)
    assert staff.get(f"/desk/people/{person.person_id}").status_code == 200
    auditor = app.test_client()
    sign_in_as(auditor, "auditor")
    page = auditor.get("/audit/reads").get_data(as_text=True)
    assert "<td>Nhân viên điểm tiêm</td>" in page
    assert "<td>staff</td>" not in page


def test_the_plans_waiting_lines_name_the_vaccine_as_the_page_does_and_say_when_none_is_left(
    tmp_path: Path,
) -> None:
    """Seen in the demo (session 5): "5 người chờ mũi 2 vì điểm tiêm hết vắc xin Sinopharm SARS-CoV-2
    Vaccine (Vero Cell) Inactivated / BBIBP-CorV (Beijing Institute of Biological Products) cho mũi
    này" (the reference data's full name), and for first doses "… hết vắc xin  cho mũi này" (no product:
    any vaccine would do). The line names the vaccine as the stock list beside it does, and a first
    dose's line says that no vaccine at all is left. The day of those not yet due was ISO (2026-12-11)."""
    from ledger.campaign.values import Session
    from services.campaign import CampaignService

    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 on 30 November in Hà Nội
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = service.add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=system,
    )  # fmt: skip
    lot = ledger.receive_lot(
        product="BBIBP-CorV", lot_number="SP-1", expiry=date(2027, 6, 30), site_id=UUID(site.site_id),
        quantity=1, actor=system, idempotency_key="lot",
    )  # fmt: skip
    ledger.receive_lot(
        product="EU/1/20/1528",
        lot_number="PF-1",
        expiry=date(2027, 6, 30),
        site_id=UUID(site.site_id),
        quantity=1,
        actor=system,
        idempotency_key="lot-pfizer",
    )  # fmt: skip: one dose of Comirnaty, which a BBIBP-CorV second dose may not use
    people = []
    for n, name in enumerate(("Trần Thị Lan", "Lê Văn Bình", "Phạm Minh Chi", "Vũ Đức Nam")):
        people.append(
            ledger.register_person(
                national_id=f"00108500000{n}",
                full_name=name,
                date_of_birth="1960-01-01",
                sex="female",
                phone=f"09123400{n:02d}",
                ward_code="00001",
                priority_group="HEALTH_WORKER",
                actor=system,
                idempotency_key=f"p{n}",
            )
        )
    ledger.record_dose(
        person_id=people[0], dose_number=1, product="BBIBP-CorV", lot_id=lot, administered_on=date(2026, 10, 1),
        site_id=UUID(site.site_id), actor=system, idempotency_key="dose-1",
    )  # fmt: skip
    earlier = ledger.receive_lot(
        product="EU/1/20/1528", lot_number="PF-0", expiry=date(2027, 6, 30), site_id=UUID(site.site_id),
        quantity=1, actor=system, idempotency_key="lot-pfizer-0",
    )  # fmt: skip
    ledger.record_dose(
        person_id=people[3],
        dose_number=1,
        product="EU/1/20/1528",
        lot_id=earlier,
        administered_on=date(2026, 11, 20),
        site_id=UUID(site.site_id),
        actor=system,
        idempotency_key="dose-4",
    )  # fmt: skip: dose 2 of Comirnaty is due 21 days later, on 11 December
    for person in people:
        service.register(person=person, group="HEALTH_WORKER", actor=system)
    client = app.test_client()
    sign_in_as(client, "province", province_code="01")
    answer = client.post(
        "/province/campaign/plan", data={"site_id": site.site_id, "first_day": "01/12/2026", "span": "day"}
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[-3000:]
    page = client.get("/province/campaign").get_data(as_text=True)
    assert "1 người chờ mũi 2 vì điểm tiêm hết vắc xin Sinopharm cho mũi này." in page
    assert "Beijing Institute" not in page
    assert "1 người chờ mũi 1 vì điểm tiêm không còn vắc xin nào." in page
    assert "1 người đã đăng ký nhưng chưa đến hạn tiêm (sớm nhất 11/12/2026)." in page  # not 2026-12-11


def test_the_stock_page_shows_the_lots_still_at_the_site_first_and_folds_the_used_up_ones(
    tmp_path: Path,
) -> None:
    """Seen in the demo (session 5): the site staff's stock page listed eleven used-up lots (5 given,
    5 used, 0 left), expired in 2021–2022, before the one lot they could use. The lots still holding
    doses come first; the used-up ones are folded under "Lô đã dùng hết (N)"."""
    from ledger.campaign.values import Session
    from services.campaign import CampaignService

    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now)
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = service.add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=system,
    )  # fmt: skip
    lots = {}
    for number, quantity in (("EMPTY-1", 1), ("LIVE-2", 10), ("EMPTY-3", 1)):
        lots[number] = ledger.receive_lot(
            product="EU/1/20/1528", lot_number=number, expiry=date(2027, 6, 30), site_id=UUID(site.site_id),
            quantity=quantity, actor=system, idempotency_key=f"lot-{number}",
        )  # fmt: skip
    for n, number in enumerate(("EMPTY-1", "EMPTY-3")):
        person = ledger.register_person(
            national_id=f"00108500001{n}", full_name="Trần Thị Lan", date_of_birth="1960-01-01", sex="female",
            phone=f"09123411{n:02d}", ward_code="00001", priority_group="HEALTH_WORKER", actor=system,
            idempotency_key=f"p{n}",
        )  # fmt: skip
        ledger.record_dose(
            person_id=person, dose_number=1, product="EU/1/20/1528", lot_id=lots[number],
            administered_on=date(2026, 11, 30), site_id=UUID(site.site_id), actor=system,
            idempotency_key=f"dose-{n}",
        )  # fmt: skip
    client = app.test_client()
    sign_in_as(client, "staff", site_id=site.site_id)
    page = client.get("/stock").get_data(as_text=True)
    folded = page.index('<details id="used-up">')
    assert "Lô đã dùng hết (2)" in page
    assert page.index("LIVE-2") < folded
    assert page.index("EMPTY-1") > folded
    assert page.index("EMPTY-3") > folded


def test_a_sites_session_times_are_read_as_people_write_them_and_a_bad_one_is_named(tmp_path: Path) -> None:
    """Seen in the demo (session 5): on /province/sites/new a morning starting at "25:00", one ending
    before it starts, or "7h30", all got "Thông tin buổi tiêm chưa đúng (giờ dạng HH:MM, ngày dạng
    YYYY-MM-DD). Kiểm tra lại các mục." at the top (no field, a date format the form does not have); and
    a second site could take a code already used. Now "7h30" and "0730" (a phone's number pad has no
    colon) are 07:30, a bad time is named beside its field, and a code in use is refused."""
    from tests.e2e.web.test_site_page import good, post

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger)
    client = app.test_client()
    sign_in_as(client, "province", province_code="01")
    head = ledger.recorder.max_notification_id()
    for changes, field, sentence in (
        (
            {"start-morning": "25:00"},
            "start-morning",
            "Giờ bắt đầu buổi sáng «25:00» không phải giờ hợp lệ: nhập dạng giờ:phút, ví dụ 07:30.",
        ),
        (
            {"end-morning": "sáng"},
            "end-morning",
            "Giờ kết thúc buổi sáng «sáng» không phải giờ hợp lệ: nhập dạng giờ:phút, ví dụ 11:30.",
        ),
        (
            {"start-morning": "11:30", "end-morning": "07:30"},
            "end-morning",
            "Giờ kết thúc buổi sáng (07:30) phải sau giờ bắt đầu (11:30): sửa một trong hai giờ.",
        ),
    ):
        answer = post(client, "/province/sites/new", good(**changes))
        assert answer.status_code == 400, changes
        html = answer.get_data(as_text=True)
        assert f'<p class="field-error" id="{field}-error" role="alert">{sentence}</p>' in html, changes
        assert f'id="{field}" name="{field}"' in html
        assert 'aria-invalid="true" aria-describedby="' + field + '-error"' in html
        assert f'value="{changes[field]}"' in html  # what was typed is kept
        assert ledger.recorder.max_notification_id() == head
    added = post(client, "/province/sites/new", good(**{"start-morning": "7h30", "end-morning": "1130"}))
    assert added.status_code == 302
    site = app.extensions["immunize"].backend.views
    from projections import site_queries

    [row] = site_queries.sites(site, province="01")
    assert [(s["start"], s["end"]) for s in row.sessions] == [("07:30", "11:30")]
    again = post(client, "/province/sites/new", good(site_name="Trường THCS Phúc Xá"))
    assert again.status_code == 409  # the service's rule now (site_code_taken, a conflict)
    assert "Mã điểm tiêm VN-01-0777 đã dùng cho Trạm Y tế Phường Phúc Xá: chọn mã khác." in again.get_data(
        as_text=True
    )
    assert len(site_queries.sites(site, province="01")) == 1


def test_the_province_lot_list_names_the_vaccine_as_people_call_it(tmp_path: Path) -> None:
    """Seen in the demo (session 5): /province/ listed each lot as "Sinopharm SARS-CoV-2 Vaccine (Vero
    Cell) Inactivated / BBIBP-CorV (Beijing Institute of Biological Products)" (English inside the
    Vietnamese page, 100 characters in a phone's table cell); the stock pages say "Sinopharm"."""
    from ledger.campaign.values import Session
    from services.campaign import CampaignService

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = CampaignService(backend.ledger, backend.views).add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=system,
    )  # fmt: skip
    ledger.receive_lot(
        product="BBIBP-CorV", lot_number="SP-77", expiry=date(2027, 6, 30), site_id=UUID(site.site_id),
        quantity=10, actor=system, idempotency_key="lot",
    )  # fmt: skip
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    client = app.test_client()
    sign_in_as(client, "province", province_code="01")
    page = client.get("/province/").get_data(as_text=True)
    row = page[page.index("SP-77") - 300 : page.index("SP-77")]
    assert "<td>Sinopharm</td>" in row
    assert "Beijing Institute" not in page


def test_the_plan_forms_site_choice_tells_sites_apart_and_says_which_is_paused(tmp_path: Path) -> None:
    """Seen in the demo (session 5): the plan form's site list showed names only ("Nhà văn hóa Phúc Xá"
    twice: two sites may share a name), and a paused site looked like any other."""
    from ledger.campaign.values import Session
    from services.campaign import CampaignService

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    service = CampaignService(backend.ledger, backend.views)
    system = Actor("test-setup", LedgerRole.SYSTEM)
    sites = [
        service.add_site(
            code=code,
            name="Nhà văn hóa Phúc Xá",
            ward_code="00001",
            address="1 Nghĩa Dũng",
            sessions=[Session("morning", "07:30", "11:30", 5)],
            actor=system,
        )
        for code in ("VN-01-0001", "VN-01-0002")
    ]
    service.set_site_status(sites[1].site_id, "paused", reason="Mất điện", actor=system)
    client = app.test_client()
    sign_in_as(client, "province", province_code="01")
    page = client.get("/province/campaign").get_data(as_text=True)
    choice = page[
        page.index('<select id="site_id"') : page.index("</select>", page.index('<select id="site_id"'))
    ]
    assert f'<option value="{sites[0].site_id}">Nhà văn hóa Phúc Xá (VN-01-0001)</option>' in choice
    assert (
        f'<option value="{sites[1].site_id}">Nhà văn hóa Phúc Xá (VN-01-0002) · tạm dừng</option>' in choice
    )

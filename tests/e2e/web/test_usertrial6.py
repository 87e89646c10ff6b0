"""What the session-6 user trial found: each test reproduces one problem a person met on the demo
(SQLite and PostgreSQL, 390 px and desktop, Vietnamese and English)."""

from __future__ import annotations

from pathlib import Path

from ledger.application import Ledger
from services.numbers import show_number
from tests.e2e.web.conftest import make_app, sign_in_as
from tests.e2e.web.test_site_page import good, post


def test_numbers_in_sentences_are_grouped_as_the_page_groups_them(tmp_path: Path) -> None:
    """Seen in the demo (sessions 5, 6): on /province/sites/new a capacity of 3000 got "Số chỗ mỗi buổi
    phải từ 1 đến 2000, không phải 3000" beside a help text saying "2.000"; English said "1 to 2000".
    Every number a sentence holds now reads as the page's numbers do: 2.000 / 2,000."""
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    client = make_app(tmp_path, ledger).test_client()
    sign_in_as(client, "province", province_code="01")
    vi = post(client, "/province/sites/new", good(**{"capacity-morning": "3000"}))
    assert vi.status_code == 400
    assert "Số chỗ mỗi buổi phải từ 1 đến 2.000, không phải 3.000." in vi.get_data(as_text=True)
    client.get("/province/sites/new?lang=en")
    en = post(client, "/province/sites/new", good(**{"capacity-morning": "3000"}))
    assert en.status_code == 400
    assert "A session holds 1 to 2,000 people, not 3,000." in en.get_data(as_text=True)
    # the one rule, for pages and sentences alike
    assert (show_number(2000, "vi"), show_number(2000, "en")) == ("2.000", "2,000")
    assert (show_number(2254.1, "vi", 1), show_number(2254.1, "en", 1)) == ("2.254,1", "2,254.1")


def test_the_receive_form_chooses_no_vaccine_and_offers_the_provinces_own_first(tmp_path: Path) -> None:
    """Seen in the demo (session 5): the province's "Nhập kho" form had "Abdala" chosen, the first of the
    whole reference list by name, although the province had only ever received other products; an
    officer who did not look received a lot of the wrong vaccine. Now nothing is chosen, the products the
    province holds come first, and sending the form without a choice asks for one and writes nothing."""
    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    client = app.test_client()
    sign_in_as(client, "province", province_code="01")
    shipment = {"lot_number": "UT6-1", "expiry": "2099-05-30", "doses_per_vial": "10", "doses": "3"}
    fresh = client.get("/stock").get_data(as_text=True)
    choice = fresh[
        fresh.index('<select id="product"') : fresh.index("</select>", fresh.index('id="product"'))
    ]
    assert "selected" not in choice  # nothing chosen for the officer
    assert '<option value="">— Chọn vắc xin —</option>' in choice
    assert "<optgroup" not in choice  # nothing received yet: one plain list
    received = client.post("/stock/receive", data={**shipment, "product": "BBIBP-CorV", "unit": "vials"})
    assert received.status_code == 302, received.get_data(as_text=True)

    page = client.get("/stock").get_data(as_text=True)
    choice = page[page.index('<select id="product"') : page.index("</select>", page.index('id="product"'))]
    assert "selected" not in choice
    held, other = choice.split("<optgroup")[1:]
    assert held.startswith(' label="Đã có trong tỉnh">')
    assert ">Sinopharm</option>" in held
    assert held.count("<option") == 1
    assert ">Abdala</option>" in other
    assert "Sinopharm" not in other

    head = ledger.recorder.max_notification_id()
    refused = client.post("/stock/receive", data={**shipment, "lot_number": "UT6-2", "product": ""})
    assert refused.status_code == 400
    assert "Hãy chọn «Vắc xin» trong danh sách." in refused.get_data(as_text=True)
    assert 'value="UT6-2"' in refused.get_data(as_text=True)  # what was typed is kept
    assert ledger.recorder.max_notification_id() == head


def test_every_page_names_a_vaccine_as_people_call_it(tmp_path: Path) -> None:
    """Seen in the demo (session 6, SQLite and PostgreSQL): the citizen's health book and reaction form,
    and the staff person page's lot picker and correction list, named a Sinopharm dose "Sinopharm
    SARS-CoV-2 Vaccine (Vero Cell) Inactivated / BBIBP-CorV (Beijing Institute of Biological Products)"
    (English inside the Vietnamese page, three lines of a phone's card) beside "Moderna Spikevax"; the
    stock pages said "Sinopharm" and the campaign pages "BBIBP-CorV". One name now, everywhere."""
    from datetime import date
    from uuid import UUID

    from ledger.campaign.values import Session
    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from services.campaign import CampaignService
    from tests.e2e.web.test_staff import staff_client
    from tests.e2e.web.test_usertrial import PERSON
    from tests.people import listed

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = CampaignService(backend.ledger, backend.views).add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=system,
    )  # fmt: skip
    lot = ledger.receive_lot(
        product="BBIBP-CorV", lot_number="SP-1", expiry=date(2099, 6, 30), site_id=UUID(site.site_id),
        quantity=10, actor=system, idempotency_key="lot",
    )  # fmt: skip
    citizen = app.test_client()
    sign_in_as(citizen, "citizen", phone="0912000111")
    assert citizen.post("/me/register", data=PERSON).status_code == 302
    person = next(p for p in listed(ledger) if p.full_name == PERSON["full_name"]).person_id
    ledger.record_dose(
        person_id=person, dose_number=1, product="BBIBP-CorV", lot_id=lot, administered_on=ledger.today(),
        site_id=UUID(site.site_id), actor=system, idempotency_key="dose-1",
    )  # fmt: skip
    pages = {
        "book": citizen.get(f"/me/people/{person}"),
        "reaction": citizen.get(f"/me/people/{person}/reaction"),
        "staff": staff_client(app, site.site_id).get(f"/desk/people/{person}"),
    }
    for name, answer in pages.items():
        html = answer.get_data(as_text=True)
        assert answer.status_code == 200, name
        assert "Beijing Institute" not in html, name
        assert "Sinopharm" in html, name
    book = pages["book"].get_data(as_text=True)
    assert '<td data-label="Vắc xin">Sinopharm</td>' in book
    staff = pages["staff"].get_data(as_text=True)
    assert ">Sinopharm · SP-1 · 30/06/2099</option>" in staff  # the lot picker
    assert " · Sinopharm</option>" in staff  # the dose to correct or void


def test_the_desk_dose_form_offers_only_lots_with_doses_left(tmp_path: Path) -> None:
    """Seen in the demo (session 6, PostgreSQL): the person page's "Lô vắc xin" list offered the site's
    used-up lots first (the demo's site: eleven of them); the nurse picked one and got "Lô 1528-14400
    tại điểm tiêm chỉ còn 0 liều, ít hơn 1". The today page already left them out; now the desk does too."""
    from datetime import date
    from uuid import UUID

    from ledger.campaign.values import Session
    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from projections.registry import catch_up_views
    from services.campaign import CampaignService
    from tests.e2e.web.test_staff import staff_client

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = CampaignService(backend.ledger, backend.views).add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=system,
    )  # fmt: skip
    lots = {}
    for number, quantity in (("EMPTY-1", 1), ("FULL-1", 10)):
        lots[number] = ledger.receive_lot(
            product="EU/1/20/1528", lot_number=number, expiry=date(2099, 6, 30), site_id=UUID(site.site_id),
            quantity=quantity, actor=system, idempotency_key=number,
        )  # fmt: skip
    people = []
    for n, name in enumerate(("Trần Thị Lan", "Lê Văn Bình")):
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
        person_id=people[0], dose_number=1, product="EU/1/20/1528", lot_id=lots["EMPTY-1"],
        administered_on=ledger.today(), site_id=UUID(site.site_id), actor=system, idempotency_key="dose-1",
    )  # fmt: skip
    catch_up_views(ledger, app.extensions["immunize"].platform.views)
    page = staff_client(app, site.site_id).get(f"/desk/people/{people[1]}").get_data(as_text=True)
    picker = page[
        page.index('<select id="lot_id"') : page.index("</select>", page.index('<select id="lot_id"'))
    ]
    assert "FULL-1" in picker
    assert "EMPTY-1" not in picker  # nothing left in it: not offered


def test_a_reaction_dated_tomorrow_says_which_date_is_wrong(tmp_path: Path) -> None:
    """Seen in the demo (session 6, PostgreSQL): a reaction typed with tomorrow's onset got "Thông tin
    chưa đúng. Kiểm tra lại các mục đã nhập." (which item?). Now the sentence names the date and today,
    and what was typed stays in the form."""
    from datetime import UTC, datetime

    from tests.e2e.web.test_usertrial import PERSON
    from tests.people import listed

    now = datetime(2026, 12, 1, 2, 45, tzinfo=UTC)  # 09:45 on 1 December in Viet Nam
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now)
    client = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False).test_client()
    sign_in_as(client, "citizen", phone="0912000111")
    assert client.post("/me/register", data=PERSON).status_code == 302
    person = next(p for p in listed(ledger) if p.full_name == PERSON["full_name"]).person_id
    head = ledger.recorder.max_notification_id()
    form = {"dose_id": "", "onset": "02/12/2026", "symptoms": "Sốt nhẹ", "severity": "mild"}
    answer = client.post(f"/me/people/{person}/reaction", data=form)
    assert answer.status_code == 400  # refused, as every other form answers a refusal (was 200)
    html = answer.get_data(as_text=True)
    assert "Ngày bắt đầu triệu chứng 02/12/2026 ở tương lai (hôm nay là 01/12/2026)." in html
    assert "Sốt nhẹ</textarea>" in html  # kept
    assert ledger.recorder.max_notification_id() == head
    client.get("/?lang=en")
    english = client.post(f"/me/people/{person}/reaction", data=form).get_data(as_text=True)
    assert "The onset date 02/12/2026 is in the future (today is 01/12/2026)." in english


def test_the_family_list_counts_doses_in_english_words(tmp_path: Path) -> None:
    """Seen in the demo (session 6, English at 390 px): the family list said "0 dose(s)", "1 dose(s)"."""
    from datetime import date
    from uuid import UUID

    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from tests.e2e.web.test_usertrial import PERSON
    from tests.people import listed

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    client = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False).test_client()
    sign_in_as(client, "citizen", phone="0912000111")
    client.get("/?lang=en")
    assert client.post("/me/register", data=PERSON).status_code == 302
    assert "<span>0 doses</span>" in client.get("/me/").get_data(as_text=True)
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = ledger.register_site(
        code="HN-1", name="Trạm Y tế Phúc Xá", ward_code="00001", capacity_per_day=10, actor=system,
        idempotency_key="site",
    )  # fmt: skip
    lot = ledger.receive_lot(
        product="EU/1/20/1528", lot_number="PF-1", expiry=date(2099, 1, 1), site_id=UUID(str(site)),
        quantity=5, actor=system, idempotency_key="lot",
    )  # fmt: skip
    person = next(p for p in listed(ledger) if p.full_name == PERSON["full_name"]).person_id
    ledger.record_dose(
        person_id=person, dose_number=1, product="EU/1/20/1528", lot_id=lot, administered_on=ledger.today(),
        site_id=UUID(str(site)), actor=system, idempotency_key="dose",
    )  # fmt: skip
    page = client.get("/me/").get_data(as_text=True)
    assert "<span>1 dose</span>" in page
    assert "dose(s)" not in page


def test_the_province_store_lists_lots_still_in_store_first_and_folds_the_emptied_ones(
    tmp_path: Path,
) -> None:
    """Seen in the demo (session 6, PostgreSQL, 390 px): the province store table began with lots holding
    nothing ("Còn trong kho 0") before the lot just received; session 5 had folded the sites' used-up lots
    but not the store's."""
    from ledger.campaign.values import Session
    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from services.campaign import CampaignService

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    site = CampaignService(backend.ledger, backend.views).add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=Actor("test-setup", LedgerRole.SYSTEM),
    )  # fmt: skip
    client = app.test_client()
    sign_in_as(client, "province", province_code="01")
    for lot, expiry, vials in (("EMPTIED-1", "2098-01-31", "1"), ("HELD-1", "2099-01-31", "4")):
        form = {"product": "BBIBP-CorV", "lot_number": lot, "expiry": expiry, "doses_per_vial": "10"}
        received = client.post("/stock/receive", data={**form, "doses": vials, "unit": "vials"})
        assert received.status_code == 302, received.get_data(as_text=True)
    page = client.get("/stock").get_data(as_text=True)
    choice = page[
        page.index('<select id="lot_id"') : page.index("</select>", page.index('<select id="lot_id"'))
    ]
    emptied = next(
        part.split('"')[0] for part in choice.split('value="')[1:] if "EMPTIED-1" in part.split("<")[0]
    )
    allocated = client.post(
        "/stock/allocate", data={"lot_id": emptied, "site_id": site.site_id, "vials": "1"}
    )
    assert allocated.status_code == 302, allocated.get_data(as_text=True)
    page = client.get("/stock").get_data(as_text=True)
    store = page[page.index('id="h-store"') : page.index("</section>", page.index('id="h-store"'))]
    folded = store.index('<details id="store-used-up"><summary>Lô đã dùng hết (1)</summary>')
    assert store.index("HELD-1") < folded < store.index("EMPTIED-1")


def test_a_phone_asking_for_too_many_codes_is_told_how_long_to_wait(tmp_path: Path) -> None:
    """Seen in the demo (session 6, PostgreSQL): a fourth sign-in code within 15 minutes got "Quá nhiều
    lần thử. Vui lòng đợi vài phút." ("a few minutes": three, or fifteen?). Now the minutes are counted
    from the oldest attempt still in the window."""
    from datetime import UTC, datetime, timedelta

    now = [datetime(2026, 12, 1, 2, 0, tzinfo=UTC)]
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now[0])
    client = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False, CLOCK=lambda: now[0]).test_client()
    for minute in (0, 4, 5):
        now[0] = datetime(2026, 12, 1, 2, minute, tzinfo=UTC)
        assert client.post("/signin/citizen", data={"phone": "0911111111"}).status_code == 302
    now[0] += timedelta(minutes=2)  # 02:07; the first code (02:00) leaves the 15-minute window at 02:15
    refused = client.post("/signin/citizen", data={"phone": "0911111111"})
    assert refused.status_code == 400
    assert "Quá nhiều lần thử. Vui lòng đợi 8 phút rồi thử lại." in refused.get_data(as_text=True)
    now[0] += timedelta(minutes=8, seconds=1)
    assert client.post("/signin/citizen", data={"phone": "0911111111"}).status_code == 302


def test_voiding_a_dose_says_the_dose_is_voided(tmp_path: Path) -> None:
    """Seen in the demo (session 6, PostgreSQL): voiding a dose recorded by mistake answered "Đã sửa hồ sơ
    của …" (the record is corrected), the same as a name correction; the nurse had to look for the dose."""
    from datetime import date
    from uuid import UUID

    from ledger.campaign.values import Session
    from ledger.values import Actor
    from ledger.values import Role as LedgerRole
    from services.campaign import CampaignService
    from tests.e2e.web.test_staff import staff_client

    ledger = Ledger("memory://", key_dir=tmp_path / "lk")
    app = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False)
    backend = app.extensions["immunize"].backend
    system = Actor("test-setup", LedgerRole.SYSTEM)
    site = CampaignService(backend.ledger, backend.views).add_site(
        code="VN-01-0001", name="Trạm Y tế Phúc Xá", ward_code="00001", address="1 Nghĩa Dũng",
        sessions=[Session("morning", "07:30", "11:30", 5)], actor=system,
    )  # fmt: skip
    lot = ledger.receive_lot(
        product="EU/1/20/1528", lot_number="PF-1", expiry=date(2099, 6, 30), site_id=UUID(site.site_id),
        quantity=5, actor=system, idempotency_key="lot",
    )  # fmt: skip
    person = ledger.register_person(
        national_id="001085000001", full_name="Trần Thị Lan", date_of_birth="1960-01-01", sex="female",
        phone="0912340001", ward_code="00001", priority_group="HEALTH_WORKER", actor=system, idempotency_key="p",
    )  # fmt: skip
    dose = ledger.record_dose(
        person_id=person, dose_number=1, product="EU/1/20/1528", lot_id=lot, administered_on=ledger.today(),
        site_id=UUID(site.site_id), actor=system, idempotency_key="dose-1",
    )  # fmt: skip
    client = staff_client(app, site.site_id)
    voided = client.post(
        f"/desk/people/{person}/corrections",
        data={"field": "void_dose", "value": "", "dose_id": str(dose.dose_id), "reason": "Ghi nhầm người"},
    )
    assert voided.status_code == 302, voided.get_data(as_text=True)
    page = client.get(f"/desk/people/{person}").get_data(as_text=True)
    assert "Đã hủy mũi tiêm ghi nhầm của Trần Thị Lan: mũi đó không còn trong sổ sức khỏe." in page
    assert "Đã sửa hồ sơ" not in page


def test_the_citizens_forms_answer_a_refusal_with_400_and_write_nothing(tmp_path: Path) -> None:
    """A refused dependant or health declaration came back 200 (the form again, with its sentence), as
    if it had worked, unlike the registration and sign-in forms."""
    from datetime import UTC, datetime

    from tests.e2e.web.test_usertrial import PERSON
    from tests.people import listed

    now = datetime(2026, 12, 1, 2, 45, tzinfo=UTC)
    ledger = Ledger("memory://", key_dir=tmp_path / "lk", clock=lambda: now)
    client = make_app(tmp_path, ledger, WTF_CSRF_ENABLED=False).test_client()
    sign_in_as(client, "citizen", phone="0912000111")
    assert client.post("/me/register", data=PERSON).status_code == 302
    person = next(p for p in listed(ledger) if p.full_name == PERSON["full_name"]).person_id
    head = ledger.recorder.max_notification_id()
    child = {**PERSON, "full_name": "Trần Bảo An", "national_id": "", "date_of_birth": "31/02/2015"}
    assert client.post("/me/dependants/new", data=child).status_code == 400
    assert client.post(f"/me/people/{person}/declaration", data={}).status_code == 400
    assert ledger.recorder.max_notification_id() == head

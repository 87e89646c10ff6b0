"""Planning a province's day in one run: every rule of a site's planning holds across the sites,
nobody gets two places, a site that does not open or has no stock is reported and left alone, and
running it again writes nothing."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from click.testing import CliRunner

from cli import appointment_commands, message_commands, plan_commands, registration_commands, site_commands
from cli.main import FriendlyGroup
from ledger.campaign.planning import Booking
from ledger.campaign.values import Session, registration_id
from ledger.errors import InvalidInput, NotPermitted
from ledger.values import Actor, Role
from projections import queue_queries
from services import province_planning
from services.province_planning import plan_province
from tests.integration.campaign.conftest import ADMIN, ASTRAZENECA, MONDAY, OFFICER, Clock, Story, make_story

CAMPAIGN_COMMANDS = (
    *site_commands.COMMANDS,
    *registration_commands.COMMANDS,
    *plan_commands.COMMANDS,
    *appointment_commands.COMMANDS,
    *message_commands.COMMANDS,
)


def add_site(s: Story, code: str, ward: str, *, morning: int, afternoon: int, stock: int = 100) -> UUID:
    row = s.service.add_site(
        code=code,
        name=f"Điểm tiêm {code}",
        ward_code=ward,
        address="Số 2 phố Huế",
        sessions=[
            Session("morning", "07:30", "11:30", morning),
            Session("afternoon", "13:30", "16:30", afternoon),
        ],
        actor=OFFICER,
    )
    site = UUID(row.site_id)
    if stock:
        s.ledger.receive_lot(
            product=ASTRAZENECA,
            lot_number=f"LOT-{code}",
            expiry=date(2022, 3, 1),
            site_id=site,
            quantity=stock,
            actor=ADMIN,
            idempotency_key=f"lot-{code}",
        )
    return site


def test_a_province_day_fills_every_site_in_planning_order_and_nobody_twice(
    story: Story, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = story
    # The story's site (ward 00001, 2 + 1 places), a second site in the same ward (1 + 1), one in
    # another ward (1 + 1), one without stock and one that never opens on Mondays.
    same_ward = add_site(s, "VN-01-0002", "00001", morning=1, afternoon=1)
    other_ward = add_site(s, "VN-01-0003", "00004", morning=1, afternoon=1)
    empty = add_site(s, "VN-01-0004", "00006", morning=1, afternoon=1, stock=0)
    weekend = s.service.add_site(
        code="VN-01-0005",
        name="Điểm tiêm cuối tuần",
        ward_code="00007",
        address="Số 5",
        sessions=[Session("morning", "07:30", "11:30", 5)],
        opening_days=[5, 6],
        actor=OFFICER,
    )
    groups = ["HEALTH_WORKER", "CHRONIC_DISEASE_OR_OVER_65", "HEALTH_WORKER"] + [
        "CHRONIC_DISEASE_OR_OVER_65"
    ] * 5
    ward1 = [s.person(group=g) for g in groups]
    ward4 = [s.person(group="HEALTH_WORKER", ward_code="00004") for _ in range(3)]
    ward6 = [s.person(group="HEALTH_WORKER", ward_code="00006")]
    for person, group in zip(ward1 + ward4 + ward6, groups + ["HEALTH_WORKER"] * 4, strict=True):
        s.service.register(person=person, group=group, actor=ADMIN)
        s.clock.now += timedelta(seconds=1)  # registration time orders people of one group

    planned = s.service.plan_province_day("01", MONDAY, actor=OFFICER)

    by_site = {d.site_id: d for d in planned.sites}
    assert by_site[str(s.site_id)].status == "planned"
    assert by_site[str(empty)].status == "no_stock"
    assert by_site[weekend.site_id].status == "closed"
    assert planned.booked_now == 3 + 2 + 2
    taken = {}
    for site in (s.site_id, same_ward, other_ward):
        day = s.service.day(site, MONDAY)
        assert day is not None
        for session in day.sessions:
            assert len(session.appointments) <= session.capacity
        taken[site] = [a.person_id for session in day.sessions for a in session.appointments]
        assert by_site[str(site)].taken == len(taken[site])
    everyone = [p for people in taken.values() for p in people]
    assert len(everyone) == len(set(everyone)) == 7  # nobody has two places
    # The ward's two sites took its five first people in planning order (health workers first, then
    # by registration time), each site's list in that order; the other ward's site took its first two.
    in_order = [str(p) for p in (ward1[0], ward1[2], ward1[1], ward1[3], ward1[4])]
    assert sorted(taken[s.site_id] + taken[same_ward]) == sorted(in_order)
    for site in (s.site_id, same_ward):
        assert taken[site] == [p for p in in_order if p in taken[site]]
    assert taken[other_ward] == [str(p) for p in ward4[:2]]
    assert s.service.day(empty, MONDAY) is None  # nothing written for a site without stock
    messages = s.service.messages(kind="appointment")
    assert Counter(m.appointment_id is not None for m in messages) == Counter({True: 7})

    head = s.ledger.recorder.max_notification_id()
    with monkeypatch.context() as m:  # every site full, closed or without stock: the queue is not read
        m.setattr(queue_queries, "province_candidates", lambda *a: pytest.fail("the queue was read"))
        again = s.service.plan_province_day("01", MONDAY, actor=OFFICER)
    assert again.booked_now == 0
    assert s.ledger.recorder.max_notification_id() == head
    with monkeypatch.context() as m:  # the same answer as reading and planning the whole queue
        m.setattr(province_planning, "_all_full", lambda *a: None)
        read = s.service.plan_province_day("01", MONDAY, actor=OFFICER)
    assert [(d.site_id, d.status, d.taken, d.waiting) for d in again.sites] == [
        (d.site_id, d.status, d.taken, d.waiting) for d in read.sites
    ]
    assert by_site[str(s.site_id)].waiting > 0
    assert {g.reason for d in again.sites for g in d.reasons} == {"capacity_full", "no_stock"}
    assert s.ledger.recorder.max_notification_id() == head
    # A place freed at one site is filled by the next in line on the next run.
    first = s.service.day(s.site_id, MONDAY)
    assert first is not None
    s.service.cancel_appointment(first.sessions[0].appointments[0].appointment_id, actor=ADMIN, withdraw=True)
    refill = s.service.plan_province_day("01", MONDAY, actor=OFFICER)
    assert refill.booked_now == 1
    day = s.service.day(s.site_id, MONDAY)
    assert day is not None
    assert str(ward1[5]) in [
        a.person_id for session in day.sessions for a in session.appointments if a.status == "booked"
    ]


def test_a_province_day_is_refused_for_bad_input_and_other_roles(story: Story) -> None:
    s = story
    s.service.register(person=s.person(), group="HEALTH_WORKER", actor=ADMIN)
    head = s.ledger.recorder.max_notification_id()
    with pytest.raises(InvalidInput, match="province code"):
        s.service.plan_province_day("99", MONDAY, actor=OFFICER)
    with pytest.raises(InvalidInput, match="past"):
        s.service.plan_province_day("01", date(2021, 7, 1), actor=OFFICER)
    with pytest.raises(NotPermitted):
        s.service.plan_province_day("01", MONDAY, actor=Actor("citizen-1", Role.CITIZEN))
    assert s.ledger.recorder.max_notification_id() == head
    assert s.service.plan_province_day("01", MONDAY, actor=OFFICER).booked_now == 1


def test_a_booking_taken_elsewhere_in_the_meantime_is_skipped_not_doubled(story: Story) -> None:
    s = story
    person = s.person(group="HEALTH_WORKER")
    s.service.register(person=person, group="HEALTH_WORKER", actor=ADMIN)
    planned = s.service.plan_day(s.site_id, MONDAY, actor=OFFICER)
    [booked] = [a for session in planned.sessions for a in session["appointments"]]
    other = add_site(s, "VN-01-0009", "00001", morning=1, afternoon=1)
    # A planner that read the queue before that booking hands the same registration to another site.
    stale = Booking(registration_id(person, 1), person, "morning", 1, ASTRAZENECA, 1)
    [result] = s.ledger.book_days(
        day=MONDAY, sites=[(other, (stale,))], actor=OFFICER, idempotency_key="stale"
    )
    assert (result.appointment_ids, result.skipped) == ((), 1)
    appointments = s.service.my_appointments(person)
    assert [a.appointment_id for a in appointments] == [booked["appointment_id"]]


def test_plan_province_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    s = make_story(url, clock, tmp_path / "keys")
    try:
        for _ in range(4):
            s.service.register(person=s.person(), group="HEALTH_WORKER", actor=ADMIN)
        s.ledger.receive_lot(
            product=ASTRAZENECA,
            lot_number="LOT-LATER",
            expiry=date.today() + timedelta(days=365),  # the CLI plans by the real clock
            site_id=s.site_id,
            quantity=10,
            actor=ADMIN,
            idempotency_key="lot-later",
        )
    finally:
        s.store.close()
        s.ledger.close()
    monkeypatch.setenv("IMMUNIZE_DATABASE_URL", url)
    monkeypatch.setenv("IMMUNIZE_KEY_DIR", str(tmp_path / "keys"))
    group = FriendlyGroup("immunize")
    for command in CAMPAIGN_COMMANDS:
        group.add_command(command)
    runner = CliRunner()
    # The CLI's clock is the real one: plan a day that is still ahead of it.
    day = (date.today() + timedelta(days=7 - date.today().weekday())).isoformat()
    plan = ["plan", "province", "--province", "01", "--date", day, "--actor-province", "01"]
    first = runner.invoke(group, [*plan, "--json"])
    assert first.exit_code == 0, first.output
    body = json.loads(first.output)
    assert (body["province"], body["date"], body["booked_now"], body["capacity"]) == ("01", day, 3, 3)
    [site] = body["sites"]
    assert (site["status"], site["taken"], site["waiting"]) == ("planned", 3, 1)
    again = runner.invoke(group, [*plan, "--json"])
    assert json.loads(again.output)["booked_now"] == 0
    shown = runner.invoke(
        group, ["plan", "day", "--site", site["site_id"], "--date", day, "--actor-province", "01", "--json"]
    )
    assert sum(len(x["appointments"]) for x in json.loads(shown.output)["sessions"]) == 3
    assert json.loads(shown.output)["waiting_reasons"] == [  # why the one left waits
        {"reason": "capacity_full", "count": 1, "dose_number": None, "product": None}
    ]
    bad = runner.invoke(
        group, ["plan", "province", "--province", "99", "--date", day, "--actor-province", "01"]
    )
    assert bad.exit_code != 0
    assert "Traceback" not in bad.output
    assert "province code" in bad.output


def test_worker_processes_write_the_same_province_day(sqlite_story: Story) -> None:
    s = sqlite_story
    second = add_site(s, "VN-01-0002", "00001", morning=1, afternoon=1)
    third = add_site(s, "VN-01-0003", "00004", morning=2, afternoon=1)
    for ward, n in (("00001", 6), ("00004", 4)):
        for _ in range(n):
            s.service.register(person=s.person(ward_code=ward), group="HEALTH_WORKER", actor=ADMIN)
            s.clock.now += timedelta(seconds=1)
    # One site per batch, two worker processes (spawned, each with its own ledger on the same file).
    planned = plan_province(
        s.ledger, s.store, s.service.refresh, "01", MONDAY, actor=OFFICER, sites_per_batch=1, workers=2
    )
    assert planned.booked_now == 3 + 2 + 3
    by_site = {d.site_id: d.booked_now for d in planned.sites}
    assert by_site == {str(s.site_id): 3, str(second): 2, str(third): 3}
    people: list[str] = []
    for site in (s.site_id, second, third):
        day = s.service.day(site, MONDAY)
        assert day is not None
        people += [a.person_id for session in day.sessions for a in session.appointments]
    assert len(people) == len(set(people)) == 8
    assert len(s.service.messages(kind="appointment")) == 8
    head = s.ledger.recorder.max_notification_id()
    again = plan_province(
        s.ledger, s.store, s.service.refresh, "01", MONDAY, actor=OFFICER, sites_per_batch=1, workers=2
    )
    assert again.booked_now == 0
    assert s.ledger.recorder.max_notification_id() == head

"""The views of the real ledger, told as a campaign story, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ledger.application import Ledger
from ledger.settings import parse_database_url
from projections.queries import (
    family_health_books,
    health_book,
    operations_overview,
    public_statistics,
    suppress,
)
from projections.registry import VIEW_NAMES, catch_up_views, digests, rebuild, view_status
from projections.store import ViewStore, open_view_store
from tests.integration.projections.campaign import (
    ADMIN,
    PFIZER,
    SAIGON_WARD,
    Campaign,
    Clock,
    dose,
    key,
    open_ledger,
    register,
    setup_sites,
)

DANANG_WARD = "20194"  # Hòa Hiệp Bắc, Đà Nẵng (province 48)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2021, 12, 1, 3, 0, tzinfo=UTC))


@pytest.fixture
def ledger(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[Ledger]:
    app = open_ledger(database_url, tmp_path / "keys", clock)
    yield app
    app.close()


@pytest.fixture
def store(database_url: str) -> Iterator[ViewStore]:
    views = open_view_store(parse_database_url(database_url))
    yield views
    views.close()


@pytest.fixture
def campaign(ledger: Ledger) -> Campaign:
    c = Campaign()
    setup_sites(ledger, c)
    return c


def test_public_statistics_count_doses_hide_small_cells_and_list_every_province(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    hanoi = [register(ledger, campaign) for _ in range(6)]
    for person in hanoi:
        dose(ledger, campaign, person, 1, date(2021, 8, 2))
        dose(ledger, campaign, person, 2, date(2021, 9, 6))
    danang = [register(ledger, campaign, ward=DANANG_WARD) for _ in range(7)]
    for person in danang:
        dose(ledger, campaign, person, 1, date(2021, 8, 2), site=1)
    saigon = [register(ledger, campaign, ward=SAIGON_WARD) for _ in range(2)]
    for person in saigon:
        dose(ledger, campaign, person, 1, date(2021, 8, 2), site=1)

    catch_up_views(ledger, store)
    stats = public_statistics(store)

    assert stats.total_doses.value == 21
    assert len(stats.provinces) == 63
    by_code = {p.code: p for p in stats.provinces}
    assert by_code["01"].doses.value == 12
    assert by_code["48"].first_dose_people.value == 7
    assert by_code["48"].first_dose_coverage_pct == round(7 * 100 / by_code["48"].population, 2)
    # Two people in Hồ Chí Minh City: a cell that would point at them is not shown, and neither is
    # the next smallest (Đà Nẵng), or the total would give the hidden one away.
    assert by_code["79"].doses.value is None
    assert by_code["79"].first_dose_coverage_pct is None
    assert by_code["48"].doses.value is None
    assert by_code["01"].first_dose_people.value is None  # 6 is the next smallest of that table
    assert by_code["02"].doses.value == 0
    assert dict((d, c.value) for d, c in stats.doses_by_day) == {"2021-08-02": 15, "2021-09-06": 6}
    assert dict((n, c.value) for n, c in stats.by_dose_number) == {1: 15, 2: 6}
    assert [code for code, _, _, _ in stats.by_priority_group][:2] == ["HEALTH_WORKER", "EPIDEMIC_RESPONSE"]
    assert len(stats.by_priority_group) == 16
    assert any("estimate" in note.lower() for note in stats.notes)


def test_suppression_hides_a_second_cell_when_only_one_would_be_hidden() -> None:
    cells = suppress({"a": 3, "b": 40, "c": 7, "d": 0})
    assert [cells[k].value for k in "abcd"] == [None, 40, None, 0]
    assert suppress({"a": 3, "b": 2, "c": 9})["c"].value == 9


def test_a_voided_dose_no_longer_counts_and_later_doses_move_down(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    people = [register(ledger, campaign) for _ in range(5)]
    for person in people:
        dose(ledger, campaign, person, 1, date(2021, 8, 2))
        dose(ledger, campaign, person, 2, date(2021, 9, 6))
    catch_up_views(ledger, store)
    assert dict((n, c.value) for n, c in public_statistics(store).by_dose_number) == {1: 5, 2: 5}

    # Every first dose was recorded by mistake: the second becomes the first.
    for person in people:
        ledger.void_dose(
            person_id=person,
            dose_id=campaign.doses[person][0],
            reason="recorded twice",
            actor=ADMIN,
            idempotency_key=key("void"),
        )
    # One corrected dose: it was Pfizer, given at the same site.
    ledger.correct_dose(
        person_id=people[0],
        dose_id=campaign.doses[people[0]][1],
        reason="wrong product",
        product=PFIZER,
        lot_id=campaign.lots[f"HN-01/{PFIZER}"],
        actor=ADMIN,
        idempotency_key=key("correct"),
    )
    catch_up_views(ledger, store)

    stats = public_statistics(store)
    assert stats.total_doses.value == 5
    assert dict((n, c.value) for n, c in stats.by_dose_number) == {1: 5, 2: 0}
    # 4 AstraZeneca and 1 Pfizer dose now: both under 5, so both hidden (the lots below show the move).
    vaccines = {mp: c for mp, _, c in stats.by_vaccine}
    assert vaccines["EU/1/21/1529"].suppressed
    assert vaccines[PFIZER].suppressed
    book = health_book(ledger, store, people[0], include_voided=True)
    assert [(d.dose_number, d.voided, d.product) for d in book.doses] == [
        (1, True, "EU/1/21/1529"),
        (1, False, PFIZER),
    ]
    assert [d.dose_number for d in health_book(ledger, store, people[1]).doses] == [1]
    lots = {
        lot.lot_id: lot.used
        for lot in operations_overview(
            ledger, store, today=date(2021, 12, 1), now=datetime(2021, 12, 1, tzinfo=UTC)
        ).lots
    }
    assert lots[str(campaign.lots[f"HN-01/{PFIZER}"])] == 1
    assert lots[str(campaign.lots["HN-01/EU/1/21/1529"])] == 4


def test_a_family_health_book_shows_an_erased_dependant_as_erased_while_counts_survive(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    mother = register(ledger, campaign)
    children = [register(ledger, campaign, guardian=mother, born="2010-03-04") for _ in range(2)]
    for person in [mother, *children]:
        dose(ledger, campaign, person, 1, date(2021, 10, 4), product=PFIZER)
    reaction = ledger.report_reaction(
        person_id=children[0],
        onset=date(2021, 10, 5),
        symptoms="sốt cao",
        severity="serious",
        dose_id=campaign.doses[children[0]][0],
        actor=ADMIN,
        idempotency_key=key("reaction"),
    )
    ledger.declare_health(
        person_id=mother, symptoms="", exposure="", travel="", actor=ADMIN, idempotency_key=key("declare")
    )
    catch_up_views(ledger, store)

    family = family_health_books(ledger, store, mother)
    assert [b.person_id for b in family] == [str(p) for p in [mother, *children]]
    assert family[0].full_name.startswith("Nguyễn Văn Thử")
    assert family[0].declarations == 1
    assert (family[1].status, family[1].status_reason) == ("yellow", "primary_incomplete")
    assert family[1].reactions[0].symptoms == "sốt cao"
    assert family[1].reactions[0].needs_follow_up
    overview = operations_overview(
        ledger, store, today=date(2021, 12, 8), now=datetime(2021, 12, 8, tzinfo=UTC)
    )
    assert [(f.reaction_id, f.days_waiting) for f in overview.follow_ups] == [(str(reaction), 7)]
    totals_before = public_statistics(store).total_doses

    ledger.erase_person(
        person_id=children[0], reason="request of the guardian", actor=ADMIN, idempotency_key=key("erase")
    )
    catch_up_views(ledger, store)

    family = family_health_books(ledger, store, mother)
    erased = family[1]
    assert erased.erased
    assert erased.status == "erased"
    assert erased.full_name == "[erased]"
    assert erased.doses == ()
    assert erased.reactions == ()
    assert family[2].full_name.startswith("Nguyễn Văn Thử")
    assert not family[2].erased
    assert public_statistics(store).total_doses == totals_before
    assert (
        operations_overview(
            ledger, store, today=date(2021, 12, 8), now=datetime(2021, 12, 8, tzinfo=UTC)
        ).follow_ups
        == []
    )


def test_operations_show_targets_sites_lots_and_lag(
    ledger: Ledger, store: ViewStore, campaign: Campaign, clock: Clock
) -> None:
    people = [register(ledger, campaign) for _ in range(5)]
    for person in people:
        dose(ledger, campaign, person, 1, date(2021, 11, 30))
    catch_up_views(ledger, store, ["statistics", "operations"])
    clock.advance(minutes=5)
    late = register(ledger, campaign)

    overview = operations_overview(ledger, store, today=date(2021, 12, 1), now=clock.now)
    adults = overview.targets[0]
    assert adults.key == "adults_first_dose_2021"
    assert adults.people == 5
    assert adults.denominator_is_estimate
    assert adults.days_left == 30
    assert not adults.met
    assert [(s.site_code, s.day, s.doses, s.capacity_per_day) for s in overview.site_days] == [
        ("HN-01", "2021-11-30", 5, 500)
    ]
    az = next(lot for lot in overview.lots if lot.lot_id == str(campaign.lots["HN-01/EU/1/21/1529"]))
    assert (az.used, az.remaining, az.days_to_expiry, az.near_expiry) == (5, 99_995, 211, False)
    lag = {v.name: v for v in overview.lag}
    assert lag["operations"].behind > 0
    assert lag["operations"].seconds == pytest.approx(0.0, abs=1)
    assert lag["health_book"].position == 0
    assert lag["health_book"].seconds >= 300
    assert late


def test_rebuilding_every_view_gives_the_digests_of_the_live_views(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    people = [register(ledger, campaign) for _ in range(6)]
    for person in people:
        dose(ledger, campaign, person, 1, date(2021, 8, 2))
        dose(ledger, campaign, person, 2, date(2021, 9, 6))
    ledger.void_dose(
        person_id=people[0],
        dose_id=campaign.doses[people[0]][0],
        reason="duplicate",
        actor=ADMIN,
        idempotency_key=key("void"),
    )
    ledger.erase_person(person_id=people[1], reason="request", actor=ADMIN, idempotency_key=key("erase"))
    catch_up_views(ledger, store)
    live = digests(store)
    assert set(live) == set(VIEW_NAMES)

    seen: list[tuple[str, int]] = []
    rebuilt = rebuild(
        ledger, store, progress=lambda name, position, read, head: seen.append((name, position))
    )

    assert rebuilt == live
    assert seen[-1] == ("+".join(VIEW_NAMES), ledger.recorder.max_notification_id())
    assert all(v.behind == 0 for v in view_status(ledger, store))


def test_the_certificate_index_keeps_the_current_certificate_and_lists_withdrawn_ucis(
    ledger: Ledger, store: ViewStore, campaign: Campaign, clock: Clock
) -> None:
    from keys.signing import generate_test_pki
    from ledger.certificates import issue_certificate, revoke_current_certificate
    from projections.queries import (
        certificate_by_uci,
        current_certificate,
        revoked_certificates,
        revoked_ucis,
    )

    signer = generate_test_pki(datetime(2021, 6, 1, tzinfo=UTC)).document_signer
    ana = register(ledger, campaign, name="Trần Thị Ánh")
    binh = register(ledger, campaign, name="Lê Văn Bình")
    for person in (ana, binh):
        dose(ledger, campaign, person, 1, date(2021, 8, 2))
    first = issue_certificate(ledger, ana, signer, now=clock.now)
    dose(ledger, campaign, ana, 2, date(2021, 9, 6))
    second = issue_certificate(ledger, ana, signer, now=clock.now)
    revoked = issue_certificate(ledger, binh, signer, now=clock.now)
    revoke_current_certificate(ledger, binh, reason="issued in error", actor=ADMIN, now=clock.now)
    catch_up_views(ledger, store, ["certificate_index"])

    current = current_certificate(store, ana)
    assert current is not None
    assert (current.uci, current.dose_number, current.status) == (second.uci, 2, "current")
    assert current_certificate(store, binh) is None
    # Booster policy: the certificate dose 2 superseded stays valid; only the revoked one is listed.
    withdrawn = {c.uci: (c.status, c.superseded_by, c.reason) for c in revoked_certificates(store)}
    assert withdrawn == {revoked.uci: ("revoked", None, "issued in error")}
    listed = revoked_certificates(store, include_superseded=True)
    assert {c.uci: (c.status, c.superseded_by) for c in listed}[first.uci] == ("superseded", second.uci)
    assert revoked_ucis(store) == [revoked.uci]

    ledger.erase_person(person_id=ana, reason="request", actor=ADMIN, idempotency_key=key("erase"))
    catch_up_views(ledger, store, ["certificate_index"])
    assert current_certificate(store, ana) is None
    after = certificate_by_uci(store, first.uci)
    assert after is not None
    assert after.person_id is None
    assert revoked_ucis(store) == [revoked.uci]  # erasure revokes nothing: a printed certificate stays true


def test_the_views_read_through_a_reader_that_never_opens_personal_data(
    database_url: str, tmp_path: Path, ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    from ledger.domainmodel import Person
    from projections.reader import LedgerReader

    if database_url == "memory://":
        pytest.skip("an in-memory ledger has no log another application object could read")
    person = register(ledger, campaign, name="Phạm Thị Riêng")
    dose(ledger, campaign, person, 1, date(2021, 8, 2))
    reader = LedgerReader(database_url, key_dir=tmp_path / "keys")
    try:
        registered = [
            reader.mapper.to_domain_event(n)
            for n in reader.recorder.select_notifications(0, 100, inclusive_of_start=False)
            if n.originator_id == person and n.originator_version == 1
        ]
        assert isinstance(registered[0], Person.Registered)
        assert registered[0].full_name.owner == person
        assert registered[0].full_name.value is None  # sealed: never decrypted here
        via_ledger = rebuild(ledger, store)
        assert rebuild(reader, store) == via_ledger
    finally:
        reader.close()

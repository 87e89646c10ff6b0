"""The directory views (sites and lots, people directory, phone index) on memory, SQLite and PostgreSQL:
what they hold, that nothing personal is stored in clear, and that a new view version or a new key
rebuilds a view on the next catch-up, to the same digest as a fresh build."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.settings import parse_database_url
from projections import book_queries
from projections import directory_queries as q
from projections.phone_index import PhoneIndex
from projections.projection import ViewKeys, ViewNeedsKey
from projections.reader import LedgerReader
from projections.registry import catch_up_views, digests, rebuild
from projections.runner import apply_page_to_views
from projections.sites import SitesAndLots
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

PHONE = "0912345678"


def web_keys(secret: bytes) -> ViewKeys:
    """The web's phone handle (HMAC under its secret), as services.read_side builds it."""
    return ViewKeys(phone=lambda phone: hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest())


@pytest.fixture
def ledger(database_url: str, tmp_path: Path) -> Iterator[Ledger]:
    app = open_ledger(database_url, tmp_path / "keys", Clock(datetime(2021, 12, 1, 3, 0, tzinfo=UTC)))
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


_numbers = iter(range(500_000, 600_000))


def register_holder(ledger: Ledger, phone: str | None, *, ward: str = SAIGON_WARD) -> UUID:
    return ledger.register_person(
        national_id=f"079{next(_numbers):09d}",
        full_name="Trần Thị Điện Thoại",
        date_of_birth="1975-03-04",
        sex="female",
        phone=phone,
        ward_code=ward,
        priority_group="HEALTH_WORKER",
        actor=ADMIN,
        idempotency_key=key("holder"),
    )


def test_sites_and_lots_list_every_site_and_where_each_lot_is_now(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    hanoi, saigon = campaign.sites
    moved = campaign.lots[f"HN-01/{PFIZER}"]
    ledger.transfer_lot(lot_id=moved, site_id=saigon, actor=ADMIN, idempotency_key=key("move"))
    ledger.change_site_capacity(site_id=hanoi, capacity_per_day=750, actor=ADMIN, idempotency_key=key("cap"))
    catch_up_views(ledger, store, ["sites_and_lots"])

    sites = q.sites(store)
    assert [(s.code, s.name, s.province_code, s.capacity_per_day) for s in sites] == [
        ("HCM-01", "Trạm y tế HCM-01", "79", 500),
        ("HN-01", "Trạm y tế HN-01", "01", 750),
    ]
    assert [s.code for s in q.sites(store, province="79")] == ["HCM-01"]
    assert q.sites_by_id(store, [str(hanoi), "nope"]).keys() == {str(hanoi)}
    at_saigon = q.lots(store, site_ids=[str(saigon)])
    assert {lot.id for lot in at_saigon} == {
        str(campaign.lots[f"HCM-01/{p}"]) for p in ("EU/1/21/1529", PFIZER)
    } | {str(moved)}
    assert {lot.lot_number for lot in q.lots(store, site_ids=[str(hanoi)])} == {"HN-01-1529"}
    assert all(lot.expiry == date(2022, 6, 30) and lot.quantity == 100_000 for lot in q.lots(store))


def test_the_people_directory_lists_in_registration_order_with_dependants_and_keeps_no_names(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    first = register(ledger, campaign, name="Lê Văn Một")
    child = register(ledger, campaign, guardian=first, born="2015-01-01", name="Lê Văn Con")
    second = register(ledger, campaign, ward=SAIGON_WARD, name="Phạm Thị Hai")
    catch_up_views(ledger, store, ["people_directory"])

    listed = q.people(store, limit=10)
    assert [e.person_id for e in listed] == [first, child, second]
    assert [e.seq for e in listed] == [1, 2, 3]
    assert [e.person_id for e in q.people(store, after=1, limit=1)] == [child]
    assert [(e.person_id, e.relationship) for e in q.dependants_of(store, [first])] == [(child, "child")]
    assert q.directory_entries(store, [second])[second].province_code == "79"
    rows = store.query(f"SELECT * FROM {store.table('people_directory_people')}")
    assert not any(name in str(rows) for name in ("Lê Văn Một", "Lê Văn Con", "Phạm Thị Hai"))

    ledger.erase_person(person_id=second, reason="request", actor=ADMIN, idempotency_key=key("erase"))
    catch_up_views(ledger, store, ["people_directory"])
    erased = q.directory_entries(store, [second])[second]
    assert erased.erased
    assert erased.province_code is None
    assert erased.birth_year is None
    assert digests(store, ["people_directory"]) == rebuild(ledger, store, ["people_directory"])


def test_the_phone_index_keeps_keyed_handles_follows_corrections_and_erasure(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    keys = web_keys(b"web-secret-one")
    holder = register_holder(ledger, "+84 912 345 678")  # typed another way: the same number
    register_holder(ledger, None)
    catch_up_views(ledger, store, ["phone_index"], keys=keys)
    handle = keys.phone(PHONE)
    assert handle is not None
    assert q.people_with_phone(store, handle) == [holder]
    rows = store.query(f"SELECT * FROM {store.table('phone_index_phones')}")
    assert len(rows) == 1
    assert "912345678" not in str(rows)

    ledger.correct_phone(
        person_id=holder, phone="0355123123", reason="new SIM", actor=ADMIN, idempotency_key=key("phone")
    )
    catch_up_views(ledger, store, ["phone_index"], keys=keys)
    assert q.people_with_phone(store, handle) == []
    assert q.people_with_phone(store, keys.phone("0355123123") or "") == [holder]

    ledger.erase_person(person_id=holder, reason="request", actor=ADMIN, idempotency_key=key("erase"))
    catch_up_views(ledger, store, ["phone_index"], keys=keys)
    assert store.query(f"SELECT count(*) FROM {store.table('phone_index_phones')}") == [(0,)]


def test_a_new_key_rebuilds_the_phone_index_and_old_handles_find_nobody(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    holder = register_holder(ledger, PHONE)
    old, new = web_keys(b"web-secret-old"), web_keys(b"web-secret-new")
    catch_up_views(ledger, store, ["phone_index"], keys=old)
    old_handle, new_handle = old.phone(PHONE) or "", new.phone(PHONE) or ""
    assert q.people_with_phone(store, old_handle) == [holder]

    catch_up_views(ledger, store, ["phone_index"], keys=new)  # the web restarted with a new secret

    assert q.people_with_phone(store, old_handle) == []
    assert q.people_with_phone(store, new_handle) == [holder]
    rebuilt = digests(store, ["phone_index"])
    assert rebuild(ledger, store, ["phone_index"], keys=new) == rebuilt  # same as a fresh build

    # the same key again: nothing is rebuilt (the rows stay, a tampered row too)
    stray = "00000000-0000-0000-0000-000000000001"
    store.execute(
        f"INSERT INTO {store.table('phone_index_phones')} (phone_key, person_id) VALUES ('x', ?)", (stray,)
    )
    catch_up_views(ledger, store, ["phone_index"], keys=new)
    assert q.people_with_phone(store, "x") == [UUID(stray)]


def test_a_new_view_version_rebuilds_the_view_on_the_next_catch_up(
    ledger: Ledger, store: ViewStore, campaign: Campaign, monkeypatch: pytest.MonkeyPatch
) -> None:
    catch_up_views(ledger, store, ["sites_and_lots"])
    fresh = digests(store, ["sites_and_lots"])
    sites = store.table("sites_and_lots_sites")
    store.execute(f"UPDATE {sites} SET name = 'tampered'")  # what an old version's bug would leave
    catch_up_views(ledger, store, ["sites_and_lots"])
    assert digests(store, ["sites_and_lots"]) != fresh  # same version: kept as it is

    monkeypatch.setattr(SitesAndLots, "version", 2)
    stale = digests(store, ["sites_and_lots"])  # reading a digest (or the status) changes nothing
    assert stale != fresh
    catch_up_views(ledger, store, ["sites_and_lots"])

    assert digests(store, ["sites_and_lots"]) == fresh
    assert "tampered" not in str(store.query(f"SELECT name FROM {sites}"))
    assert store.query(
        f"SELECT version FROM {store.table('view_versions')} WHERE view_name = 'sites_and_lots'"
    ) == [(2,)]


def test_a_page_another_reader_applied_first_is_not_applied_twice(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    """The web's page-time catch-up and the background runner read the same log: whoever comes second
    finds the view moved on (checked inside its transaction) and reads on from there."""
    view = SitesAndLots.open(store)
    view.view.create_table()
    positions = {view.name: 0}  # read before the other reader ran
    catch_up_views(ledger, store, ["sites_and_lots"])  # the other reader
    fresh = digests(store, ["sites_and_lots"])
    page = ledger.recorder.select_notifications(0, 1000, inclusive_of_start=False)

    apply_page_to_views(ledger, [view], positions, page)

    assert positions[view.name] == page[-1].id
    assert digests(store, ["sites_and_lots"]) == fresh


def test_the_keyed_view_is_refused_without_its_key_or_with_the_sealed_reader(
    ledger: Ledger, store: ViewStore, database_url: str, tmp_path: Path
) -> None:
    with pytest.raises(ViewNeedsKey):
        catch_up_views(ledger, store, ["phone_index"])
    if database_url.startswith("memory"):
        return  # the sealed reader reads a stored log
    reader = LedgerReader(database_url, key_dir=tmp_path / "keys")
    try:
        with pytest.raises(ViewNeedsKey, match="personal data"):
            catch_up_views(reader, store, [PhoneIndex.name], keys=web_keys(b"k"))
    finally:
        reader.close()


def test_a_household_in_one_statement_holders_first_erased_people_marked(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    keys = web_keys(b"web-secret-household")
    holder = register_holder(ledger, PHONE)
    child = register(ledger, campaign, guardian=holder, born="2016-02-02", name="Trần Văn Con")
    other = register_holder(ledger, "0988777666")
    register(ledger, campaign, guardian=other, born="2017-03-03", name="Người Khác")
    catch_up_views(ledger, store, ["people_directory", "phone_index"], keys=keys)
    handle = keys.phone(PHONE)
    assert handle is not None
    rows = q.household(store, handle)
    assert [(is_holder, e.person_id) for is_holder, e in rows] == [(True, holder), (False, child)]
    assert rows[1][1].guardian_id == holder
    assert q.household(store, keys.phone("0911000000") or "") == []

    ledger.erase_person(person_id=child, reason="request", actor=ADMIN, idempotency_key=key("erase-child"))
    catch_up_views(ledger, store, ["people_directory", "phone_index"], keys=keys)
    assert [(h, e.person_id, e.erased) for h, e in q.household(store, handle)] == [
        (True, holder, False),
        (False, child, True),
    ]


def test_doses_with_the_names_of_their_sites_in_one_statement(
    ledger: Ledger, store: ViewStore, campaign: Campaign
) -> None:
    person = register(ledger, campaign)
    dose(ledger, campaign, person, 1, date(2021, 10, 1), site=0)
    dose(ledger, campaign, person, 2, date(2021, 11, 1), site=1)
    nobody = register(ledger, campaign)
    catch_up_views(ledger, store, ["sites_and_lots", "health_book"])
    doses, names = book_queries.doses_with_site_names(store, person)
    assert doses == book_queries.doses_of(store, person)
    assert [d.dose_number for d in doses] == [1, 2]
    assert names == {str(campaign.sites[0]): "Trạm y tế HN-01", str(campaign.sites[1]): "Trạm y tế HCM-01"}
    assert book_queries.doses_with_site_names(store, nobody) == ([], {})


def test_two_readers_on_the_phone_index_s_first_page_apply_it_once(postgres_url: str, tmp_path: Path) -> None:
    """Two web workers bringing the views to the head at start (`immunize serve --workers 2`): on a view's
    first page there is no position row to lock, so both apply it; the phone index inserts rows with a
    key, and the second's insert met the first's commit: a duplicate key, which stopped the worker and
    the whole server ("Worker failed to boot"). The second now reads on from where the first left it."""
    import threading

    ledger = open_ledger(postgres_url, tmp_path / "keys", Clock(datetime(2021, 12, 1, 3, 0, tzinfo=UTC)))
    store = open_view_store(parse_database_url(postgres_url))
    try:
        keys = web_keys(b"web-secret-race")
        holder = register_holder(ledger, PHONE)
        mine = PhoneIndex.open(store, keys)
        mine.view.create_table()
        page = ledger.recorder.select_notifications(0, 1000, inclusive_of_start=False)
        other_done: list[int] = []

        def the_other_reader_commits_first(_events: object, _batch: object) -> None:
            # Inside our page's transaction, after its position check found no row: the other worker
            # applies the same page and commits before we write anything.
            if not other_done:
                thread = threading.Thread(
                    target=lambda: other_done.append(
                        catch_up_views(ledger, store, ["phone_index"], keys=keys)
                    )
                )
                thread.start()
                thread.join(timeout=60)
                assert other_done, "the other reader did not finish"

        mine.prefetch = the_other_reader_commits_first  # type: ignore[method-assign]
        positions = {mine.name: 0}

        apply_page_to_views(ledger, [mine], positions, page)

        assert other_done
        assert positions[mine.name] == page[-1].id
        handle = keys.phone(PHONE)
        assert handle is not None
        assert q.people_with_phone(store, handle) == [holder]
        assert store.query(f"SELECT count(*) FROM {store.table('phone_index_phones')}") == [(1,)]
    finally:
        store.close()
        ledger.close()

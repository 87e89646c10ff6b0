"""A page applied to several views in one transaction (projections.runner._apply_together), on every
store: the same rows as view by view, one transaction for the page, and when another reader moved one
view on meanwhile, the whole page is rolled back and applied view by view, nothing twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ledger.settings import parse_database_url
from projections.digest import digest
from projections.runner import _apply_together, apply_page_to_views, catch_up
from projections.store import ViewStore, open_view_store
from tests.integration.projections.toyledger import Clinic, Tally, clinic_for


class OtherTally(Tally):
    """The same view under another name (its own tables and position)."""

    name = "other_tally"


@pytest.fixture
def clinic(database_url: str) -> Iterator[Clinic]:
    app = clinic_for(database_url)
    yield app
    app.close()


@pytest.fixture
def store(database_url: str) -> Iterator[ViewStore]:
    views = open_view_store(parse_database_url(database_url))
    yield views
    views.close()


def _page(clinic: Clinic) -> list:  # type: ignore[type-arg]
    return list(clinic.recorder.select_notifications(0, 1000, inclusive_of_start=False))


def test_one_transaction_gives_the_rows_of_view_by_view(clinic: Clinic, store: ViewStore) -> None:
    clinic.register_many(["01", "79", "79"], doses_each=2)
    page = _page(clinic)
    together = [Tally(Tally.recorder(store)), OtherTally(OtherTally.recorder(store))]
    for view in together:
        view.view.create_table()
    positions = {v.name: 0 for v in together}
    decoded = {n.id: clinic.mapper.to_domain_event(n) for n in page}
    assert _apply_together(clinic, together, positions, page, decoded)
    assert positions == {"tally": page[-1].id, "other_tally": page[-1].id}
    together_digests = [digest(v.view) for v in together]
    for view in together:
        view.view.drop_tables()
    one_by_one = [Tally(Tally.recorder(store)), OtherTally(OtherTally.recorder(store))]
    for view in one_by_one:
        catch_up(clinic, view)  # one view: its own transaction per page
    assert [digest(v.view) for v in one_by_one] == together_digests


def test_a_view_moved_on_by_another_reader_rolls_the_page_back_and_nothing_is_applied_twice(
    clinic: Clinic, store: ViewStore
) -> None:
    clinic.register_many(["01", "79"], doses_each=2)
    page = _page(clinic)
    first, second = Tally(Tally.recorder(store)), OtherTally(OtherTally.recorder(store))
    for view in (first, second):
        view.view.create_table()
    catch_up(clinic, second)  # another reader took `second` to the head already
    expected_second = digest(second.view)
    positions = {first.name: 0, second.name: 0}  # what this reader read before
    decoded = {n.id: clinic.mapper.to_domain_event(n) for n in page}
    assert not _apply_together(clinic, [first, second], positions, page, decoded)
    assert first.view.max_tracking_id(clinic.name) is None  # rolled back with the page
    apply_page_to_views(clinic, [first, second], {first.name: 0, second.name: 0}, page)
    assert first.view.max_tracking_id(clinic.name) == page[-1].id
    assert digest(second.view) == expected_second  # not applied a second time
    applied = digest(first.view)
    first.view.drop_tables()
    catch_up(clinic, Tally(Tally.recorder(store)))  # a rebuild of `first` alone
    assert digest(Tally.recorder(store)) == applied

"""A gunicorn worker whose first open of the store lost a race with its sibling tries again (a worker
that fails to boot stops the whole server)."""

from __future__ import annotations

import pytest

from cli.multiprocess import opened_despite_a_sibling
from ledger.errors import StoreError

RACE = "The ledger database postgresql://…/db cannot be opened: tuple concurrently updated"


def test_a_lost_race_at_start_is_tried_again() -> None:
    calls: list[int] = []
    pauses: list[float] = []

    def make() -> str:
        calls.append(1)
        if len(calls) == 1:
            raise StoreError(RACE)
        return "app"

    assert opened_despite_a_sibling(make, pause=pauses.append) == "app"
    assert len(calls) == 2
    assert len(pauses) == 1


def test_other_failures_and_a_race_lost_every_time_are_not_hidden() -> None:
    def broken() -> str:
        raise StoreError(
            "The ledger database postgresql://…/db cannot be opened: password authentication failed"
        )

    with pytest.raises(StoreError, match="password"):
        opened_despite_a_sibling(broken, pause=lambda _s: None)

    tries: list[int] = []

    def always() -> str:
        tries.append(1)
        raise StoreError(RACE)

    with pytest.raises(StoreError, match="concurrently"):
        opened_despite_a_sibling(always, attempts=3, pause=lambda _s: None)
    assert len(tries) == 3

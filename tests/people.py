"""People in registration order for tests, read as the CLI reads them: the people_directory view."""

from __future__ import annotations

from ledger.application import Ledger
from ledger.records import PersonRecord
from projections.store import open_view_store
from services.people import list_people


def listed(ledger: Ledger, limit: int = 100, after: int = 0) -> list[PersonRecord]:
    """The first `limit` people registered after number `after` (the view is caught up first)."""
    store = open_view_store(ledger.store)
    try:
        return list_people(ledger, store, limit=limit, after=after)
    finally:
        store.close()

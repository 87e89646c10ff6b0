"""The ledger a command works on (the one on IMMUNIZE_DATABASE_URL, closed when the command ends) and its views."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ledger.application import Ledger
from projections.queries import revoked_ucis
from projections.registry import catch_up_views
from projections.store import open_view_store


@contextmanager
def open_ledger() -> Iterator[Ledger]:
    """The ledger on IMMUNIZE_DATABASE_URL, closed afterwards."""
    ledger = Ledger()
    try:
        yield ledger
    finally:
        ledger.close()


def revoked_ucis_caught_up() -> list[str]:
    """The revoked UCIs, read from the `certificate_index` projection after catching it up.

    The one read side for withdrawn UCIs (issue 11): `immunize certificate withdrawn` and
    `immunize keys revocation-list` both print what verifiers will be told.
    """
    with open_ledger() as ledger:
        store = open_view_store(ledger.store)
        try:
            catch_up_views(ledger, store, ["certificate_index"])
            return revoked_ucis(store)
        finally:
            store.close()

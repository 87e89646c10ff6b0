"""The ledger a command works on: the one on IMMUNIZE_DATABASE_URL, closed when the command ends."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ledger.application import Ledger


@contextmanager
def open_ledger() -> Iterator[Ledger]:
    """The ledger on IMMUNIZE_DATABASE_URL, closed afterwards."""
    ledger = Ledger()
    try:
        yield ledger
    finally:
        ledger.close()

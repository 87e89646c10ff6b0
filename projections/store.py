"""Where the views live: tables in the ledger's own database, through the one storage module.

Views are written once in portable SQL (`?` placeholders, `INSERT ... ON CONFLICT ... DO UPDATE`,
`RETURNING`), which SQLite (>= 3.35) and PostgreSQL both accept; ledger.database converts the
placeholders and escapes `%`. For an in-memory ledger (`memory://`, unit tests) the views go to an
in-memory SQLite database of the same process.
"""

from __future__ import annotations

from ledger.database import Cursor, Database, DatabaseError, Params, Row
from ledger.settings import StoreSettings

__all__ = ["Cursor", "Params", "Row", "ViewStore", "ViewStoreError", "open_view_store"]

ViewStore = Database
ViewStoreError = DatabaseError


def open_view_store(settings: StoreSettings) -> ViewStore:
    """The view store of a ledger: the process's Database for that URL (memory for `memory://`)."""
    return Database.shared(settings)

"""A read of the view store: one statement in a read transaction, every row."""

from __future__ import annotations

from typing import Any

from projections.store import Row, ViewStore


def read_rows(store: ViewStore, sql: str, *params: Any) -> list[Row]:
    """The rows of one read statement (`?` placeholders), in a read-only transaction."""
    with store.transaction(write=False) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()

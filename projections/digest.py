"""A view's fingerprint: SHA-256 over its rows in a canonical order and encoding.

Rows are streamed sorted by every column (text bytewise: COLLATE "C" on PostgreSQL, SQLite's
default BINARY), each row encoded as compact JSON. The tracking position is left out, so a rebuilt
view, the live view and a view replayed from an export (whatever its notification ids) agree when
their contents agree - on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
import json

from projections.recorder import ViewRecorder


def digest(view: ViewRecorder) -> str:
    """The hex SHA-256 of the view's contents."""
    sha = hashlib.sha256()
    store = view.store
    with store.transaction(write=False) as cursor:
        for table in sorted(view.tables, key=lambda t: t.name):
            sha.update(f"table {table.name}\n".encode())
            order = ", ".join(
                (f'{name} COLLATE "C"' if store.dialect == "postgres" and table.is_text(name) else name)
                + " NULLS FIRST"
                for name in table.column_names
            )
            sql = f"SELECT {', '.join(table.column_names)} FROM {view.t(table.name)} ORDER BY {order}"
            for row in cursor.stream(sql):
                sha.update(json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode())
                sha.update(b"\n")
    return sha.hexdigest()

"""`immunize backup` and `immunize restore`: one portable file for SQLite and PostgreSQL ledgers.

The file is gzip-compressed JSON Lines in the audit export's format (see projections.audit.jsonlines)
with format "immunize-backup": the header (ledger identity, audit public keys, source store kind),
every stored event with its Merkle leaf hash (written with the event), the signed checkpoints, the rows of the personal key store (data keys wrapped by the master key, the national
ID index: the master key itself is NOT in the backup), and a trailer with counts, chain head and a
SHA-256 of everything before it.

Restore only goes into an empty store, in ONE transaction: events (positions kept) with their
leaves (recomputed, the tree rebuilt as the ledger's recorder builds it), checkpoints, keys and key-store rows commit together after every line verified, or nothing does.
Projections are then rebuilt from the restored log (their digests are printed by the CLI).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ledger.keytables import HOLDS_TABLE, INDEX_TABLE, KEYS_TABLE, key_tables_ddl
from ledger.settings import StoreSettings
from projections.audit.auditkey import AuditPublicKey
from projections.audit.database import DEFAULT_APP_NAME, Database, StoredRow, create_events_table
from projections.audit.errors import AuditError, FileFormatError
from projections.audit.jsonlines import (
    BACKUP_FORMAT,
    CheckpointItem,
    EventItem,
    LogFileReader,
    LogFileWriter,
    RowItem,
    Trailer,
)
from projections.audit.tree import (
    create_tables,
    ledger_identity,
    load_checkpoints,
    load_public_keys,
    register_key,
    store_checkpoint,
    tables,
)
from projections.audit.verify import TrustedKeys, WalkState, walk

# The personal key store of the ledger (ledger/personaldata.py), backed up row by row.
PERSONAL_TABLES = (KEYS_TABLE, INDEX_TABLE)
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
BATCH = 5000


def _encode_value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)


def _decode_value(value: Any, line: int) -> Any:
    if isinstance(value, dict):
        text = value.get("b64")
        if set(value) != {"b64"} or not isinstance(text, str):
            raise FileFormatError("a key-store value is neither plain nor {'b64': ...}", line)
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FileFormatError("a key-store value is not valid base64", line) from exc
    if value is None or isinstance(value, str | int | float):
        return value
    raise FileFormatError("a key-store value has an unsupported type", line)


def _table_exists(db: Database, name: str) -> bool:
    if db.kind == "sqlite":
        return bool(db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)))
    return bool([r for r in db.execute("SELECT to_regclass(?)", (db.table(name),)) if r[0]])


def _table_rows(db: Database, name: str) -> Iterator[dict[str, Any]]:
    if not _table_exists(db, name):
        return
    columns = _columns(db, name)
    for row in db.execute(f"SELECT {', '.join(columns)} FROM {db.table(name)} ORDER BY {columns[0]}"):
        yield {column: _encode_value(value) for column, value in zip(columns, row, strict=True)}


def _columns(db: Database, name: str) -> list[str]:
    if db.kind == "sqlite":
        return [str(r[1]) for r in db.execute(f"PRAGMA table_info({name})")]
    schema = db.settings.schema or "public"
    rows = db.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
        "ORDER BY ordinal_position",
        (schema, name),
    )
    return [str(r[0]) for r in rows]


@dataclass(frozen=True)
class BackupSummary:
    """What a backup file holds."""

    ledger: str | None
    events: int
    chained: int
    checkpoints: int
    rows: dict[str, int]
    head_position: int


def write_backup(
    db: Database,
    out: IO[bytes],
    trusted: TrustedKeys,
    now: datetime,
    on_progress: Callable[[int], None] | None = None,
    extra_tables: Sequence[str] = (),
) -> BackupSummary:
    """Write the whole ledger (events, chain, checkpoints, key store) to `out` as gzip JSON Lines.

    The chained part is verified while it is read: a tampered ledger is not backed up silently.
    `extra_tables` are other tables of the same database whose rows cannot be rebuilt from the log
    (the CLI passes the web's staff accounts), written row by row like the key store.
    """
    ledger = ledger_identity(db)
    create_tables(db)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=1, mtime=0) as zipped:
        writer = LogFileWriter(zipped)  # type: ignore[arg-type]
        writer.header(
            BACKUP_FORMAT,
            ledger,
            list(load_public_keys(db).values()),
            created_at=now.isoformat(),
            app=db.app_name,
            source=db.kind,
        )
        state = WalkState()
        chained = 0
        for page in walk(db, trusted, state, on_progress):
            for item in page:
                writer.event(item.row, item.leaf)
                chained += 1
                if item.checkpoint is not None:
                    writer.checkpoint(item.checkpoint)
        for table in (*PERSONAL_TABLES, *extra_tables):
            for values in _table_rows(db, table):
                writer.row(table, values)
        writer.trailer()
    return BackupSummary(
        ledger, writer.events, chained, writer.checkpoints, dict(writer.rows), writer.head_position
    )


def _key_table_on(db: Database) -> None:
    """Create the ledger's key-store tables with the ledger's own DDL, on this connection."""
    for statement in key_tables_ddl(db.table, db.blob):
        db.execute(statement)


def check_target_empty(db: Database, backup_ledger: str | None, extra_tables: Sequence[str] = ()) -> None:
    """Restore only into an empty store; name the ledger (or the table) the target already holds."""
    count = db.count_events()
    if count:
        target = ledger_identity(db)
        if target != backup_ledger:
            raise AuditError(
                f"the backup is of ledger {backup_ledger or '(empty)'} but the target store holds another ledger, "
                f"{target} ({count} events): restore only into an empty database"
            )
        raise AuditError(
            f"the target store already holds this ledger ({count} events): restore only into an empty database"
        )
    for table in ("transparency_checkpoints", *PERSONAL_TABLES, *extra_tables):
        if not _table_exists(db, table):
            continue
        rows = int(db.execute(f"SELECT COUNT(*) FROM {db.table(table)}")[0][0])
        if rows:
            raise AuditError(
                f"the target store has no events but its table {table} holds {rows} rows: "
                "restore only into an empty database"
            )
    if db.execute(f"SELECT COUNT(*) FROM {tables(db).leaves}")[0][0]:
        raise AuditError(
            "the target store has no events but holds Merkle leaves: restore only into an empty database"
        )


@dataclass(frozen=True)
class RestoreSummary:
    """What a restore wrote."""

    ledger: str | None
    events: int
    checkpoints: int
    rows: dict[str, int]
    head_position: int
    pinned: bool


def restore_backup(
    path: Path,
    settings: StoreSettings,
    pinned: list[AuditPublicKey],
    on_progress: Callable[[int], None] | None = None,
    app_name: str = DEFAULT_APP_NAME,
    extra_tables: Sequence[str] = (),
    prepare: Callable[[StoreSettings], None] | None = None,
) -> RestoreSummary:
    """Verify a backup and load it into an empty store, all or nothing.

    `prepare` creates the `extra_tables` (their owners' DDL) before the restoring transaction.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise AuditError(f"cannot read the backup {path}: {exc.strerror}") from exc
    with handle:
        if handle.peek(2)[:2] != b"\x1f\x8b":
            raise FileFormatError(f"{path} is not a gzip file: it is not an immunize backup")
        with Database(settings, app_name) as db:
            # Tables first (empty tables are not data); then everything else in one transaction.
            create_events_table(settings, app_name)
            create_tables(db)
            _key_table_on(db)
            if prepare is not None:
                prepare(settings)
            reader = LogFileReader(handle, BACKUP_FORMAT, pinned)
            rows: dict[str, int] = {}
            with db.transaction():
                items = reader.items()
                batch: list[StoredRow] = []
                trailer: Trailer | None = None
                checked_target = False
                key_rows = _KeyRows(db, (*PERSONAL_TABLES, *extra_tables))
                for item in items:
                    if not checked_target:
                        assert reader.header is not None
                        check_target_empty(db, reader.header.ledger, extra_tables)
                        for key in reader.header.keys.values():
                            register_key(db, key)
                        checked_target = True
                    if isinstance(item, EventItem):
                        batch.append(item.row)
                        if len(batch) >= BATCH:
                            _flush(db, batch, on_progress)
                    elif isinstance(item, CheckpointItem):
                        _flush(db, batch, on_progress)
                        store_checkpoint(db, item.checkpoint)
                    elif isinstance(item, RowItem):
                        _flush(db, batch, on_progress)
                        key_rows.add(item)
                        rows[item.table] = rows.get(item.table, 0) + 1
                    else:
                        trailer = item
                _flush(db, batch, on_progress)
                key_rows.flush()
                # Numbers held from online registration are derived from the log: emptied (the marker
                # too), the ledger reads them from the restored log when it next opens (ledger.base).
                db.execute(f"DELETE FROM {db.table(HOLDS_TABLE)}")
                assert trailer is not None
                assert reader.header is not None
                assert reader.trusted is not None
                db.reset_position_sequence()
            checkpoints = load_checkpoints(db)
    return RestoreSummary(
        reader.header.ledger,
        trailer.events,
        len(checkpoints),
        rows,
        trailer.head_position,
        reader.trusted.pinned,
    )


def _flush(
    db: Database,
    batch: list[StoredRow],
    on_progress: Callable[[int], None] | None,
) -> None:
    if batch:
        db.insert_events(batch)  # with their leaves, as the ledger's recorder writes them
        if on_progress is not None:
            on_progress(len(batch))
        batch.clear()


class _KeyRows:
    """Key-store rows checked against the target's own columns, inserted in batches."""

    def __init__(self, db: Database, tables: Sequence[str]) -> None:
        self._db = db
        self._columns = {table: set(_columns(db, table)) for table in tables if _table_exists(db, table)}
        self._pending: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = {}
        self._lines: dict[tuple[str, tuple[str, ...]], int] = {}

    def add(self, item: RowItem) -> None:
        if item.table not in self._columns:
            raise FileFormatError(f"table {item.table!r} is not one this restore writes", item.line)
        if not item.values:
            raise FileFormatError("a key-store row has no values", item.line)
        columns = tuple(item.values)
        known = self._columns[item.table]
        for column in columns:
            if not _COLUMN.match(column) or column not in known:
                raise FileFormatError(f"table {item.table!r} has no column {column!r}", item.line)
        key = (item.table, columns)
        self._pending.setdefault(key, []).append([_decode_value(item.values[c], item.line) for c in columns])
        self._lines[key] = item.line
        if len(self._pending[key]) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for (table, columns), values in self._pending.items():
            try:
                self._db.executemany(
                    f"INSERT INTO {self._db.table(table)} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' * len(columns))})",
                    values,
                )
            except AuditError as exc:
                raise FileFormatError(
                    f"the key-store rows up to this line cannot be restored: {exc}",
                    self._lines[(table, columns)],
                ) from exc
        self._pending.clear()


__all__ = ["BackupSummary", "RestoreSummary", "check_target_empty", "restore_backup", "write_backup"]


def master_key_problem(settings: StoreSettings) -> str | None:
    """After a restore: can this installation's master key open the restored personal keys?

    The master key is never in a backup; a restore on another machine needs it configured
    (IMMUNIZE_MASTER_KEY or the master key file). Returns what is wrong, or None when it fits.
    """
    from uuid import UUID

    from ledger.application import Ledger
    from ledger.errors import LedgerError

    with Database(settings) as db:
        if not _table_exists(db, KEYS_TABLE):
            return None
        rows = db.execute(f"SELECT owner FROM {db.table(KEYS_TABLE)} LIMIT 1")
    if not rows:
        return None
    try:
        ledger = Ledger(settings.url)
        try:
            ledger.keys.key(UUID(str(rows[0][0])))
        finally:
            ledger.close()
    except LedgerError as exc:
        return str(exc)
    return None

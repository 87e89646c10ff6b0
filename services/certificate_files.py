# ruff: noqa: S608  -- SQL text holds only this module's constant table names; values are always bound.
"""Rendered certificates (HC1, PNG, SVG, PDF), rendered once off the request and read on download.

Two tables in the ledger's own database (through ledger.database), so every web worker and every host on
the same IMMUNIZE_DATABASE_URL sees the same files with no shared volume, writes are transactional, and
PostgreSQL backups carry them with the ledger:

- `certificate_renderings`: the files. Each is content-addressed (its key is the SHA-256 of its bytes, the
  download's strong ETag). The bytes hold personal data (name, birth date), so they are sealed at rest with
  the person's own data key (AES-GCM, ledger.personaldata): erasing the person shreds them.
- `certificate_rendering_index`: one row per certificate (no personal data) saying whose it is (the person
  and the holder whose phone signs in for them), whether it is the one to hand out (`state`: current,
  stale after a correction, superseded, revoked; it only moves forward, so the issuing request's mark
  and the renderer's replay of the log can arrive in either order), what it says (kid, status, dn/sd,
  the numbering rules' fingerprint, expiry) and whether its files are stored (the render queue).

A download is one indexed read of both (`download`): no ledger aggregate, no key file, no signature check.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.application import Ledger
from ledger.database import Cursor, Database, DatabaseError

TABLE = "certificate_renderings"
INDEX = "certificate_rendering_index"
POSITIONS = "certificate_rendering_positions"
_NONCE = 12
ALL_FORMATS = frozenset({"hc1", "png", "svg", "pdf"})  # a certificate is rendered when all four are stored

# The index's states, in the only order a certificate moves through them (a rank never goes down,
# except stale -> current when an issuing request found the certificate still true).
CURRENT, STALE, SUPERSEDED, REVOKED = "current", "stale", "superseded", "revoked"
RANK = {CURRENT: 0, STALE: 1, SUPERSEDED: 2, REVOKED: 3}


@dataclass(frozen=True)
class Rendering:
    """One stored file of a certificate: its bytes and their SHA-256 (hex)."""

    data: bytes
    sha256: str


@dataclass(frozen=True)
class Entry:
    """What the index says of one certificate (no personal data)."""

    uci: str
    certificate_id: UUID
    person_id: UUID
    holder_id: UUID
    kid: str
    status: str
    dose_number: int
    series_doses: int
    rules: str
    expires_at: str  # ISO 8601
    state: str = CURRENT
    rendered: bool = False


@dataclass(frozen=True)
class Found:
    """A download's one read: the current certificate of a person, whose phone may have it, and the
    sealed file of the asked format (None when it is not rendered yet)."""

    uci: str
    holder_id: UUID
    sha256: str | None
    sealed: bytes | None
    person_id: UUID
    kid: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Tables:
    """The three tables on one Database (created on first use)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.files = db.table(TABLE)
        self.index = db.table(INDEX)
        self.positions = db.table(POSITIONS)
        schema = [
            f"CREATE TABLE IF NOT EXISTS {self.files} (sha256 TEXT PRIMARY KEY, uci TEXT NOT NULL, "
            f"fmt TEXT NOT NULL, person_id TEXT NOT NULL, sealed {db.blob} NOT NULL, UNIQUE (uci, fmt))",
            f"CREATE INDEX IF NOT EXISTS {_plain(TABLE + '_person')} ON {self.files} (person_id)",
            f"CREATE TABLE IF NOT EXISTS {self.index} (uci TEXT PRIMARY KEY, certificate_id TEXT NOT NULL, "
            "person_id TEXT NOT NULL, holder_id TEXT NOT NULL, state TEXT NOT NULL, state_rank INTEGER "
            "NOT NULL, kid TEXT NOT NULL, status TEXT NOT NULL, dose_number INTEGER NOT NULL, "
            "series_doses INTEGER NOT NULL, rules TEXT NOT NULL, expires_at TEXT NOT NULL, "
            "rendered INTEGER NOT NULL DEFAULT 0, seen INTEGER NOT NULL DEFAULT 0)",
            f"CREATE INDEX IF NOT EXISTS {_plain(INDEX + '_person')} ON {self.index} (person_id, uci)",
            f"CREATE INDEX IF NOT EXISTS {_plain(INDEX + '_queue')} ON {self.index} "
            "(state_rank, rendered, uci)",
            f"CREATE TABLE IF NOT EXISTS {self.positions} (name TEXT PRIMARY KEY, position BIGINT NOT NULL)",
        ]
        try:
            db.script(schema)
        except DatabaseError:
            # PostgreSQL: two processes starting at once (web workers, the renderer) may race on CREATE
            # TABLE IF NOT EXISTS (a duplicate type); the other one created the tables, so once more.
            time.sleep(0.2)
            db.script(schema)


def _plain(name: str) -> str:
    """An index's name: never schema-qualified (PostgreSQL puts it in its table's schema)."""
    return '"' + name + '"'


_tables: weakref.WeakKeyDictionary[Ledger, _Tables] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def tables(ledger: Ledger) -> _Tables:
    """The ledger's rendering tables (a memory ledger gets an in-memory SQLite database of its own)."""
    with _tables_lock:
        found = _tables.get(ledger)
        if found is None:
            db = Database.shared(ledger.store)
            weakref.finalize(ledger, db.close)  # this ledger's use of the process's pool ends with it
            found = _tables[ledger] = _Tables(db)
        return found


def _aad(person_id: UUID, uci: str, fmt: str) -> bytes:
    # Bound to its owner, certificate and format: a sealed file cannot be moved to another row.
    return person_id.bytes + f"|{uci}|{fmt}".encode()


def seal(key: bytes, person_id: UUID, uci: str, fmt: str, data: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(key).encrypt(nonce, data, _aad(person_id, uci, fmt))


def open_sealed(key: bytes, person_id: UUID, uci: str, fmt: str, sealed: bytes) -> bytes | None:
    try:
        return AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], _aad(person_id, uci, fmt))
    except InvalidTag:  # a row moved, or a key that is not this person's: never served
        return None


def _file_rows(
    ledger: Ledger, person_id: UUID, uci: str, files: dict[str, bytes]
) -> list[tuple[object, ...]]:
    key = ledger.keys.key(person_id)
    if key is None:
        return []
    return [
        (content_hash(data), uci, fmt, person_id.hex, seal(key, person_id, uci, fmt, data))
        for fmt, data in files.items()
    ]


def _insert_files(t: _Tables, cursor: Cursor, rows: Sequence[tuple[object, ...]]) -> None:
    cursor.executemany(
        f"INSERT INTO {t.files} (sha256, uci, fmt, person_id, sealed) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        rows,
    )


def store(ledger: Ledger, person_id: UUID, uci: str, files: dict[str, bytes]) -> dict[str, str]:
    """Seal and keep a certificate's files (format -> bytes) and, when they are all four, mark it rendered,
    in one transaction (these formats or none); returns format -> SHA-256. Nothing is kept when the person
    has no data key (erased)."""
    rows = _file_rows(ledger, person_id, uci, files)
    if not rows:
        return {}
    t = tables(ledger)
    with t.db.transaction(write=True) as cursor:
        _insert_files(t, cursor, rows)
        if files.keys() >= ALL_FORMATS:
            cursor.execute(f"UPDATE {t.index} SET rendered = 1 WHERE uci = ?", (uci,))
    return {str(row[2]): str(row[0]) for row in rows}


def load(ledger: Ledger, uci: str, fmt: str) -> Rendering | None:
    """The stored file of that certificate and format, or None (never rendered, or its owner erased)."""
    t = tables(ledger)
    found = t.db.query(
        f"SELECT sha256, person_id, sealed FROM {t.files} WHERE uci = ? AND fmt = ?", (uci, fmt)
    )
    if not found:
        return None
    sha, person, sealed = found[0]
    owner = UUID(hex=str(person))
    key = ledger.keys.key(owner)
    data = None if key is None else open_sealed(key, owner, uci, fmt, bytes(sealed))
    return None if data is None else Rendering(data, str(sha))


def complete(ledger: Ledger, uci: str, formats: tuple[str, ...]) -> bool:
    """Whether every format of that certificate is stored (a re-render skips it)."""
    t = tables(ledger)
    found = t.db.query(f"SELECT COUNT(*) FROM {t.files} WHERE uci = ?", (uci,))
    return int(found[0][0]) >= len(formats)


# ---- the index --------------------------------------------------------------------------------------


def _index_row(entry: Entry, state: str) -> tuple[object, ...]:
    return (
        entry.uci,
        entry.certificate_id.hex,
        entry.person_id.hex,
        entry.holder_id.hex,
        state,
        RANK[state],
        entry.kid,
        entry.status,
        entry.dose_number,
        entry.series_doses,
        entry.rules,
        entry.expires_at,
    )


def _upsert(t: _Tables, cursor: Cursor, entry: Entry, state: str) -> None:
    """Insert the certificate's row, or move an existing one forward to `state` (never back)."""
    cursor.execute(_insert_index(t), _index_row(entry, state))
    _advance(t, cursor, entry.uci, state)


def _insert_index(t: _Tables) -> str:
    return (
        f"INSERT INTO {t.index} (uci, certificate_id, person_id, holder_id, state, state_rank, kid, status, "
        "dose_number, series_doses, rules, expires_at, rendered) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
        "ON CONFLICT (uci) DO NOTHING"
    )


def _advance_sql(t: _Tables) -> str:
    return f"UPDATE {t.index} SET state = ?, state_rank = ? WHERE uci = ? AND state_rank < ?"


def _advance_row(uci: str, state: str) -> tuple[object, ...]:
    return (state, RANK[state], uci, RANK[state])


def _advance(t: _Tables, cursor: Cursor, uci: str, state: str) -> None:
    cursor.execute(_advance_sql(t), _advance_row(uci, state))


def mark_issued(ledger: Ledger, entry: Entry, superseded_uci: str | None) -> None:
    """An issuing request's mark, right after its transaction committed: this certificate is the one to
    hand out (a stale one found still true becomes current again) and the one it replaced is not. The
    renderer replays the same from the log, so a crash between the commit and this mark loses nothing."""
    t = tables(ledger)
    with t.db.transaction(write=True) as cursor:
        _upsert(t, cursor, entry, CURRENT)
        cursor.execute(
            f"UPDATE {t.index} SET state = ?, state_rank = ? WHERE uci = ? AND state = ?",
            (CURRENT, RANK[CURRENT], entry.uci, STALE),
        )
        if superseded_uci is not None:
            _advance(t, cursor, superseded_uci, SUPERSEDED)


def store_issued(ledger: Ledger, issued: Sequence[tuple[Entry, str | None, dict[str, bytes]]]) -> None:
    """Certificates just issued outside a request (a re-issue batch): each marked current (the one it
    replaced superseded) and its files stored, all in one transaction. One stored without its PDF stays
    in the render queue: the renderer draws the rest in the background (or a first download does, once)."""
    t = tables(ledger)
    ledger.keys.prefetch(
        [entry.person_id for entry, _, _ in issued]
    )  # one query for the stale ones, not one each
    rows = [
        (entry, replaced, _file_rows(ledger, entry.person_id, entry.uci, files))
        for entry, replaced, files in issued
    ]
    if not rows:
        return
    # Each kind of statement once for the whole batch. The end state is the one of doing each certificate
    # in turn: the new UCIs are fresh, and a state only moves forward (so `current`, the lowest rank, needs
    # no update).
    index_rows = [_index_row(entry, CURRENT) for entry, _, _ in rows]
    superseded = [replaced for _, replaced, _ in rows if replaced is not None]
    files = [row for _, _, entry_files in rows for row in entry_files]
    complete = [
        entry.uci for entry, _, entry_files in rows if {str(row[2]) for row in entry_files} >= ALL_FORMATS
    ]
    with t.db.transaction(write=True) as cursor:
        if t.db.dialect == "postgres":
            _store_issued_pg(t, cursor, index_rows, superseded, files, complete)
            return
        # SQLite: executemany (one prepared statement stepped per row, in process).
        cursor.executemany(_insert_index(t), index_rows)
        if superseded:
            cursor.executemany(_advance_sql(t), [_advance_row(uci, SUPERSEDED) for uci in superseded])
        if files:
            _insert_files(t, cursor, files)
        if complete:
            cursor.executemany(f"UPDATE {t.index} SET rendered = 1 WHERE uci = ?", [(u,) for u in complete])


# The index's columns as PostgreSQL arrays (unnest), sent in binary: a whole batch in one statement per
# kind, where executemany sent, and the server bound and ran, one statement per row. Measured on 200
# certificates' files (2 rows each): client 27 -> 7 us and server ~60 -> ~10 us a certificate (as text
# arrays it was worse than executemany: 64 and 120 us, each bytea escaped as hex).
_INDEX_TYPES = (
    "text", "text", "text", "text", "text", "int", "text", "text", "int", "int", "text", "text"
)  # fmt: skip
_FILE_TYPES = ("text", "text", "text", "text", "bytea")


def _columns(rows: Sequence[Sequence[object]], width: int) -> list[list[object]]:
    return [[row[n] for row in rows] for n in range(width)]


def _unnest(types: Sequence[str]) -> str:
    return "unnest(" + ", ".join(f"?::{kind}[]" for kind in types) + ")"


def _store_issued_pg(
    t: _Tables,
    cursor: Cursor,
    index_rows: Sequence[Sequence[object]],
    superseded: Sequence[str],
    files: Sequence[Sequence[object]],
    complete: Sequence[str],
) -> None:
    cursor.execute_binary(
        f"INSERT INTO {t.index} (uci, certificate_id, person_id, holder_id, state, state_rank, kid, status, "
        "dose_number, series_doses, rules, expires_at) SELECT * FROM "
        + _unnest(_INDEX_TYPES)
        + " ON CONFLICT (uci) DO NOTHING",
        _columns(index_rows, len(_INDEX_TYPES)),
    )
    if superseded:
        rank = RANK[SUPERSEDED]
        cursor.execute_binary(
            f"UPDATE {t.index} SET state = ?, state_rank = ? FROM unnest(?::text[]) AS u(uci) "
            f"WHERE {t.index}.uci = u.uci AND {t.index}.state_rank < ?",
            (SUPERSEDED, rank, list(superseded), rank),
        )
    if files:
        cursor.execute_binary(
            f"INSERT INTO {t.files} (sha256, uci, fmt, person_id, sealed) SELECT * FROM "
            + _unnest(_FILE_TYPES)
            + " ON CONFLICT DO NOTHING",
            _columns(files, len(_FILE_TYPES)),
        )
    if complete:
        cursor.execute_binary(
            f"UPDATE {t.index} SET rendered = 1 FROM unnest(?::text[]) AS u(uci) WHERE {t.index}.uci = u.uci",
            (list(complete),),
        )


def mark(ledger: Ledger, uci: str, state: str) -> None:
    """Move one certificate forward (superseded, revoked) at once, e.g. right after a revocation committed."""
    t = tables(ledger)
    with t.db.transaction(write=True) as cursor:
        _advance(t, cursor, uci, state)


def download(ledger: Ledger, person_id: UUID, fmt: str) -> Found | None:
    """The one read a download makes: the person's current certificate and its stored file of `fmt`
    (indexed on person and state, then on UCI and format), or None when the person has none."""
    t = tables(ledger)
    rows = t.db.query(
        f"SELECT i.uci, i.holder_id, f.sha256, f.sealed, i.kid FROM {t.index} i LEFT JOIN {t.files} f "
        "ON f.uci = i.uci AND f.fmt = ? WHERE i.person_id = ? AND i.state_rank = 0 "
        "ORDER BY i.expires_at DESC LIMIT 1",  # one row: a newer one supersedes
        (fmt, person_id.hex),
    )
    if not rows:
        return None
    uci, holder, sha, sealed, kid = rows[0]
    return Found(
        str(uci),
        UUID(hex=str(holder)),
        None if sha is None else str(sha),
        None if sealed is None else bytes(sealed),
        person_id,
        str(kid),
    )


def unsealed(ledger: Ledger, found: Found, fmt: str) -> bytes | None:
    """The file's bytes (None once the person is erased: their key is gone)."""
    if found.sealed is None:
        return None
    key = ledger.keys.key(found.person_id)
    return None if key is None else open_sealed(key, found.person_id, found.uci, fmt, found.sealed)


def entry(ledger: Ledger, uci: str) -> Entry | None:
    """The index row of one certificate."""
    t = tables(ledger)
    rows = t.db.query(
        f"SELECT {_COLUMNS} FROM {t.index} WHERE uci = ?",
        (uci,),
    )
    return _entry(rows[0]) if rows else None


_COLUMNS = (
    "uci, certificate_id, person_id, holder_id, kid, status, dose_number, series_doses, rules, expires_at, "
    "state, rendered"
)


def _entry(row: Sequence[object]) -> Entry:
    uci, certificate, person, holder, kid, status, dn, sd, rules, expires, state, rendered = row
    return Entry(
        str(uci),
        UUID(hex=str(certificate)),
        UUID(hex=str(person)),
        UUID(hex=str(holder)),
        str(kid),
        str(status),
        int(str(dn)),
        int(str(sd)),
        str(rules),
        str(expires),
        str(state),
        bool(rendered),
    )


def current_entries(
    ledger: Ledger, after: tuple[str, str] = ("", ""), page: int = 1000
) -> Iterator[list[Entry]]:
    """Every current (or stale: corrected since) certificate, a page at a time in (person, UCI) order
    (keyset pagination: each page is one indexed range read, whatever the table's size, and `after`
    resumes where an interrupted run stopped).

    A page ends at a whole person (it may hold a few rows more than `page`), and the next one starts after
    that person: a run that re-issues while it reads (`reissue --all`) writes its new certificates under
    people already read, so they are never handed out again and counted "already current"."""
    t = tables(ledger)
    select = f"SELECT {_COLUMNS} FROM {t.index} WHERE state_rank <= 1 AND "
    person, uci = after
    where, args = "(person_id > ? OR (person_id = ? AND uci > ?))", [person, person, uci]
    while True:
        rows = t.db.query(select + where + " ORDER BY person_id, uci LIMIT ?", (*args, page))
        if not rows:
            return
        found = [_entry(row) for row in rows]
        last = found[-1]
        if len(rows) == page:  # the last person's other rows, if the limit cut them off
            more = t.db.query(
                select + "person_id = ? AND uci > ? ORDER BY uci", (last.person_id.hex, last.uci)
            )
            found += [_entry(row) for row in more]
        yield found
        # Past every row of this page's last person, whatever was written under them since.
        where, args = "person_id > ?", [last.person_id.hex]


def indexed(ledger: Ledger, ucis: Sequence[str]) -> set[str]:
    """Which of these certificates have a row in the index (one query per 500)."""
    t = tables(ledger)
    found: set[str] = set()
    for start in range(0, len(ucis), 500):
        chunk = list(ucis[start : start + 500])
        marks = ",".join("?" * len(chunk))
        found.update(
            str(row[0]) for row in t.db.query(f"SELECT uci FROM {t.index} WHERE uci IN ({marks})", chunk)
        )
    return found


def count_current(ledger: Ledger) -> int:
    """How many certificates are current (or stale): a re-issue's total."""
    t = tables(ledger)
    return int(t.db.query(f"SELECT COUNT(*) FROM {t.index} WHERE state_rank <= 1")[0][0])


def pending(ledger: Ledger, limit: int, *, after: str = "") -> list[Entry]:
    """Current certificates whose files are not stored yet (the render queue), in UCI order."""
    t = tables(ledger)
    rows = t.db.query(
        f"SELECT {_COLUMNS} FROM {t.index} WHERE state_rank = 0 AND rendered = 0 AND uci > ? "
        "ORDER BY uci LIMIT ?",
        (after, limit),
    )
    return [_entry(row) for row in rows]


def set_rules(ledger: Ledger, uci: str, rules: str) -> None:
    """Record that a certificate was checked under the current numbering rules and still says the same."""
    t = tables(ledger)
    t.db.execute(f"UPDATE {t.index} SET rules = ? WHERE uci = ?", (rules, uci))


def position(ledger: Ledger, name: str) -> int:
    t = tables(ledger)
    rows = t.db.query(f"SELECT position FROM {t.positions} WHERE name = ?", (name,))
    return int(rows[0][0]) if rows else 0

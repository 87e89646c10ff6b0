# ruff: noqa: S608  -- SQL text holds only this module's constant table name; values are always bound.
"""Rendered certificates (HC1, PNG, SVG, PDF), stored once at issue time and read on download.

Why a table in the ledger's own database (through ledger.database) rather than files on disk: every
web worker and every host on the same IMMUNIZE_DATABASE_URL sees the same renderings with no shared
volume to configure, writes are transactional, and PostgreSQL backups carry them with the ledger.

Each rendering is content-addressed: its key is the SHA-256 of its bytes (the download's strong ETag).
The bytes hold personal data (name, birth date), so they are sealed at rest with the person's own data
key (AES-GCM, ledger.personaldata): erasing the person shreds their renderings too.
`memory://` ledgers keep renderings in a dict attached to the Ledger object.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from dataclasses import dataclass
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger.application import Ledger
from ledger.database import Database

TABLE = "certificate_renderings"
_NONCE = 12


@dataclass(frozen=True)
class Rendering:
    """One stored file of a certificate: its bytes and their SHA-256 (hex)."""

    data: bytes
    sha256: str


def content_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _SqlRows:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.name = db.table(TABLE)
        db.script(
            [
                f"CREATE TABLE IF NOT EXISTS {self.name} (sha256 TEXT PRIMARY KEY, uci TEXT NOT NULL, "
                f"fmt TEXT NOT NULL, person_id TEXT NOT NULL, sealed {db.blob} NOT NULL, UNIQUE (uci, fmt))"
            ]
        )

    def put(self, rows: list[tuple[str, str, str, str, bytes]]) -> None:
        with self.db.transaction(write=True) as cursor:  # all formats of a certificate, or none
            cursor.executemany(
                f"INSERT INTO {self.name} (sha256, uci, fmt, person_id, sealed) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                rows,
            )

    def get(self, uci: str, fmt: str) -> tuple[str, str, bytes] | None:
        found = self.db.query(
            f"SELECT sha256, person_id, sealed FROM {self.name} WHERE uci = ? AND fmt = ?", (uci, fmt)
        )
        if not found:
            return None
        sha, person, sealed = found[0]
        return str(sha), str(person), bytes(sealed)

    def has_all(self, uci: str, formats: tuple[str, ...]) -> bool:
        found = self.db.query(f"SELECT COUNT(*) FROM {self.name} WHERE uci = ?", (uci,))
        return int(found[0][0]) >= len(formats)


class _MemoryRows:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, str, bytes]] = {}
        self.lock = threading.Lock()

    def put(self, rows: list[tuple[str, str, str, str, bytes]]) -> None:
        with self.lock:
            for sha, uci, fmt, person, sealed in rows:
                self.rows.setdefault((uci, fmt), (sha, person, sealed))

    def get(self, uci: str, fmt: str) -> tuple[str, str, bytes] | None:
        return self.rows.get((uci, fmt))

    def has_all(self, uci: str, formats: tuple[str, ...]) -> bool:
        return all((uci, fmt) in self.rows for fmt in formats)


_tables: weakref.WeakKeyDictionary[Ledger, _SqlRows | _MemoryRows] = weakref.WeakKeyDictionary()
_tables_lock = threading.Lock()


def _rows(ledger: Ledger) -> _SqlRows | _MemoryRows:
    with _tables_lock:
        found = _tables.get(ledger)
        if found is None:
            if ledger.store.kind == "memory":
                found = _MemoryRows()
            else:
                db = Database.shared(ledger.store)
                weakref.finalize(ledger, db.close)  # this ledger's use of the process's pool ends with it
                found = _SqlRows(db)
            _tables[ledger] = found
        return found


def _aad(person_id: UUID, uci: str, fmt: str) -> bytes:
    # Bound to its owner, certificate and format: a sealed file cannot be moved to another row.
    return person_id.bytes + f"|{uci}|{fmt}".encode()


def store(ledger: Ledger, person_id: UUID, uci: str, files: dict[str, bytes]) -> dict[str, str]:
    """Seal and keep a certificate's files (format -> bytes); returns format -> SHA-256. Nothing is
    kept when the person has no data key (erased)."""
    key = ledger.keys.key(person_id)
    if key is None:
        return {}
    aead = AESGCM(key)
    rows = []
    hashes = {}
    for fmt, data in files.items():
        nonce = os.urandom(_NONCE)
        sha = content_hash(data)
        hashes[fmt] = sha
        rows.append(
            (sha, uci, fmt, person_id.hex, nonce + aead.encrypt(nonce, data, _aad(person_id, uci, fmt)))
        )
    _rows(ledger).put(rows)
    return hashes


def load(ledger: Ledger, uci: str, fmt: str) -> Rendering | None:
    """The stored file of that certificate and format, or None (never rendered, or its owner erased)."""
    found = _rows(ledger).get(uci, fmt)
    if found is None:
        return None
    sha, person, sealed = found
    owner = UUID(hex=person)
    key = ledger.keys.key(owner)
    if key is None:
        return None
    data = AESGCM(key).decrypt(sealed[:_NONCE], sealed[_NONCE:], _aad(owner, uci, fmt))
    return Rendering(data, sha)


def complete(ledger: Ledger, uci: str, formats: tuple[str, ...]) -> bool:
    """Whether every format of that certificate is stored (a re-render skips it)."""
    return _rows(ledger).has_all(uci, formats)

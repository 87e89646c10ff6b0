"""The transparency log's tree tables and the functions that read and extend them (RFC 9162 hashing,
see ledger.merkle). The recorders that call these at event-write time are in ledger.transparency.

Three tables beside the events table, derived only from committed rows:
- `<events>_merkle_leaves`: one row per write transaction: the leaf index of its first event, the
  positions (notification ids) and the leaf hashes of its events, packed;
- `<events>_merkle_nodes`: the hash of every complete subtree whose level is a multiple of 8, stored
  as it closes (one row per 256 leaves), so that a proof reads O(log n) rows;
- `<events>_merkle_head`: one row: tree size, last position, and the right edge of the tree
  (one hash per set bit of the size), which the next transaction extends.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError

from ledger.errors import LedgerError
from ledger.merkle import HASH_SIZE, TILE_HEIGHT, Frontier, leaf_hash, originator_text

_POSITION = struct.Struct(">q")
_sha256 = hashlib.sha256


class TreeDamaged(LedgerError):
    """The stored tree tables are missing rows or hold damaged ones (tampering, or a broken restore)."""

    code = "transparency_log_damaged"
    kind = "conflict"


BLOCK = 1 << TILE_HEIGHT


class Run(Protocol):
    """SQL with `?` placeholders on either store: `query` returns rows, `many` runs executemany."""

    def query(self, sql: str, params: Sequence[Any] = (), /) -> Sequence[Sequence[Any]]: ...

    def many(self, sql: str, rows: Sequence[Sequence[Any]], /) -> None: ...


class StoredLike(Protocol):
    """A stored event as the recorder sees it (eventsourcing's StoredEvent, or a raw row)."""

    @property
    def originator_id(self) -> Any: ...
    @property
    def originator_version(self) -> int: ...
    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> bytes: ...


@dataclass(frozen=True)
class TreeTables:
    """The qualified names of the three tree tables of one events table."""

    leaves: str
    nodes: str
    head: str
    blob: str
    bigint: str

    @classmethod
    def for_store(cls, kind: str, events_table: str, schema: str = "public") -> TreeTables:
        """Names for SQLite (`stored_events`) or PostgreSQL (`<app>_events` in `schema`)."""
        base = events_table + "_merkle_"
        if kind == "sqlite":
            return cls(base + "leaves", base + "nodes", base + "head", "BLOB", "INTEGER")
        prefix = '"' + schema.replace('"', '""') + '".'
        return cls(
            prefix + f'"{base}leaves"', prefix + f'"{base}nodes"', prefix + f'"{base}head"', "BYTEA", "BIGINT"
        )

    def create_statements(self) -> list[str]:
        b, i = self.blob, self.bigint
        return [
            f"CREATE TABLE IF NOT EXISTS {self.leaves} (first_index {i} PRIMARY KEY, "
            f"first_position {i} NOT NULL UNIQUE, count {i} NOT NULL, positions {b} NOT NULL, "
            f"hashes {b} NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {self.nodes} (level {i} NOT NULL, idx {i} NOT NULL, "
            f"hash {b} NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {self.head} (id {i} PRIMARY KEY CHECK (id = 1), size {i} NOT NULL, "
            f"last_position {i} NOT NULL, frontier {b} NOT NULL)",
        ]


@dataclass(frozen=True)
class TreeHead:
    """The stored state of the tree after the last committed write transaction."""

    size: int
    last_position: int
    frontier: Frontier


def head_sql(tables: TreeTables) -> str:
    """The statement that reads the tree's head (`head_of` turns its rows into a TreeHead)."""
    return f"SELECT size, last_position, frontier FROM {tables.head} WHERE id = 1"


def head_of(rows: Sequence[Sequence[Any]]) -> TreeHead:
    if not rows:
        return TreeHead(0, 0, Frontier())
    size, last, frontier = rows[0]
    return TreeHead(int(size), int(last), Frontier.unpack(int(size), bytes(frontier)))


def read_head(run: Run, tables: TreeTables) -> TreeHead:
    return head_of(run.query(head_sql(tables)))


def append_leaves(
    run: Run, tables: TreeTables, events: Sequence[tuple[int, StoredLike]], head: TreeHead | None = None
) -> TreeHead:
    """Append the leaves of `events` (position, stored event) to the tree, inside the caller's transaction.
    `head`: the head as the caller already read it in this transaction, under the writers' lock (the
    PostgreSQL recorder reads it in the same round trip as the events' INSERT)."""
    if not events:
        return read_head(run, tables) if head is None else head
    ordered = sorted(events, key=lambda item: item[0])
    head = read_head(run, tables) if head is None else head
    if ordered[0][0] <= head.last_position:
        raise IntegrityError(
            f"event position {ordered[0][0]} is not after the transparency log's last position "
            f"{head.last_position}: the log order would fork"
        )
    frontier = head.frontier.copy()
    closed: list[tuple[int, int, bytes]] = []
    leaves = [
        leaf_hash(position, originator_text(e.originator_id), e.originator_version, e.topic, e.state)
        for position, e in ordered
    ]
    frontier.extend(leaves, closed)
    positions = b"".join(_POSITION.pack(position) for position, _ in ordered)
    run.many(
        f"INSERT INTO {tables.leaves} (first_index, first_position, count, positions, hashes) "
        "VALUES (?, ?, ?, ?, ?)",
        [(head.size, ordered[0][0], len(ordered), positions, b"".join(leaves))],
    )
    if closed:
        run.many(f"INSERT INTO {tables.nodes} (level, idx, hash) VALUES (?, ?, ?)", closed)
    last = ordered[-1][0]
    if head.size == 0:
        run.many(
            f"INSERT INTO {tables.head} (id, size, last_position, frontier) VALUES (1, ?, ?, ?)",
            [(frontier.size, last, frontier.pack())],
        )
    else:
        updated = run.query(
            f"UPDATE {tables.head} SET size = ?, last_position = ?, frontier = ? WHERE id = 1 AND size = ? "
            "RETURNING size",
            (frontier.size, last, frontier.pack(), head.size),
        )
        if not updated:
            raise IntegrityError("another transaction extended the transparency log at the same time")
    return TreeHead(frontier.size, last, frontier)


class _Row:
    """A stored event read back from the events table (for the one-off backfill of older stores)."""

    __slots__ = ("originator_id", "originator_version", "state", "topic")

    def __init__(self, originator_id: Any, originator_version: int, topic: str, state: bytes) -> None:
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.topic = topic
        self.state = state


def backfill(run: Run, tables: TreeTables, events_table: str, position_column: str, page: int = 5000) -> int:
    """Append leaves for events stored before this store had a transparency log (an upgrade).

    Only events after the tree's last position can lack leaves (every newer write adds its own in
    its transaction), so this reads nothing when there is nothing to do beyond one indexed lookup.
    Run inside one transaction that holds the writers' lock.
    """
    added = 0
    while True:
        head = read_head(run, tables)
        rows = run.query(
            f"SELECT {position_column}, originator_id, originator_version, topic, state FROM {events_table} "
            f"WHERE {position_column} > ? ORDER BY {position_column} LIMIT {int(page)}",
            (head.last_position,),
        )
        if not rows:
            return added
        append_leaves(run, tables, [(int(r[0]), _Row(r[1], int(r[2]), str(r[3]), bytes(r[4]))) for r in rows])
        added += len(rows)


# ---- reading the tree (proofs, verification) ------------------------------------------------------


@dataclass(frozen=True)
class LeafBatch:
    """One write transaction's leaves: indexes first_index .. first_index + count - 1 (positions packed)."""

    first_index: int
    count: int
    packed_positions: bytes
    hashes: bytes

    @property
    def positions(self) -> list[int]:
        return [p for (p,) in _POSITION.iter_unpack(self.packed_positions)]

    def hash_at(self, index: int) -> bytes:
        offset = (index - self.first_index) * HASH_SIZE
        return self.hashes[offset : offset + HASH_SIZE]

    def offset_of(self, position: int) -> int | None:
        """Where `position` sits in this batch (binary search over the packed, increasing positions)."""
        lo, hi = 0, self.count
        packed = self.packed_positions
        while lo < hi:
            mid = (lo + hi) // 2
            (found,) = _POSITION.unpack_from(packed, 8 * mid)
            if found == position:
                return mid
            if found < position:
                lo = mid + 1
            else:
                hi = mid
        return None


def _batch(row: Sequence[Any]) -> LeafBatch:
    first, count, positions, hashes = int(row[0]), int(row[1]), bytes(row[2]), bytes(row[3])
    if len(positions) != 8 * count or len(hashes) != HASH_SIZE * count:
        raise TreeDamaged(
            f"the transparency log's leaf row at index {first} is damaged: run `immunize audit verify`"
        )
    return LeafBatch(first, count, positions, hashes)


def leaf_batches(run: Run, tables: TreeTables, start: int, end: int) -> list[LeafBatch]:
    """The leaf rows that hold the leaves [start, end)."""
    rows = run.query(
        f"SELECT first_index, count, positions, hashes FROM {tables.leaves} "
        f"WHERE first_index >= COALESCE((SELECT MAX(first_index) FROM {tables.leaves} WHERE first_index <= ?), 0) "
        "AND first_index < ? ORDER BY first_index",
        (start, end),
    )
    return [_batch(row) for row in rows]


def iter_leaf_batches(run: Run, tables: TreeTables, window: int = 20_000) -> Iterator[LeafBatch]:
    """Every leaf row in index order, read by windows of leaf indexes (memory stays flat whether a
    row holds one leaf or a batch of thousands)."""
    after = -1
    while True:
        rows = run.query(
            f"SELECT first_index, count, positions, hashes FROM {tables.leaves} "
            "WHERE first_index > ? AND first_index <= ? ORDER BY first_index",
            (after, after + window),
        )
        if not rows:
            more = run.query(f"SELECT MIN(first_index) FROM {tables.leaves} WHERE first_index > ?", (after,))
            if not more or more[0][0] is None:
                return
            after = int(more[0][0]) - 1
            continue
        for row in rows:
            yield _batch(row)
        after = int(rows[-1][0])


def leaf_hashes(run: Run, tables: TreeTables, start: int, end: int) -> list[bytes]:
    """The stored leaf hashes of leaves [start, end)."""
    found: list[bytes] = []
    for batch in leaf_batches(run, tables, start, end):
        lo = max(start, batch.first_index)
        hi = min(end, batch.first_index + batch.count)
        found.extend(batch.hash_at(i) for i in range(lo, hi))
    if len(found) != end - start:
        raise TreeDamaged(
            f"the transparency log has no leaves {start}..{end - 1}: run `immunize audit verify`"
        )
    return found


def locate(run: Run, tables: TreeTables, position: int) -> tuple[int, bytes] | None:
    """(leaf index, leaf hash) of the event at `position`, or None when no leaf has that position."""
    rows = run.query(
        f"SELECT first_index, count, positions, hashes FROM {tables.leaves} WHERE first_position <= ? "
        "ORDER BY first_position DESC LIMIT 1",
        (position,),
    )
    if not rows:
        return None
    batch = _batch(rows[0])
    offset = batch.offset_of(position)
    if offset is None:
        return None
    index = batch.first_index + offset
    return index, batch.hash_at(index)


class StoredTree:
    """Hashes of complete subtrees, from the stored leaves and tile nodes, read a block at a time.

    A node at level L is folded from at most 256 stored hashes at level 8 * (L // 8): the leaves
    themselves below level 8, stored nodes above. Blocks and folded nodes are kept, so one proof
    reads about one block per 8 levels: O(log n) rows.
    """

    def __init__(self, run: Run, tables: TreeTables) -> None:
        self._run = run
        self._tables = tables
        self._blocks: dict[tuple[int, int], list[bytes]] = {}
        self._memo: dict[tuple[int, int], bytes] = {}

    def _fetch(self, base: int, start: int, end: int) -> list[bytes]:
        """Stored hashes at a base level from `start`, up to `end` (fewer when the tree ends first)."""
        if base == 0:
            found: list[bytes] = []
            for batch in leaf_batches(self._run, self._tables, start, end):
                lo = max(start + len(found), batch.first_index)
                hi = min(end, batch.first_index + batch.count)
                found.extend(batch.hash_at(i) for i in range(lo, hi))
            return found
        rows = self._run.query(
            f"SELECT idx, hash FROM {self._tables.nodes} WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
            (base, start, end),
        )
        hashes: list[bytes] = []
        for n, row in enumerate(rows):
            if int(row[0]) != start + n:
                break
            hashes.append(bytes(row[1]))
        return hashes

    def preload(self, base: int, start: int, hashes: list[bytes]) -> None:
        """Hashes at a base level read elsewhere (ledger.transparency_proof), from the start of a block
        on; a block left short is completed from the store when a node needs more."""
        block = start >> TILE_HEIGHT
        if start != block << TILE_HEIGHT or len(hashes) > BLOCK:
            raise ValueError("a preloaded block starts at a block boundary and holds at most one block")
        self._blocks[(base, block)] = hashes

    def _base(self, base: int, index: int) -> bytes:
        block = index >> TILE_HEIGHT
        hashes = self._blocks.setdefault((base, block), [])
        start = block << TILE_HEIGHT
        if index - start >= len(hashes):
            hashes.extend(self._fetch(base, start + len(hashes), start + BLOCK))
        if index - start >= len(hashes):
            raise TreeDamaged(f"the transparency log has no stored hash for node {index} at level {base}")
        return hashes[index - start]

    def subtree(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree covering leaves [index << level, (index + 1) << level)."""
        key = (level, index)
        found = self._memo.get(key)
        if found is None:
            base = level - level % TILE_HEIGHT
            if base == level:
                found = self._base(level, index)
            else:
                # Folded level by level from the 2**(level - base) stored hashes below it (one block at
                # most): a loop over bytes, not a call per interior node.
                width = 1 << (level - base)
                first = index * width
                self._base(base, first + width - 1)  # fetches the block (and names a missing hash)
                block = self._blocks[(base, first >> TILE_HEIGHT)]
                offset = first - ((first >> TILE_HEIGHT) << TILE_HEIGHT)
                row = block[offset : offset + width]
                while len(row) > 1:
                    row = [_sha256(b"\x01" + row[i] + row[i + 1]).digest() for i in range(0, len(row), 2)]
                found = row[0]
            self._memo[key] = found
        return found

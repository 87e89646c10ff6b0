"""The inclusion proof read in one statement (ledger.transparency_proof), on SQLite and PostgreSQL:
every position of a tree with three tile levels proves against the tests' own RFC 9162 code, the
same proof as the block-by-block path; positions with gaps inside one write fall back and still
prove; a tampered leaf hash or tile node gives a proof that fails against the signed checkpoint."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from ledger.merkle import leaf_hash
from ledger.settings import parse_database_url
from projections.audit import (
    AuditKey,
    Database,
    TamperingDetected,
    inclusion_proof,
    make_checkpoints,
    trusted_keys,
    verify,
)
from projections.audit.database import StoredRow, create_events_table
from projections.audit.proofs import ProofFileError, check_proof
from projections.audit.tree import _inclusion_by_blocks, tables
from tests.integration.projections.rfc9162 import inclusion_root, tree_hash
from tests.integration.projections.test_audit_fixtures import NOW, audit_key, store_url

__all__ = ["audit_key", "store_url"]

TOPIC = "tests.integration.projections.test_audit_fixtures:Tally.Created"
# 2**16 + 300 leaves: tile levels 0, 8 and 16 all hold stored hashes, and the tree is not a power of two.
SIZE = (1 << 16) + 300


def _rows(count: int, gaps: frozenset[int] = frozenset()) -> list[StoredRow]:
    """`count` events; after each index in `gaps` the next position skips 3 (a gap inside one write)."""
    rows: list[StoredRow] = []
    position = 0
    for n in range(count):
        position += 1
        rows.append(StoredRow(position, str(uuid.UUID(int=n + 1)), 1, TOPIC, b'{"n":%d}' % n))
        if n in gaps:
            position += 3
    return rows


def _store(url: str, rows: list[StoredRow], batch: int = 5000) -> Database:
    create_events_table(parse_database_url(url))
    db = Database(parse_database_url(url))
    for start in range(0, len(rows), batch):
        with db.transaction():
            db.insert_events(rows[start : start + batch])
    return db


def _leaves(rows: list[StoredRow]) -> list[bytes]:
    return [leaf_hash(r.position, r.originator_id, r.originator_version, r.topic, r.state) for r in rows]


class _Counting:
    """Counts the statements a Database runs."""

    def __init__(self, db: Database) -> None:
        self.count = 0
        self._execute = db.execute

        def counting(statement: str, params: object = ()) -> list[tuple[object, ...]]:
            self.count += 1
            return self._execute(statement, params)  # type: ignore[arg-type]

        db.execute = counting  # type: ignore[method-assign]


@pytest.fixture
def big(store_url: str, audit_key: AuditKey) -> Iterator[tuple[Database, list[StoredRow], list[bytes]]]:
    rows = _rows(SIZE)
    db = _store(store_url, rows)
    make_checkpoints(db, audit_key, NOW)
    yield db, rows, _leaves(rows)
    db.close()


def _sample(size: int) -> list[int]:
    """Indexes at every block edge of every tile level, both ends, and a spread between."""
    picks = {0, 1, 2, size - 1, size - 2, size - 300, size - 301, 255, 256, 65535, 65536, 65537}
    picks.update(range(0, size, 997))
    return sorted(i for i in picks if 0 <= i < size)


def test_every_sampled_position_proves_in_one_statement(
    big: tuple[Database, list[StoredRow], list[bytes]], audit_key: AuditKey
) -> None:
    db, rows, leaves = big
    root = tree_hash(leaves)
    inclusion_proof(db, rows[0].position)  # the one look for the checkpoints table, kept per connection
    counter = _Counting(db)
    for index in _sample(SIZE):
        before = counter.count
        proof = inclusion_proof(db, rows[index].position)
        assert counter.count - before == 1, index
        assert (proof["leaf_index"], proof["tree_size"]) == (index, SIZE)
        assert bytes.fromhex(proof["leaf_hash"]) == leaves[index]
        path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
        assert inclusion_root(index, SIZE, leaves[index], path) == root == bytes.fromhex(proof["root_hash"])
        assert proof == _inclusion_by_blocks(db, rows[index].position, None)
        check_proof(json.dumps(proof).encode(), [audit_key.public])


def test_a_proof_against_an_earlier_checkpoint(big: tuple[Database, list[StoredRow], list[bytes]]) -> None:
    db, rows, leaves = big
    for size in (10_000, 60_000):
        for index in (0, 9_999 % size, size // 2, size - 1):
            proof = inclusion_proof(db, rows[index].position, tree_size=size)
            path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
            assert proof["tree_size"] == size
            assert inclusion_root(index, size, leaves[index], path) == tree_hash(leaves[:size])


def test_positions_with_gaps_inside_one_write_fall_back_and_prove(
    store_url: str, audit_key: AuditKey
) -> None:
    rows = _rows(700, gaps=frozenset({10, 300, 301, 650}))
    db = _store(store_url, rows, batch=700)  # one leaf row: the gaps are inside it
    make_checkpoints(db, audit_key, NOW)
    leaves = _leaves(rows)
    root = tree_hash(leaves)
    for index in (0, 10, 11, 12, 299, 300, 301, 302, 520, 650, 651, 699):
        proof = inclusion_proof(db, rows[index].position)
        path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
        assert proof["leaf_index"] == index
        assert inclusion_root(index, 700, leaves[index], path) == root
    with pytest.raises(Exception, match="no event at position 13"):
        inclusion_proof(db, rows[10].position + 2)  # inside a gap
    db.close()


def _flip_leaf(db: Database, index: int) -> None:
    t = tables(db)
    first, hashes = db.execute(
        f"SELECT first_index, hashes FROM {t.leaves} WHERE first_index <= ? ORDER BY first_index DESC LIMIT 1",
        (index,),
    )[0]
    data = bytearray(bytes(hashes))
    data[(index - int(first)) * 32] ^= 0x01
    db.execute(f"UPDATE {t.leaves} SET hashes = ? WHERE first_index = ?", (bytes(data), first))


def test_a_tampered_leaf_hash_gives_a_proof_that_fails(
    big: tuple[Database, list[StoredRow], list[bytes]], audit_key: AuditKey
) -> None:
    db, rows, leaves = big
    root = tree_hash(leaves)
    target = 65_600  # in the tree's last, partial block
    _flip_leaf(db, target)
    keys = [audit_key.public]
    for index in (target, target ^ 1, target ^ 200):  # the leaf itself, and leaves whose path folds it
        proof = inclusion_proof(db, rows[index].position)
        path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
        assert inclusion_root(index, SIZE, bytes.fromhex(proof["leaf_hash"]), path) != root
        with pytest.raises(ProofFileError, match="fails"):
            check_proof(json.dumps(proof).encode(), keys)
    # A leaf far away folds only untouched hashes: its proof still holds.
    proof = inclusion_proof(db, rows[5].position)
    check_proof(json.dumps(proof).encode(), keys)
    with pytest.raises(TamperingDetected):
        verify(db, trusted_keys(db, keys))


def test_a_tampered_tile_node_gives_a_proof_that_fails(
    big: tuple[Database, list[StoredRow], list[bytes]], audit_key: AuditKey
) -> None:
    db, rows, _ = big
    t = tables(db)
    (stored,) = db.execute(f"SELECT hash FROM {t.nodes} WHERE level = 8 AND idx = 3")[0]
    db.execute(f"UPDATE {t.nodes} SET hash = ? WHERE level = 8 AND idx = 3", (bytes(32),))
    assert bytes(stored) != bytes(32)
    keys = [audit_key.public]
    # Leaf 0's path holds the level-8 sibling band folded from nodes 0..255 at level 8, node 3 among them.
    proof = inclusion_proof(db, rows[0].position)
    with pytest.raises(ProofFileError, match="fails"):
        check_proof(json.dumps(proof).encode(), keys)

"""An inclusion proof's stored hashes in one statement (the checkpoint, the leaf's index and every
tile hash the path folds from), so that a proof costs one round trip instead of one per tile block.

Why these ranges suffice (RFC 9162 §2.1.3.1, and ledger.merkle.inclusion_path): the path of leaf i
in a tree of n leaves holds, per level L, either the complete sibling (L, (i >> L) ^ 1), or the hash
of the partial range [k, n), which ledger.merkle.subtree_hash splits into the complete subtrees
(L, (n >> L) - 1) for the set bits L of n. A complete subtree at level L is folded from at most 256
stored hashes at the tile level b = 8 * (L // 8) (ledger.transparency_tree.StoredTree), and those
lie, at level b, in the 256-block holding i >> b for a sibling, or in the block holding the last
hashes below n >> b for the right edge. So two blocks per tile level are read, whatever n is.

The leaf's index comes from the leaf row that starts at or before the position: the events of one
write transaction usually have consecutive positions, so the index is guessed as first_index +
(position - first_position) and checked against the packed positions in the same statement. When
the guess fails (a gap in the positions, no such event, damaged rows), the caller falls back to
the general path, which reads the rows one block at a time and names what is wrong.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.merkle import HASH_SIZE, TILE_HEIGHT
from ledger.transparency_tree import BLOCK, Run, StoredTree, TreeTables

_POSITION = struct.Struct(">q")
# Tile levels 0, 8, ..., 56: enough for 2**63 leaves (positions are signed 64-bit).
_BASES = " UNION ALL ".join(f"SELECT {b} AS b" for b in range(0, 64, TILE_HEIGHT))


@dataclass(frozen=True)
class InclusionMaterial:
    """What one statement read: the checkpoint row (tree_size, root, note, signed_at, key_id), the leaf's index and a tree preloaded with the
    blocks the path needs (`tree` reads the store again only if a block came back short)."""

    checkpoint: tuple[Any, ...]
    index: int | None
    tree: StoredTree


@functools.lru_cache(maxsize=64)
def inclusion_sql(tables: TreeTables, checkpoint_sql: str) -> str:
    """The statement. `checkpoint_sql` selects at most one checkpoint row with the columns
    (tree_size, root, note, signed_at, key_id); its parameters come first, then the position (as a
    number and packed). Rows: (kind, a, c, data, note, signed_at, key_id), kind 0 the checkpoint,
    1 the leaf's index, 2 a stored node (level, index, hash), 3 a slice of leaf hashes (block, first)."""
    leaves, nodes, blob = tables.leaves, tables.nodes, tables.blob
    join = (
        f"FROM blocks JOIN {nodes} ON blocks.b > 0 AND {nodes}.level = blocks.b "
        f"AND {nodes}.idx >= blocks.lo AND {nodes}.idx < blocks.hi"
    )
    if blob == "BYTEA":
        # PostgreSQL: one row per block, its hashes concatenated in order (a block with a gap is left
        # out, and read again by the tree, which names what is missing).
        node_rows = (
            f"SELECT 2, blocks.b, MIN({nodes}.idx), string_agg({nodes}.hash, ''::bytea ORDER BY {nodes}.idx), "
            f"NULL, NULL, NULL {join} GROUP BY blocks.b, blocks.lo "
            f"HAVING MAX({nodes}.idx) - MIN({nodes}.idx) + 1 = COUNT(*)"
        )
    else:  # SQLite answers in-process: a row per node costs little, and its aggregates are text
        node_rows = f"SELECT 2, blocks.b, {nodes}.idx, {nodes}.hash, NULL, NULL, NULL {join}"
    return f"""
WITH cp AS ({checkpoint_sql}),
args AS (SELECT CAST(? AS BIGINT) AS p, CAST(? AS {blob}) AS packed),
batch AS (
  SELECT first_index, first_position, count, positions FROM {leaves}, args
  WHERE first_position <= args.p ORDER BY first_position DESC LIMIT 1
),
hit AS (
  SELECT batch.first_index + (args.p - batch.first_position) AS i FROM batch, args
  WHERE args.p - batch.first_position < batch.count
    AND substr(batch.positions, CAST((args.p - batch.first_position) * 8 + 1 AS INTEGER), 8) = args.packed
),
size AS (SELECT cp.tree_size AS n FROM cp),
starts AS (
  SELECT bases.b AS b, (((hit.i >> bases.b) >> {TILE_HEIGHT}) << {TILE_HEIGHT}) AS lo, (size.n >> bases.b) AS top
  FROM hit, size, ({_BASES}) AS bases WHERE (size.n >> bases.b) > 0 AND hit.i < size.n
  UNION
  SELECT bases.b, (((size.n >> bases.b) >> {TILE_HEIGHT}) << {TILE_HEIGHT}), (size.n >> bases.b)
  FROM hit, size, ({_BASES}) AS bases WHERE (size.n >> bases.b) > 0 AND hit.i < size.n
),
blocks AS (
  SELECT b, lo, CASE WHEN lo + {BLOCK} < top THEN lo + {BLOCK} ELSE top END AS hi FROM starts
  WHERE lo < top
)
SELECT 0 AS kind, cp.tree_size AS a, 0 AS c, cp.root AS data, cp.note AS note, cp.signed_at AS signed_at,
  cp.key_id AS key_id FROM cp
UNION ALL SELECT 1, hit.i, 0, NULL, NULL, NULL, NULL FROM hit
UNION ALL
{node_rows}
UNION ALL
SELECT 3, blocks.lo, CASE WHEN l.first_index > blocks.lo THEN l.first_index ELSE blocks.lo END,
  substr(l.hashes,
    CAST((CASE WHEN l.first_index > blocks.lo THEN l.first_index ELSE blocks.lo END - l.first_index)
         * {HASH_SIZE} + 1 AS INTEGER),
    CAST((CASE WHEN l.first_index + l.count < blocks.hi THEN l.first_index + l.count ELSE blocks.hi END
          - CASE WHEN l.first_index > blocks.lo THEN l.first_index ELSE blocks.lo END) * {HASH_SIZE} AS INTEGER)),
  NULL, NULL, NULL
FROM blocks JOIN {leaves} AS l
  ON blocks.b = 0 AND l.first_index < blocks.hi AND l.first_index + l.count > blocks.lo
  AND l.first_index >= COALESCE((SELECT MAX(first_index) FROM {leaves} WHERE first_index <= blocks.lo), 0)
"""  # noqa: S608 (table names are the store's own constants; every value is a parameter)


def inclusion_material(
    run: Run,
    tables: TreeTables,
    checkpoint_sql: str,
    checkpoint_params: Sequence[Any],
    position: int,
) -> InclusionMaterial | None:
    """Run the statement: None when no checkpoint matched; the index is None when the guess failed."""
    rows = run.query(
        inclusion_sql(tables, checkpoint_sql), (*checkpoint_params, position, _POSITION.pack(position))
    )
    return _material(run, tables, rows)


def _material(run: Run, tables: TreeTables, rows: Sequence[Sequence[Any]]) -> InclusionMaterial | None:
    checkpoint: tuple[Any, ...] | None = None
    index: int | None = None
    runs: dict[tuple[int, int], list[tuple[int, bytes]]] = {}  # (base level, block) -> (first, hashes)
    for kind, a, c, data, note, signed_at, key_id in rows:
        if kind == 0:
            checkpoint = (a, data, note, signed_at, key_id)
        elif kind == 1:
            index = int(a)
        else:
            base, first = (int(a), int(c)) if kind == 2 else (0, int(c))
            runs.setdefault((base, first >> TILE_HEIGHT), []).append((first, bytes(data)))
    if checkpoint is None:
        return None
    tree = StoredTree(run, tables)
    for (base, block), found in runs.items():
        start = block << TILE_HEIGHT
        tree.preload(base, start, _contiguous(start, found))
    return InclusionMaterial(checkpoint, index, tree)


def _contiguous(start: int, found: list[tuple[int, bytes]]) -> list[bytes]:
    """The hashes from `start` on, as long as they follow each other (a gap ends the preload: the tree
    reads the rest itself and names the missing node if it is really missing)."""
    parts: list[bytes] = []
    at = start
    for first, data in sorted(found, key=lambda item: item[0]):
        if first != at or len(data) % HASH_SIZE:
            break
        parts.append(data)
        at += len(data) // HASH_SIZE
    joined = b"".join(parts)
    return [joined[o : o + HASH_SIZE] for o in range(0, len(joined), HASH_SIZE)]

"""`audit verify`: the whole log against its write-time leaves, the tree, and the signed checkpoints.

One pass, in position order, reading the events and the leaf rows side by side (memory stays flat):
1. every event's leaf hash is recomputed and compared with the leaf written in its own transaction;
   the FIRST position where they disagree is named, with what it looks like:
   altered (same position, other bytes), removed (a leaf whose event is gone), inserted (an event
   no leaf was written for, or that pushed the others along), reordered (an event that was written
   at another position);
2. the tree is rebuilt from the recomputed leaves; every stored tile node and the stored tree head
   must match it;
3. at each stored checkpoint's size the recomputed root must equal the signed root, the signature
   must verify with a trusted key, and the consistency proof from the previous checkpoint (built
   from the stored tiles) must verify;
4. an auditor's trusted checkpoint (`--trusted-checkpoint`), saved earlier from outside the
   database, must be a prefix of today's tree: a history recomputed from scratch is caught here,
   because nobody can produce a different tree with that signed root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ledger.merkle import Frontier, ProofError, consistency_path, leaf_hash, leaf_hashes, verify_consistency
from ledger.transparency import StoredTree, TreeDamaged, iter_leaf_batches
from projections.audit.auditkey import AuditPublicKey
from projections.audit.database import PAGE_SIZE, Database, StoredRow
from projections.audit.errors import AuditError, TamperingDetected
from projections.audit.note import Checkpoint, NoteError
from projections.audit.tree import StoredCheckpoint, head, load_checkpoints, open_checkpoint, tables

LOOKAHEAD = 2000  # how far the diagnosis looks for a moved event (only after a mismatch)


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys checkpoints must be signed by; `pinned` says they came from outside the database."""

    keys: dict[str, AuditPublicKey]
    pinned: bool


def trusted_keys(db: Database, pinned: list[AuditPublicKey]) -> TrustedKeys:
    """The pinned keys when there are any, else (with a warning) the keys the database records."""
    if pinned:
        return TrustedKeys({key.key_id: key for key in pinned}, True)
    from projections.audit.tree import load_public_keys

    return TrustedKeys(load_public_keys(db), False)


def _leaf(row: StoredRow, position: int | None = None) -> bytes:
    return leaf_hash(
        row.position if position is None else position,
        row.originator_id,
        row.originator_version,
        row.topic,
        row.state,
    )


@dataclass
class WalkState:
    """What a walk has seen so far (read after the walk ends)."""

    events: int = 0
    position: int = 0
    ledger: str | None = None
    checkpoints_checked: int = 0
    frontier: Frontier = field(default_factory=Frontier)


@dataclass(frozen=True)
class VerifiedEvent:
    """One verified event: the stored row, its leaf index and hash, and the checkpoint closing at it."""

    row: StoredRow
    index: int
    leaf: bytes
    checkpoint: StoredCheckpoint | None


class _Leaves:
    """The stored leaves as one stream (positions and hashes in parallel lists), with look-ahead."""

    def __init__(self, db: Database) -> None:
        self._batches = iter_leaf_batches(db, tables(db))
        self._first = 0  # leaf index of _positions[0]
        self._positions: list[int] = []
        self._hashes: list[bytes] = []
        self._at = 0

    def _fill(self, need: int) -> None:
        while len(self._positions) - self._at < need:
            batch = next(self._batches, None)
            if batch is None:
                return
            if self._at > 4096:
                del self._positions[: self._at]
                del self._hashes[: self._at]
                self._first += self._at
                self._at = 0
            self._positions.extend(batch.positions)
            raw = batch.hashes
            self._hashes.extend([raw[i : i + 32] for i in range(0, len(raw), 32)])

    def peek(self, ahead: int = 0) -> tuple[int, int, bytes] | None:
        self._fill(ahead + 1)
        i = self._at + ahead
        if i >= len(self._positions):
            return None
        return self._first + i, self._positions[i], self._hashes[i]

    def window(self, count: int) -> tuple[list[int], list[bytes]]:
        """Positions and hashes of the next `count` leaves (fewer when the stored leaves end), not consumed."""
        self._fill(count)
        return self._positions[self._at : self._at + count], self._hashes[self._at : self._at + count]

    def skip(self, count: int) -> None:
        self._at += count


def _diagnose(
    db: Database, leaves: _Leaves, leaf: tuple[int, int, bytes] | None, row: StoredRow | None
) -> TamperingDetected:
    """Name what happened at the first place where the events and their leaves disagree."""
    if leaf is None:
        assert row is not None
        return TamperingDetected(
            f"tampering at position {row.position}: event inserted - no leaf was written for the event stored there "
            f"({row.originator_id} version {row.originator_version}): it was added behind the log's back",
            row.position,
            "inserted",
        )
    index, position, stored = leaf
    later = list(db.read_events(position - 1 if row is None else row.position - 1, LOOKAHEAD))
    if row is None or row.position > position:
        if any(_leaf(r, position) == stored for r in later):
            kind, what = "reordered", "the event written there now sits at a later position"
        else:
            kind, what = "removed", f"the event written there (leaf {index}) is missing from the log"
        return TamperingDetected(f"tampering at position {position}: event {kind} - {what}", position, kind)
    if row.position < position:
        return TamperingDetected(
            f"tampering at position {row.position}: event inserted - no leaf was written for the event stored there "
            f"({row.originator_id} version {row.originator_version})",
            row.position,
            "inserted",
        )
    # Same position, other bytes: was it moved here, pushed along by an insertion, or edited?
    moved_from = None
    for ahead in range(1, LOOKAHEAD):
        other = leaves.peek(ahead)
        if other is None:
            break
        if _leaf(row, other[1]) == other[2]:
            moved_from = other[1]
            break
    if moved_from is not None:
        kind, what = "reordered", f"the event now there was written at position {moved_from}"
    elif len(later) > 1 and _leaf(later[1], position) == stored:
        kind = "inserted"
        what = (
            f"an event no leaf was written for ({row.originator_id} version {row.originator_version}) "
            "sits there and pushed the later events along"
        )
    else:
        kind = "altered"
        what = (
            f"the event stored there ({row.originator_id} version {row.originator_version}) "
            f"no longer matches its leaf (leaf {index})"
        )
    return TamperingDetected(f"tampering at position {position}: event {kind} - {what}", position, kind)


def _check_checkpoint(
    cp: Checkpoint,
    where: str,
    frontier: Frontier,
    state: WalkState,
    trusted: TrustedKeys,
    previous: Checkpoint | None,
    tree: StoredTree,
    signed: bool = True,
) -> None:
    if signed:
        try:
            open_checkpoint(cp.note, state.ledger or "", list(trusted.keys.values()), where)
        except (NoteError, AuditError) as exc:
            raise TamperingDetected(f"{exc}", cp.tree_size, "bad-checkpoint") from exc
    if frontier.root() != cp.root:
        raise TamperingDetected(
            f"{where} (tree size {cp.tree_size}) does not match the tree recomputed from the events: "
            f"the history up to leaf {cp.tree_size - 1} was rewritten",
            cp.tree_size,
            "rewritten",
        )
    if previous is not None and previous.tree_size < cp.tree_size:
        try:
            path = consistency_path(tree.subtree, previous.tree_size, cp.tree_size)
            verify_consistency(previous.tree_size, cp.tree_size, previous.root, cp.root, path)
        except (ProofError, TreeDamaged) as exc:
            raise TamperingDetected(
                f"{where} is not consistent with the checkpoint of size {previous.tree_size}: {exc}",
                cp.tree_size,
                "inconsistent",
            ) from exc


def walk(
    db: Database,
    trusted: TrustedKeys,
    state: WalkState | None = None,
    on_progress: Callable[[int], None] | None = None,
    trusted_checkpoint: Checkpoint | None = None,
    collect: bool = True,
) -> Iterator[list[VerifiedEvent]]:
    """Yield the verified events page by page; raise TamperingDetected at the first break."""
    state = state if state is not None else WalkState()
    stored_head = head(db)
    checkpoints = load_checkpoints(db)
    if not trusted.keys and checkpoints:
        raise AuditError("no audit public key is known: pass the ledger's public key with --public-key")
    pending = list(checkpoints)
    tree = StoredTree(db, tables(db))
    leaves = _Leaves(db)
    frontier = state.frontier
    closed: list[tuple[int, int, bytes]] = []
    nodes_table = tables(db).nodes
    previous: Checkpoint | None = None
    trusted_size = trusted_checkpoint.tree_size if trusted_checkpoint is not None else -1

    def check_at(size: int) -> StoredCheckpoint | None:
        """The checks due when the tree reaches `size`: the stored checkpoint of that size (its
        signature, root and consistency with the one before; returned) and the trusted checkpoint."""
        nonlocal previous
        stored: StoredCheckpoint | None = None
        if pending and pending[0].tree_size == size:
            stored = pending.pop(0)
            _check_checkpoint(
                stored.checkpoint,
                f"signed checkpoint of tree size {size}",
                frontier,
                state,
                trusted,
                previous,
                tree,
            )
            previous = stored.checkpoint
            state.checkpoints_checked += 1
        if size == trusted_size:
            assert trusted_checkpoint is not None
            _check_checkpoint(
                trusted_checkpoint,
                "the trusted checkpoint",
                frontier,
                state,
                trusted,
                None,
                tree,
                signed=False,
            )
        return stored

    last = 0
    first = True
    while True:
        page = db.read_events(last, PAGE_SIZE)
        if not page:
            break
        if first:
            from projections.audit.tree import ledger_identity

            state.ledger = ledger_identity(db)
            first = False
        out: list[VerifiedEvent] = []
        positions, hashes = leaves.window(len(page))
        if positions != [row.position for row in page]:
            # Find the first place where the positions differ; diagnose it there.
            for offset, row in enumerate(page):
                if (
                    offset >= len(positions)
                    or positions[offset] != row.position
                    or _leaf(row) != hashes[offset]
                ):
                    leaves.skip(offset)
                    raise _diagnose(db, leaves, leaves.peek(), row)
        append = frontier.append
        # Hot loop: one leaf per event, compared with the leaf written with it; the rare checkpoint
        # sizes are looked up by a single comparison.
        next_check = pending[0].tree_size if pending else -1
        if not collect:
            # `audit verify`: the page's leaves hashed in one loop and compared as one list, then the
            # tree extended a block of leaves at a time up to each checkpoint size (same checks).
            computed_page = leaf_hashes(page)
            if computed_page != hashes[: len(page)]:
                offset = next(o for o, leaf in enumerate(computed_page) if leaf != hashes[o])
                leaves.skip(offset)
                raise _diagnose(db, leaves, leaves.peek(), page[offset])
            done = 0
            while done < len(page):
                stop = len(page)
                for boundary in (next_check, trusted_size):
                    if frontier.size < boundary <= frontier.size + stop - done:
                        stop = done + boundary - frontier.size
                frontier.extend_folding(computed_page[done:stop], closed)
                done = stop
                size = frontier.size
                if size in (next_check, trusted_size):
                    check_at(size)
                    next_check = pending[0].tree_size if pending else -1
        for offset, row in enumerate(page if collect else ()):
            computed = leaf_hash(
                row.position, row.originator_id, row.originator_version, row.topic, row.state
            )
            if computed != hashes[offset]:
                leaves.skip(offset)
                raise _diagnose(db, leaves, leaves.peek(), row)
            append(computed, closed)
            checkpoint: StoredCheckpoint | None = None
            size = frontier.size
            if size in (next_check, trusted_size):
                checkpoint = check_at(size)
                next_check = pending[0].tree_size if pending else -1
            if collect:
                out.append(VerifiedEvent(row, size - 1, computed, checkpoint))
        leaves.skip(len(page))
        if closed:
            _check_nodes(db, nodes_table, closed)
            closed.clear()
        last = page[-1].position
        state.events = frontier.size
        state.position = last
        if on_progress is not None:
            on_progress(len(page))
        yield out
    rest = leaves.peek()
    if rest is not None:
        raise _diagnose(db, leaves, rest, None)
    if pending:
        cp = pending[0]
        raise TamperingDetected(
            f"the signed checkpoint of tree size {cp.tree_size} is larger than the log ({frontier.size} events): "
            "events were removed from the end of the log",
            cp.tree_size,
            "removed",
        )
    if trusted_checkpoint is not None and trusted_checkpoint.tree_size > frontier.size:
        raise TamperingDetected(
            f"the trusted checkpoint has {trusted_checkpoint.tree_size} leaves but the log only {frontier.size}: "
            "history was removed or rewritten",
            trusted_checkpoint.tree_size,
            "rewritten",
        )
    if (stored_head.size, stored_head.frontier.hashes) != (frontier.size, frontier.hashes) or (
        frontier.size and stored_head.last_position != state.position
    ):
        raise TamperingDetected(
            f"the stored tree head (size {stored_head.size}) does not match the tree recomputed from the log "
            f"({frontier.size} events): the tree tables were altered",
            state.position,
            "tree-head",
        )
    extra = db.execute(f"SELECT COUNT(*) FROM {nodes_table}")[0][0]
    expected = sum(frontier.size >> level for level in range(8, 64, 8))
    if int(extra) != expected:
        raise TamperingDetected(
            f"the tree holds {extra} stored tile nodes where the log gives {expected}: the tree tables were altered",
            state.position,
            "tree-nodes",
        )


def _check_nodes(db: Database, nodes_table: str, closed: list[tuple[int, int, bytes]]) -> None:
    by_level: dict[int, list[tuple[int, bytes]]] = {}
    for level, index, value in closed:
        by_level.setdefault(level, []).append((index, value))
    for level, items in by_level.items():
        rows = db.execute(
            f"SELECT idx, hash FROM {nodes_table} WHERE level = ? AND idx >= ? AND idx <= ? ORDER BY idx",
            (level, items[0][0], items[-1][0]),
        )
        stored = {int(r[0]): bytes(r[1]) for r in rows}
        for index, value in items:
            if stored.get(index) != value:
                first_leaf = index << level
                raise TamperingDetected(
                    f"the stored tile node at level {level}, index {index} (leaves from {first_leaf}) does not match "
                    "the events: the tree tables were altered",
                    first_leaf,
                    "tree-nodes",
                )


# The summary's warning when no key was pinned; the audit page looks for it to say the same in its language.
UNPINNED_WARNING = (
    "; WARNING: checkpoints were checked against the key recorded in the database, not a pinned key"
)


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a successful verification."""

    ledger: str | None
    events: int
    position: int
    checkpoints: int
    pinned: bool
    trusted_size: int | None = None

    def summary(self) -> str:
        text = (
            f"intact: {self.events} events up to position {self.position} match the leaves written with them, "
            f"the tree and {self.checkpoints} signed checkpoints (each consistent with the one before)"
        )
        if self.trusted_size is not None:
            text += f"; the log extends the trusted checkpoint of tree size {self.trusted_size}"
        if not self.pinned:
            text += UNPINNED_WARNING
        return text


def verify(
    db: Database,
    trusted: TrustedKeys,
    on_progress: Callable[[int], None] | None = None,
    trusted_checkpoint: Checkpoint | None = None,
) -> VerifyReport:
    """Verify the whole log; raise TamperingDetected naming the first broken position or checkpoint."""
    if not db.events_table_exists():
        raise AuditError("the ledger database has no events table yet: there is nothing to verify")
    state = WalkState()
    try:
        for _ in walk(db, trusted, state, on_progress, trusted_checkpoint, collect=False):
            pass
    except (TreeDamaged, ProofError) as exc:
        raise TamperingDetected(
            f"the tree tables are damaged after position {state.position}: {exc}",
            state.position,
            "tree-damaged",
        ) from exc
    return VerifyReport(
        state.ledger,
        state.events,
        state.position,
        state.checkpoints_checked,
        trusted.pinned,
        trusted_checkpoint.tree_size if trusted_checkpoint is not None else None,
    )

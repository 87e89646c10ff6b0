"""`audit verify`: replay the whole log against its stored chain and signed checkpoints.

The walk compares the log and the chain position by position and stops at the FIRST position
where they disagree, naming what it looks like from where each event now sits:

| the log's event at p is chained... | the chain's event for p is in the log... | verdict   |
|------------------------------------|------------------------------------------|-----------|
| here (same originator and version) | here                                     | altered   |
| at another position                | at another position                      | reordered |
| nowhere                            | at another position (shifted)            | inserted  |
| at another position (shifted)      | nowhere                                  | removed   |
| nowhere                            | nowhere                                  | altered   |

A chain table rewritten together with the log is caught by the signed checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from projections.audit.auditkey import AuditPublicKey
from projections.audit.chain import (
    Checkpoint,
    chain_position_of,
    chained_events,
    load_checkpoints,
)
from projections.audit.chainhash import GENESIS, ledger_identity, next_link
from projections.audit.database import PAGE_SIZE, Database, StoredRow
from projections.audit.errors import AuditError, TamperingDetected

ChainRow = tuple[int, str, int, bytes]


@dataclass(frozen=True)
class TrustedKeys:
    """The public keys checkpoints must be signed by; `pinned` says they came from outside the database."""

    keys: dict[str, AuditPublicKey]
    pinned: bool


@dataclass(frozen=True)
class ChainedEvent:
    """One verified event: the stored row, its recomputed link, and the checkpoint closing at it, if any."""

    row: StoredRow
    link: bytes
    checkpoint: Checkpoint | None


@dataclass
class WalkState:
    """What a walk has seen so far (read after the walk ends)."""

    events: int = 0
    position: int = 0
    ledger: str | None = None
    checkpoints_checked: int = 0
    checkpoints: list[Checkpoint] = field(default_factory=list)


def _finding(
    db: Database, position: int, log_row: StoredRow | None, chain_row: ChainRow | None
) -> TamperingDetected:
    """Name what happened at the first position where the log and its chain disagree."""
    log_elsewhere: int | None = None
    log_known = chain_present = False
    if log_row is not None:
        chained_at = chain_position_of(db, log_row.originator_id, log_row.originator_version)
        log_elsewhere = chained_at if chained_at != position else None
        log_known = chained_at is not None
    chain_elsewhere: int | None = None
    if chain_row is not None:
        now_at = db.position_of(chain_row[1], chain_row[2])
        chain_elsewhere = now_at if now_at != position else None
        chain_present = now_at is not None

    if log_row is not None and chain_row is not None:
        describe = f"{log_row.originator_id} version {log_row.originator_version}"
        if (log_row.originator_id, log_row.originator_version) == (chain_row[1], chain_row[2]):
            kind, what = "altered", f"the event stored there ({describe}) no longer matches its chain link"
        elif log_known and chain_present:
            kind = "reordered"
            what = f"the event now there ({describe}) was chained at position {log_elsewhere}"
        elif chain_present:
            kind = "inserted"
            what = (
                f"an event that was never chained ({describe}) sits there; the event chained there "
                f"moved to position {chain_elsewhere}"
            )
        elif log_known:
            kind = "removed"
            what = (
                f"the event chained there ({chain_row[1]} version {chain_row[2]}) is gone and later "
                "events were moved up"
            )
        else:
            kind, what = "altered", f"the event stored there ({describe}) was replaced"
    elif chain_row is not None:
        if chain_elsewhere is not None:
            kind = "reordered"
            what = f"the event chained there ({chain_row[1]} version {chain_row[2]}) moved to position {chain_elsewhere}"
        else:
            kind = "removed"
            what = f"the event chained there ({chain_row[1]} version {chain_row[2]}) is missing from the log"
    else:
        assert log_row is not None
        describe = f"{log_row.originator_id} version {log_row.originator_version}"
        if log_elsewhere is not None:
            kind, what = (
                "reordered",
                f"the event now there ({describe}) was chained at position {log_elsewhere}",
            )
        else:
            kind, what = (
                "inserted",
                f"an event that was never chained ({describe}) sits inside the chained history",
            )
    return TamperingDetected(f"tampering at position {position}: event {kind} - {what}", position, kind)


def _check_checkpoint(
    checkpoint: Checkpoint, link: bytes, events: int, ledger: str, trusted: TrustedKeys
) -> None:
    where = f"signed checkpoint #{checkpoint.seq} at position {checkpoint.position}"
    key = trusted.keys.get(checkpoint.key_id)
    if key is None:
        raise TamperingDetected(
            f"{where} is signed by key {checkpoint.key_id}, which is not a trusted audit key "
            "(pass the ledger's public key with --public-key)",
            checkpoint.position,
            "unknown-key",
        )
    if not key.verify(checkpoint.signature, checkpoint.message(ledger)):
        raise TamperingDetected(
            f"{where} has a bad signature: the checkpoint record was altered",
            checkpoint.position,
            "bad-signature",
        )
    if checkpoint.link != link or checkpoint.events != events:
        raise TamperingDetected(
            f"{where} does not match the recomputed chain: the log and its chain table were both rewritten "
            f"at or before position {checkpoint.position}",
            checkpoint.position,
            "rewritten",
        )


def _chain_rows(db: Database, after: int, upto: int) -> list[ChainRow]:
    return [
        (int(r[0]), str(r[1]), int(r[2]), bytes(r[3]))
        for r in db.execute(
            f"SELECT position, originator_id, originator_version, link FROM {db.table('audit_chain')} "
            "WHERE position > ? AND position <= ? ORDER BY position",
            (after, upto),
        )
    ]


def ledger_of(db: Database) -> str | None:
    """The ledger identity from the first stored event (which the walk has just verified)."""
    first = db.first_event()
    return ledger_identity(first) if first is not None else None


def _first_break(db: Database, log_page: list[StoredRow], chain_page: list[ChainRow]) -> TamperingDetected:
    """Merge two pages covering the same positions whose positions differ; name the first difference."""
    for log_row, chain_row in zip(log_page, chain_page, strict=False):
        if log_row.position < chain_row[0]:
            return _finding(db, log_row.position, log_row, None)
        if log_row.position > chain_row[0]:
            return _finding(db, chain_row[0], None, chain_row)
    if len(log_page) > len(chain_page):
        row = log_page[len(chain_page)]
        return _finding(db, row.position, row, None)
    chain_row = chain_page[len(log_page)]
    return _finding(db, chain_row[0], None, chain_row)


def walk_pages(
    db: Database,
    trusted: TrustedKeys,
    state: WalkState | None = None,
    on_progress: Callable[[int], None] | None = None,
    collect: bool = True,
) -> Iterator[list[ChainedEvent]]:
    """Yield the chained events page by page, verified; raise TamperingDetected at the first break.

    Each page of the log is read with the chain rows of the same position range: when their
    positions pair up (the normal case) the links are recomputed in a tight loop; otherwise the
    two pages are merged to find the first position that differs.
    """
    state = state if state is not None else WalkState()
    checkpoints = load_checkpoints(db)
    state.checkpoints = checkpoints
    if not checkpoints:
        return
    for number, (earlier, later) in enumerate(zip([None, *checkpoints], checkpoints, strict=False), start=1):
        if later.seq != number or (earlier is not None and later.position <= earlier.position):
            raise TamperingDetected(
                f"signed checkpoint #{number} is missing or out of order: the checkpoint table was altered",
                later.position,
                "rewritten",
            )
    head = checkpoints[-1]
    by_position = {cp.position: cp for cp in checkpoints}
    chain_table = db.table("audit_chain")
    previous = GENESIS
    last = 0
    while True:
        log_page = db.read_events(last, PAGE_SIZE, upto=head.position)
        if not log_page:
            rest = chained_events(db, last, 1)
            if rest:
                raise _finding(db, rest[0][0], None, rest[0])
            break
        upto = log_page[-1].position
        # Only positions and links in the normal case; whole chain rows once something differs.
        pairs = db.execute(
            f"SELECT position, link FROM {chain_table} WHERE position > ? AND position <= ? ORDER BY position",
            (last, upto),
        )
        if len(pairs) != len(log_page) or any(
            row.position != pair[0] for row, pair in zip(log_page, pairs, strict=True)
        ):
            raise _first_break(db, log_page, _chain_rows(db, last, upto))
        page: list[ChainedEvent] = []
        events = state.events
        for row, pair in zip(log_page, pairs, strict=True):
            link = next_link(previous, row)
            if link != pair[1]:
                raise _finding(db, row.position, row, _chain_rows(db, row.position - 1, row.position)[0])
            events += 1
            checkpoint = by_position.pop(row.position, None) if row.position in by_position else None
            if checkpoint is not None:
                state.ledger = state.ledger or ledger_of(db)
                _check_checkpoint(checkpoint, link, events, state.ledger or "", trusted)
                state.checkpoints_checked += 1
            if collect:
                page.append(ChainedEvent(row, link, checkpoint))
            previous = link
        if state.ledger is None:
            state.ledger = ledger_of(db)
        state.events = events
        state.position = upto
        last = upto
        if on_progress is not None:
            on_progress(len(log_page))
        yield page
    if by_position:
        orphan = min(by_position.values(), key=lambda cp: cp.seq)
        raise TamperingDetected(
            f"signed checkpoint #{orphan.seq} names position {orphan.position}, which is not in the chain: "
            "the chain table was altered",
            orphan.position,
            "rewritten",
        )


def walk_chain(
    db: Database,
    trusted: TrustedKeys,
    state: WalkState | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[ChainedEvent]:
    """Yield every chained event in order, verified; raise TamperingDetected at the first break."""
    for page in walk_pages(db, trusted, state, on_progress):
        yield from page


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of a successful verification."""

    ledger: str | None
    events: int
    position: int
    checkpoints: int
    unchained: int
    pinned: bool

    def summary(self) -> str:
        if not self.checkpoints:
            return (
                f"no checkpoint yet: {self.unchained} events are not chained "
                "(run `immunize audit checkpoint`)"
            )
        text = (
            f"intact: {self.events} events up to position {self.position} match the chain and "
            f"{self.checkpoints} signed checkpoints"
        )
        if self.unchained:
            text += f"; {self.unchained} newer events are not chained yet (run `immunize audit checkpoint`)"
        if not self.pinned:
            text += "; WARNING: checkpoints were checked against the key recorded in the database, not a pinned key"
        return text


def trusted_keys(db: Database, pinned: list[AuditPublicKey]) -> TrustedKeys:
    """The pinned keys when there are any, else (with a warning) the keys the database records."""
    if pinned:
        return TrustedKeys({key.key_id: key for key in pinned}, True)
    from projections.audit.chain import load_public_keys

    return TrustedKeys(load_public_keys(db), False)


def verify(
    db: Database, trusted: TrustedKeys, on_progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Verify the whole log; raise TamperingDetected naming the first broken position."""
    if not db.events_table_exists():
        raise AuditError("the ledger database has no events table yet: there is nothing to verify")
    state = WalkState()
    for _ in walk_pages(db, trusted, state, on_progress, collect=False):
        pass
    unchained = int(
        db.execute(
            f"SELECT COUNT(*) FROM {db.events_table} WHERE {db.position_column} > ?", (state.position,)
        )[0][0]
    )
    return VerifyReport(
        state.ledger, state.events, state.position, state.checkpoints_checked, unchained, trusted.pinned
    )

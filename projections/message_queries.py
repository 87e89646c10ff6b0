"""Reads of the outbox: messages and their delivery state, what is due, replies kept for a human, and
who was texted at a phone."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from projections.sql_reads import read_rows
from projections.store import ViewStore


@dataclass(frozen=True)
class MessageRow:
    """A message's delivery state (the number and text are read from the ledger when shown)."""

    message_id: str
    person_id: str
    kind: str
    status: str
    appointment_id: str | None
    dose_id: str | None
    queued_at: str
    attempts: int
    answer: str | None
    encoding: str
    parts: int


_MESSAGE_COLUMNS = "message_id, person_id, kind, status, appointment_id, dose_id, queued_at, attempts, answer, encoding, parts"


def messages(
    store: ViewStore,
    *,
    status: str | None = None,
    kind: str | None = None,
    limit: int = 1_000,
    offset: int = 0,
) -> list[MessageRow]:
    """Messages, oldest first, optionally by status and kind ("pending" includes those being sent)."""
    conditions, params = [], []
    if status == "pending":
        conditions.append("status IN ('pending', 'sending')")
    elif status is not None:
        conditions.append("status = ?")
        params.append(status)
    if kind is not None:
        conditions.append("kind = ?")
        params.append(kind)
    where = ("WHERE " + " AND ".join(conditions)) if conditions else ""
    rows = read_rows(
        store,
        f"SELECT {_MESSAGE_COLUMNS} FROM {store.table('campaign_messages')} {where} "
        "ORDER BY queued_at, message_id LIMIT ? OFFSET ?",
        *params,
        limit,
        offset,
    )
    return [
        MessageRow(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            str(r[4]) if r[4] else None,
            str(r[5]) if r[5] else None,
            str(r[6]),
            int(r[7]),
            str(r[8]) if r[8] else None,
            str(r[9]),
            int(r[10]),
        )
        for r in rows
    ]


def due_message_ids(
    store: ViewStore,
    now: datetime,
    *,
    limit: int = 500,
    kinds: Collection[str] | None = None,
    shard: tuple[int, int] | None = None,
) -> list[UUID]:
    """Messages to (re)try now: those left "sending" by a sender that stopped (their lease ran out:
    resumed under their key), then the pending ones that are due, oldest first. Two queries, so that
    the second walks the (status, queued_at, message_id) index and stops at `limit` instead of sorting
    every pending message of a province (about 100 ms a call at 120,000). `kinds` keeps only those
    kinds (quiet hours); `shard` (i, n) only the messages of sender i of n (by the id's first hex
    digit, so n senders read disjoint parts of the outbox)."""
    at = now.astimezone(UTC).isoformat()
    extra, params = "", []
    if kinds is not None:
        extra += f" AND kind IN ({', '.join('?' for _ in sorted(kinds)) or 'NULL'})"
        params += sorted(kinds)
    if shard is not None:
        index, count = shard
        digits = [d for d in "0123456789abcdef" if int(d, 16) % count == index]
        extra += f" AND substr(message_id, 1, 1) IN ({', '.join('?' for _ in digits) or 'NULL'})"
        params += digits
    table = store.table("campaign_messages")
    rows = list(
        read_rows(
            store,
            f"SELECT message_id FROM {table} WHERE status = 'sending' "
            f"AND (next_try_at IS NULL OR next_try_at <= ?){extra} ORDER BY queued_at, message_id LIMIT ?",
            at,
            *params,
            limit,
        )
    )
    if len(rows) < limit:
        rows += read_rows(
            store,
            f"SELECT message_id FROM {table} WHERE status = 'pending' "
            f"AND (next_try_at IS NULL OR next_try_at <= ?){extra} ORDER BY queued_at, message_id LIMIT ?",
            at,
            *params,
            limit - len(rows),
        )
    return [UUID(str(r[0])) for r in rows]


def cancelled_appointment_messages(store: ViewStore, message_ids: Sequence[UUID]) -> list[UUID]:
    """Those of these messages that announce or remind of an appointment cancelled since (or moved:
    a move cancels the old appointment), and were never tried."""
    if not message_ids:
        return []
    marks = ", ".join("?" for _ in message_ids)
    rows = read_rows(
        store,
        f"SELECT m.message_id FROM {store.table('campaign_messages')} AS m "
        f"JOIN {store.table('campaign_appointments')} AS a ON a.appointment_id = m.appointment_id "
        f"WHERE m.message_id IN ({marks}) AND m.kind IN ('appointment', 'reminder') AND m.status = 'pending' "
        "AND m.attempts = 0 AND a.status = 'cancelled'",
        *[str(i) for i in message_ids],
    )
    return [UUID(str(r[0])) for r in rows]


def latest_checkin(store: ViewStore, phone_digest: str) -> tuple[UUID | None, UUID | None]:
    """(check-in message id, person id) of the latest check-in sent to that phone; (None, person) when
    the phone had only other messages; (None, None) when the phone is unknown."""
    rows = read_rows(
        store,
        f"SELECT message_id, person_id, kind FROM {store.table('campaign_messages')} WHERE phone_digest = ? "
        "ORDER BY CASE WHEN kind IN ('checkin_day1', 'checkin_day7') AND status = 'sent' AND answer IS NULL "
        "THEN 0 ELSE 1 END, queued_at DESC LIMIT 1",
        phone_digest,
    )
    if not rows:
        return None, None
    message, person, kind = rows[0]
    if str(kind) in ("checkin_day1", "checkin_day7"):
        return UUID(str(message)), UUID(str(person))
    return None, UUID(str(person))


def kept_replies(store: ViewStore, *, handled: bool = False) -> list[tuple[str, str, str | None, str]]:
    """(reply id, person id, message id, received at) of replies kept for a human."""
    return [
        (str(r[0]), str(r[1]), str(r[2]) if r[2] else None, str(r[3]))
        for r in read_rows(
            store,
            f"SELECT reply_id, person_id, message_id, received_at FROM {store.table('campaign_replies')} "
            "WHERE handled = ? ORDER BY received_at",
            int(handled),
        )
    ]


def people_texted_at(store: ViewStore, phone_digest: str) -> list[tuple[UUID, str]]:
    """(person id, language of their latest message) of the people whose messages went to that phone
    (matched by the keyed digest recorded at each attempt: a family shares a guardian's number)."""
    rows = read_rows(
        store,
        f"SELECT person_id, language, queued_at FROM {store.table('campaign_messages')} WHERE phone_digest = ? "
        "ORDER BY queued_at DESC",
        phone_digest,
    )
    found: dict[str, str] = {}
    for person, language, _ in rows:
        found.setdefault(str(person), str(language))
    return [(UUID(p), language) for p, language in sorted(found.items())]


def latest_answer(store: ViewStore, person_ids: Sequence[UUID]) -> UUID | None:
    """The latest answer to a text ("which appointment?") queued for any of these people."""
    if not person_ids:
        return None
    marks = ", ".join("?" for _ in person_ids)
    rows = read_rows(
        store,
        f"SELECT message_id FROM {store.table('campaign_messages')} WHERE kind = 'sms_answer' "
        f"AND person_id IN ({marks}) ORDER BY queued_at DESC, message_id LIMIT 1",
        *[str(p) for p in person_ids],
    )
    return UUID(str(rows[0][0])) if rows else None

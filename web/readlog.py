"""Staff reads of a health book, recorded (who, when, which person) for the auditor (issue 12, item 1).

A health book holds a person's identity and medical history; looking at it is an act the person
may ask about. Each staff read is one row (never the person's data, only their id); the auditor
sees them at /audit/reads, newest first, or for one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from web.roles import Principal
from web.store import SqlStore

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS web_staff_reads (
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        site_id TEXT NOT NULL,
        person_id TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS web_staff_reads_person ON web_staff_reads (person_id, at)",
    "CREATE INDEX IF NOT EXISTS web_staff_reads_at ON web_staff_reads (at)",
)


@dataclass(frozen=True)
class StaffRead:
    at: str
    actor: str
    role: str
    site_id: str
    person_id: str


class ReadLog:
    def __init__(self, store: SqlStore) -> None:
        self.store = store
        for statement in SCHEMA:
            store.execute(statement)

    def record(self, who: Principal, person_id: str, at: datetime) -> None:
        self.store.execute(
            "INSERT INTO web_staff_reads (at, actor, role, site_id, person_id) VALUES (?, ?, ?, ?, ?)",
            (at.isoformat(timespec="seconds"), who.subject, who.role.value, who.site_id or "", person_id),
        )

    def recent(self, *, person_id: str = "", limit: int = 200) -> list[StaffRead]:
        if person_id:
            rows = self.store.query(
                "SELECT at, actor, role, site_id, person_id FROM web_staff_reads WHERE person_id = ?"
                " ORDER BY at DESC LIMIT ?",
                (person_id, limit),
            )
        else:
            rows = self.store.query(
                "SELECT at, actor, role, site_id, person_id FROM web_staff_reads ORDER BY at DESC LIMIT ?",
                (limit,),
            )
        return [StaffRead(*(str(value) for value in row)) for row in rows]


def readlog() -> ReadLog:
    """The app's read log (created with the app)."""
    from flask import current_app

    log: ReadLog = current_app.extensions["immunize_reads"]
    return log


def record_read(person_id: str) -> None:
    """Record that the signed-in staff member read this person's health book now."""
    from web.context import ctx
    from web.roles import current_principal

    who = current_principal()
    if who is not None:
        readlog().record(who, person_id, ctx().clock())

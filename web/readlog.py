"""Staff reads of a health book, recorded (who, when, which person) for the auditor (issue 12, item 1),
and staff lookups by a typed national ID or phone number, recorded and rate-limited.

A health book holds a person's identity and medical history; looking at it is an act the person
may ask about. Each staff read is one row (never the person's data, only their id); the auditor
sees them at /audit/reads, newest first, or for one person.

A lookup by national ID, phone number or certificate QR at the desk (web page or API) is an act too,
found or not: it tells the staff member who holds a number, who a phone reaches (a family with its
children), or whose certificate this is. Each is one row (who, when, which site, what kind, how many
people it found, and a keyed digest of the number or of the certificate's UCI: `Accounts.key_for`, the
web secret's HMAC, never the value), and each staff account may look up at most RATE_STAFF_LOOKUPS
(limit, window seconds) of them, all kinds together, so a desk account cannot be used to walk through
numbers or a pile of certificates. The auditor types a number or a UCI at /audit/reads to see who looked
it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ledger.errors import LedgerError
from ledger.phone import normalise_phone
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
    """CREATE TABLE IF NOT EXISTS web_staff_lookups (
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT NOT NULL,
        site_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        digest TEXT NOT NULL,
        found INTEGER NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS web_staff_lookups_digest ON web_staff_lookups (digest, at)",
    "CREATE INDEX IF NOT EXISTS web_staff_lookups_at ON web_staff_lookups (at)",
)

LookupKind = Literal["national_id", "phone", "certificate"]


@dataclass(frozen=True)
class StaffRead:
    at: str
    actor: str
    role: str
    site_id: str
    person_id: str


@dataclass(frozen=True)
class StaffLookup:
    at: str
    actor: str
    role: str
    site_id: str
    kind: str
    found: int


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

    def record_lookup(self, who: Principal, kind: LookupKind, digest: str, found: int, at: datetime) -> None:
        self.store.execute(
            "INSERT INTO web_staff_lookups (at, actor, role, site_id, kind, digest, found)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                at.isoformat(timespec="seconds"),
                who.subject,
                who.role.value,
                who.site_id or "",
                kind,
                digest,
                found,
            ),
        )

    def lookups(self, *, digests: tuple[str, ...] = (), limit: int = 200) -> list[StaffLookup]:
        """Lookups newest first; with digests, only those of these numbers."""
        columns = "SELECT at, actor, role, site_id, kind, found FROM web_staff_lookups"
        if digests:
            marks = ", ".join("?" for _ in digests)
            rows = self.store.query(
                f"{columns} WHERE digest IN ({marks}) ORDER BY at DESC LIMIT ?", (*digests, limit)
            )
        else:
            rows = self.store.query(f"{columns} ORDER BY at DESC LIMIT ?", (limit,))
        return [StaffLookup(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), int(r[5])) for r in rows]


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


def lookup_digest(kind: LookupKind, value: str) -> str:
    """The keyed digest a number is logged under: a phone in its one national form (any typed form of
    one number is one digest), a national ID as typed without spaces, a certificate by its UCI (upper
    case, without the "URN:UVCI:" prefix), or by its HC1 text when no UCI could be read from it."""
    from web.context import ctx

    text = "".join(str(value).split())
    if kind == "certificate":
        text = text.upper().removeprefix("URN:UVCI:")
    if kind == "phone":
        with suppress(LedgerError):  # not a mobile number: logged as typed (the lookup refuses it)
            text = normalise_phone(text)
    return ctx().accounts.key_for("lookup-" + kind, text)


@dataclass
class Lookup:
    """How many people a lookup found (0 until the lookup says otherwise), and what it looked up when
    that is known only once read (a certificate's UCI; otherwise the value `staff_lookup` was given)."""

    found: int = 0
    value: str = ""


@contextmanager
def staff_lookup(kind: LookupKind, value: str) -> Iterator[Lookup]:
    """A staff lookup by a typed number: rate-limited per staff account (RateLimited, 429, before
    anything is looked up), then recorded whether it found someone or not."""
    from flask import current_app

    from web.context import ctx
    from web.roles import current_principal

    who = current_principal()
    assert who is not None  # @allow(Role.STAFF) guarantees a principal here
    accounts, now = ctx().accounts, ctx().clock()
    limit, window = current_app.config["RATE_STAFF_LOOKUPS"]
    accounts.hit(
        "staff-lookup:" + accounts.key_for("staff", who.subject), int(limit), int(window), now.timestamp()
    )
    lookup = Lookup(value=value)
    try:
        yield lookup
    finally:
        if lookup.value:  # empty: the form sent nothing to look up (a picture with no QR code, say)
            readlog().record_lookup(who, kind, lookup_digest(kind, lookup.value), lookup.found, now)

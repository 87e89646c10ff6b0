"""What counting views need to undo a count: the non-personal facts of every person and dose.

A dose counted under (day, province, product, group, number) must be un-counted exactly when it is
voided, corrected (another day, product, lot or site) or renumbered (a voided earlier dose moves
later doses down by one, as the ledger's `Person._dose_voided` does). So a counting view keeps one
row per person (province, priority group, adult or not) and per dose, in its own tables, and calls
`tally(batch, person, dose, +1 / -1)` whenever a dose's contribution changes. Nothing here is
personal data: ids, codes, dates of doses, and the birth year reduced to "adult or not".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ledger.domainmodel import Person
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table

# Adults for the 2021 target: 18 or older by 31 December 2021, i.e. born in 2003 or before
# (the ledger keeps only the birth year in clear, so age is counted by year).
ADULT_BORN_BY = 2003

PEOPLE = "facts_people"
DOSES = "facts_doses"
PERSON_DOSES = "person_doses"  # memo only: dose ids of the people whose doses a page voids

FACT_TABLES = (
    Table(
        PEOPLE,
        (
            "person_id TEXT NOT NULL",
            "province TEXT NOT NULL",
            "priority_group TEXT NOT NULL",
            "adult INTEGER NOT NULL",
        ),
        ("person_id",),
    ),
    Table(
        DOSES,
        (
            "dose_id TEXT NOT NULL",
            "person_id TEXT NOT NULL",
            "seq BIGINT NOT NULL",
            "dose_number INTEGER NOT NULL",
            "product TEXT NOT NULL",
            "lot_id TEXT NOT NULL",
            "site_id TEXT NOT NULL",
            "day TEXT NOT NULL",
            "active INTEGER NOT NULL",
        ),
        ("dose_id",),
        indexes=(("person_id",),),
    ),
)


class PersonFacts(NamedTuple):
    """The counting facts of a person."""

    person_id: str
    province: str
    priority_group: str
    adult: bool


class DoseFacts(NamedTuple):
    """The counting facts of a dose (`seq` orders a person's doses: the event's version)."""

    dose_id: str
    person_id: str
    seq: int
    dose_number: int
    product: str
    lot_id: str
    site_id: str
    day: str
    active: bool


class CountingView(ViewProjection):
    """A view that counts doses; subclasses implement `tally` (and may handle more events)."""

    def tally(self, batch: Batch, person: PersonFacts, dose: DoseFacts, sign: int) -> None:
        """Add (`sign` = 1) or remove (-1) the contribution of one dose."""
        raise NotImplementedError

    # ---- lookups -------------------------------------------------------------------------------

    def prefetch(self, events: Sequence[Any], batch: Batch) -> None:
        person_ids = [str(e.originator_id) for e in events if not isinstance(e, Person.Registered)]
        batch.load(
            PEOPLE,
            f"SELECT person_id, province, priority_group, adult FROM {self.t(PEOPLE)}",
            "person_id",
            person_ids,
        )
        dose_ids = [str(e.dose_id) for e in events if isinstance(e, Person.DoseCorrected | Person.DoseVoided)]
        batch.load(DOSES, f"SELECT {self._dose_columns()} FROM {self.t(DOSES)}", "dose_id", dose_ids)
        # A void renumbers the person's later doses: read all their doses now, keep the list current.
        by_person: dict[str, list[str]] = batch.memo.setdefault(PERSON_DOSES, {})
        voiding = sorted({str(e.originator_id) for e in events if isinstance(e, Person.DoseVoided)})
        if voiding:
            condition, as_array = self.store.in_list("person_id", len(voiding))
            found = batch.query(
                f"SELECT {self._dose_columns()} FROM {self.t(DOSES)} WHERE {condition} ORDER BY seq",
                *([voiding] if as_array else voiding),
            )
            for person_id in voiding:
                by_person[person_id] = []
            for row in found:
                batch.memo[DOSES].setdefault(row[0], row[1:])
                by_person[row[1]].append(row[0])

    @staticmethod
    def _dose_columns() -> str:
        return "dose_id, person_id, seq, dose_number, product, lot_id, site_id, day, active"

    def person(self, batch: Batch, person_id: str) -> PersonFacts | None:
        """The facts of a person (None if unknown, e.g. erased)."""
        row = batch.memo[PEOPLE].get(person_id)
        if row is None:
            return None
        if isinstance(row, PersonFacts):
            return row
        facts = PersonFacts(person_id, row[0], row[1], bool(row[2]))
        batch.memo[PEOPLE][person_id] = facts
        return facts

    def dose(self, batch: Batch, dose_id: str) -> DoseFacts | None:
        """The facts of a dose (None if unknown)."""
        row = batch.memo[DOSES].get(dose_id)
        if row is None or isinstance(row, DoseFacts):
            return row
        facts = DoseFacts(
            dose_id, row[0], int(row[1]), int(row[2]), row[3], row[4], row[5], row[6], bool(row[7])
        )
        batch.memo[DOSES][dose_id] = facts
        return facts

    def _save_dose(self, batch: Batch, dose: DoseFacts) -> None:
        batch.execute(
            f"UPDATE {self.t(DOSES)} SET dose_number = ?, product = ?, lot_id = ?, site_id = ?, day = ?, active = ? "
            "WHERE dose_id = ?",
            dose.dose_number,
            dose.product,
            dose.lot_id,
            dose.site_id,
            dose.day,
            int(dose.active),
            dose.dose_id,
        )
        batch.memo[DOSES][dose.dose_id] = dose

    # ---- events --------------------------------------------------------------------------------

    @handles(Person.Registered)
    def _facts_registered(self, e: Person.Registered, batch: Batch) -> None:
        facts = PersonFacts(
            str(e.originator_id), e.province_code, e.priority_group, e.birth_year <= ADULT_BORN_BY
        )
        batch.insert(
            f"INSERT INTO {self.t(PEOPLE)} (person_id, province, priority_group, adult) VALUES (?, ?, ?, ?)",
            facts.person_id,
            facts.province,
            facts.priority_group,
            int(facts.adult),
        )
        batch.memo[PEOPLE][facts.person_id] = facts

    @handles(Person.DoseAdministered)
    def _facts_dose(self, e: Person.DoseAdministered, batch: Batch) -> None:
        person = self.person(batch, str(e.originator_id))
        if person is None:
            return
        dose = DoseFacts(
            str(e.dose_id),
            person.person_id,
            e.originator_version,
            e.dose_number,
            e.product,
            str(e.lot_id),
            str(e.site_id),
            e.administered_on.isoformat(),
            True,
        )
        batch.insert(
            f"INSERT INTO {self.t(DOSES)} ({self._dose_columns()}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            dose.dose_id,
            dose.person_id,
            dose.seq,
            dose.dose_number,
            dose.product,
            dose.lot_id,
            dose.site_id,
            dose.day,
            1,
        )
        batch.memo[DOSES][dose.dose_id] = dose
        if person.person_id in batch.memo[PERSON_DOSES]:
            batch.memo[PERSON_DOSES][person.person_id].append(dose.dose_id)
        self.tally(batch, person, dose, 1)

    @handles(Person.DoseCorrected)
    def _facts_corrected(self, e: Person.DoseCorrected, batch: Batch) -> None:
        person = self.person(batch, str(e.originator_id))
        old = self.dose(batch, str(e.dose_id))
        if person is None or old is None:
            return
        new = old._replace(
            product=e.product,
            lot_id=str(e.lot_id),
            site_id=str(e.site_id),
            day=e.administered_on.isoformat(),
        )
        self._save_dose(batch, new)
        if old.active:
            self.tally(batch, person, old, -1)
            self.tally(batch, person, new, 1)

    @handles(Person.DoseVoided)
    def _facts_voided(self, e: Person.DoseVoided, batch: Batch) -> None:
        person = self.person(batch, str(e.originator_id))
        voided = self.dose(batch, str(e.dose_id))
        if person is None or voided is None or not voided.active:
            return
        self._save_dose(batch, voided._replace(active=False))
        self.tally(batch, person, voided, -1)
        # Later doses move down one number (the ledger renumbers the same way).
        for dose_id in batch.memo[PERSON_DOSES][person.person_id]:
            old = self.dose(batch, dose_id)
            if old is None or not old.active or old.seq <= voided.seq:
                continue
            new = old._replace(dose_number=old.dose_number - 1)
            self._save_dose(batch, new)
            self.tally(batch, person, old, -1)
            self.tally(batch, person, new, 1)

    @handles(Person.Erased)
    def _facts_erased(self, e: Person.Erased, batch: Batch) -> None:
        # Counts survive; the link between the person and their doses goes.
        person_id = str(e.originator_id)
        batch.execute(f"DELETE FROM {self.t(DOSES)} WHERE person_id = ?", person_id)
        batch.execute(f"DELETE FROM {self.t(PEOPLE)} WHERE person_id = ?", person_id)
        batch.memo[PEOPLE][person_id] = None
        for dose_id, dose in list(batch.memo[DOSES].items()):
            if dose is not None and (dose.person_id if isinstance(dose, DoseFacts) else dose[0]) == person_id:
                batch.memo[DOSES][dose_id] = None

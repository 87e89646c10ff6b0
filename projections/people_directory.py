"""The people directory: who is registered, in registration order, with what staff search and lists need.

One row per person: the registration number (`seq`, 1, 2, 3 ... in log order, so a rebuild numbers
them the same), guardian and relationship, ward, province, priority group, birth year, the site that
registered them (for walk-ins) and whether they were erased. Lists page through it by `seq`
(`ledger people`, the demo, tests); a phone search goes phone index -> holders -> their
dependants through `guardian_id`.

No personal data is stored here, as in the health book: names, dates of birth, national IDs and
phones stay sealed in the ledger and are opened (or shown "[erased]") only when a page shows a
person. The phone is found through the phone index (keyed HMAC), never stored. Birth year and
ward are the same coarse, clear fields the ledger's event itself keeps in clear for statistics.
"""

from __future__ import annotations

from ledger.domainmodel import Person
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table


class PeopleDirectory(ViewProjection):
    """One row per registered person, numbered in registration order."""

    name = "people_directory"
    version = 1
    tables = (
        Table(
            "people",
            (
                "person_id TEXT NOT NULL",
                "seq BIGINT NOT NULL",
                "guardian_id TEXT",
                "relationship TEXT",
                "ward_code TEXT",
                "province_code TEXT",
                "priority_group TEXT",
                "birth_year INTEGER",
                "registered_on TEXT NOT NULL",
                "registered_at_site TEXT",
                "erased INTEGER NOT NULL",
            ),
            ("person_id",),
            indexes=(("seq",), ("guardian_id",), ("province_code",)),
        ),
    )

    def _next_seq(self, batch: Batch) -> int:
        memo = batch.memo.setdefault("people_directory", {})
        if "seq" not in memo:
            [row] = batch.query(f"SELECT COALESCE(MAX(seq), 0) FROM {self.t('people')}")
            memo["seq"] = int(row[0])
        memo["seq"] += 1
        return int(memo["seq"])

    @handles(Person.Registered)
    def _on_registered(self, e: Person.Registered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('people')} (person_id, seq, guardian_id, relationship, ward_code, province_code, "
            "priority_group, birth_year, registered_on, registered_at_site, erased) "
            "VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 0)",
            str(e.originator_id),
            self._next_seq(batch),
            str(e.guardian_id) if e.guardian_id else None,
            e.ward_code,
            e.province_code,
            e.priority_group,
            e.birth_year,
            e.at.date().isoformat(),
            str(e.actor.site_id) if e.actor.site_id else None,
        )

    @handles(Person.DependantAdded)
    def _on_dependant(self, e: Person.DependantAdded, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('people')} SET guardian_id = ?, relationship = ? WHERE person_id = ?",
            str(e.originator_id),
            e.relationship,
            str(e.dependant_id),
        )

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        # The row stays (a guardian still sees that a dependant existed); what placed them goes.
        batch.execute(
            f"UPDATE {self.t('people')} SET ward_code = NULL, province_code = NULL, priority_group = NULL, "
            "birth_year = NULL, registered_at_site = NULL, erased = 1 WHERE person_id = ?",
            str(e.originator_id),
        )

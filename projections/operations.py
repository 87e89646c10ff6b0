"""The response center's view: sites, doses per site per day, lots and their stock, open follow-ups.

Campaign coverage against the targets is read from the statistics view (the same counters), and
each view's lag is read from the tracking tables when asked (`projections.queries`).
"""

from __future__ import annotations

from ledger.domainmodel import Person, VaccinationSite, VaccineLot
from ledger.values import Severity
from projections.dosefacts import FACT_TABLES, CountingView, DoseFacts, PersonFacts
from projections.projection import Batch, handles
from projections.recorder import Table, ViewRecorder


class Operations(CountingView):
    """Sites, lots, doses per site and day, stock used per lot, serious reactions awaiting follow-up."""

    name = "operations"
    tables = (
        *FACT_TABLES,
        Table(
            "sites",
            (
                "site_id TEXT NOT NULL",
                "code TEXT NOT NULL",
                "name TEXT NOT NULL",
                "province TEXT NOT NULL",
                "capacity_per_day BIGINT NOT NULL",
            ),
            ("site_id",),
        ),
        Table(
            "site_day",
            ("site_id TEXT NOT NULL", "day TEXT NOT NULL", "n BIGINT NOT NULL"),
            ("site_id", "day"),
        ),
        Table(
            "lots",
            (
                "lot_id TEXT NOT NULL",
                "product TEXT NOT NULL",
                "manufacturer TEXT NOT NULL",
                "lot_number TEXT NOT NULL",
                "expiry TEXT NOT NULL",
                "site_id TEXT NOT NULL",
                "quantity BIGINT NOT NULL",
            ),
            ("lot_id",),
            indexes=(("expiry",),),
        ),
        Table("lot_use", ("lot_id TEXT NOT NULL", "n BIGINT NOT NULL"), ("lot_id",)),
        Table(
            "follow_ups",
            (
                "reaction_id TEXT NOT NULL",
                "person_id TEXT NOT NULL",
                "dose_id TEXT",
                "province TEXT NOT NULL",
                "onset TEXT NOT NULL",
                "reported_on TEXT NOT NULL",
            ),
            ("reaction_id",),
            indexes=(("person_id",),),
        ),
    )

    def __init__(self, view: ViewRecorder) -> None:
        super().__init__(view)
        self._site_day = self.adding_upsert(self.tables[3])
        self._lot_use = self.adding_upsert(self.tables[5])

    def tally(self, batch: Batch, person: PersonFacts, dose: DoseFacts, sign: int) -> None:
        batch.count(self._site_day, (dose.site_id, dose.day), sign)
        batch.count(self._lot_use, (dose.lot_id,), sign)

    @handles(VaccinationSite.Registered)
    def _on_site(self, e: VaccinationSite.Registered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('sites')} (site_id, code, name, province, capacity_per_day) VALUES (?, ?, ?, ?, ?)",
            str(e.originator_id),
            e.code,
            e.name,
            e.province_code,
            e.capacity_per_day,
        )

    @handles(VaccinationSite.CapacityChanged)
    def _on_capacity(self, e: VaccinationSite.CapacityChanged, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('sites')} SET capacity_per_day = ? WHERE site_id = ?",
            e.capacity_per_day,
            str(e.originator_id),
        )

    @handles(VaccineLot.Received)
    def _on_lot(self, e: VaccineLot.Received, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('lots')} (lot_id, product, manufacturer, lot_number, expiry, site_id, quantity) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            str(e.originator_id),
            e.product,
            e.manufacturer,
            e.lot_number,
            e.expiry.isoformat(),
            str(e.site_id),
            e.quantity,
        )

    @handles(VaccineLot.Transferred)
    def _on_transfer(self, e: VaccineLot.Transferred, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('lots')} SET site_id = ? WHERE lot_id = ?", str(e.site_id), str(e.originator_id)
        )

    @handles(Person.AdverseReactionReported)
    def _on_reaction(self, e: Person.AdverseReactionReported, batch: Batch) -> None:
        person = self.person(batch, str(e.originator_id))
        if str(e.severity) != Severity.SERIOUS.value or person is None:
            return
        batch.insert(
            f"INSERT INTO {self.t('follow_ups')} (reaction_id, person_id, dose_id, province, onset, reported_on) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            str(e.reaction_id),
            person.person_id,
            str(e.dose_id) if e.dose_id else None,
            person.province,
            e.onset.isoformat(),
            e.at.date().isoformat(),
        )

    @handles(Person.ReactionFollowUpRecorded)
    def _on_follow_up(self, e: Person.ReactionFollowUpRecorded, batch: Batch) -> None:
        if e.resolved:
            batch.execute(f"DELETE FROM {self.t('follow_ups')} WHERE reaction_id = ?", str(e.reaction_id))

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        batch.execute(f"DELETE FROM {self.t('follow_ups')} WHERE person_id = ?", str(e.originator_id))

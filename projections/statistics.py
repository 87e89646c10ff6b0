"""Public statistics: doses per day, province, vaccine, priority group and dose number; reactions.

Only counters are kept (plus the dose facts needed to move them on a void or correction). The
province of a dose is the person's province of residence, so coverage compares with the GSO
population of that province. Suppression of small counts happens when the tables are read
(`projections.queries`), never in the stored counters, so totals stay exact.
"""

from __future__ import annotations

from ledger.domainmodel import Person
from projections.dosefacts import FACT_TABLES, CountingView, DoseFacts, PersonFacts
from projections.projection import Batch, handles
from projections.recorder import Table, ViewRecorder


def _counter(name: str, *keys: str) -> Table:
    return Table(name, (*(f"{k} TEXT NOT NULL" for k in keys), "n BIGINT NOT NULL"), keys)


class Statistics(CountingView):
    """Counters for the public statistics page and API."""

    name = "statistics"
    tables = (
        *FACT_TABLES,
        _counter("by_day", "day"),
        # dose_number and adult as text keys keep one upsert shape for every counter.
        _counter("by_province", "province", "dose_number", "adult"),
        _counter("by_product", "product"),
        _counter("by_group", "priority_group"),
        _counter("reactions", "severity"),
    )

    def __init__(self, view: ViewRecorder) -> None:
        super().__init__(view)
        self._upserts = {t.name: self.adding_upsert(t) for t in self.tables if t.column_names[-1] == "n"}

    def tally(self, batch: Batch, person: PersonFacts, dose: DoseFacts, sign: int) -> None:
        up = self._upserts
        batch.count(up["by_day"], (dose.day,), sign)
        batch.count(
            up["by_province"], (person.province, str(dose.dose_number), "1" if person.adult else "0"), sign
        )
        batch.count(up["by_product"], (dose.product,), sign)
        batch.count(up["by_group"], (person.priority_group,), sign)

    @handles(Person.AdverseReactionReported)
    def _on_reaction(self, e: Person.AdverseReactionReported, batch: Batch) -> None:
        batch.count(self._upserts["reactions"], (str(e.severity),), 1)

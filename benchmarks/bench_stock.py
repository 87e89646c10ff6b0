"""Recording doses from a lot allocated from a province store (counted down, vials opened) against
the baseline of the same doses from a lot received straight at the site, in one run. Since session 4
the baseline's lot is counted down too (single doses, no vial opened); before, it was not counted, so
older figures compare counted against uncounted.

  one dose per command   the desk's case: each dose its own command, all from one busy lot (the
                         stock record then holds one event per dose; it is read through its own
                         snapshots, ledger/stock_records.py)
  batches of 200         a session's list entered together (one draw per lot and day per batch)

SQLite file in a temporary directory; setup (sites, people, the shipment) is not timed. The machine
is shared: read the ratio, not the absolute figures.

Usage: .venv/bin/python benchmarks/bench_stock.py [--doses 1000] [--batch 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger.application import Ledger
from ledger.records import DoseRequest
from ledger.values import Actor, Role
from projections.store import open_view_store
from services.stock import StockService

AZ = "EU/1/21/1529"
DAY = date(2021, 8, 2)
SYSTEM = Actor("bench-stock", Role.SYSTEM)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--doses", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(
            f"sqlite:///{Path(tmp) / 'ledger.db'}",
            clock=lambda: datetime(2021, 8, 2, 3, tzinfo=UTC),
            key_dir=Path(tmp) / "keys",
        )
        store = open_view_store(ledger.store)
        try:
            run(ledger, StockService(ledger, store), args.doses, args.batch)
        finally:
            store.close()
            ledger.close()


def run(ledger: Ledger, stock: StockService, doses: int, batch: int) -> None:
    site = ledger.register_site(
        code="BENCH",
        name="Trạm Y tế",
        ward_code="00001",
        capacity_per_day=2000,
        actor=SYSTEM,
        idempotency_key="s",
    )
    untracked = ledger.receive_lot(
        product=AZ,
        lot_number="AT-SITE",
        expiry=date(2022, 1, 1),
        site_id=site,
        quantity=10 * doses,
        actor=SYSTEM,
        idempotency_key="lot",
    )
    tracked = stock.deliver(
        province_code="01",
        product=AZ,
        lot_number="FROM-STORE",
        expiry=date(2022, 1, 1),
        doses_per_vial=10,
        allocations={site: 10 * doses},
        actor=SYSTEM,
        key="shipment",
    )[site]
    counter = [0]

    def people(n: int) -> list[UUID]:
        made = []
        for _ in range(n):
            counter[0] += 1
            made.append(
                ledger.register_person(
                    national_id=f"001{counter[0]:09d}",
                    full_name="Nguyễn Văn An",
                    date_of_birth="1960",
                    sex="male",
                    phone=None,
                    ward_code="00001",
                    priority_group="OTHER",
                    actor=SYSTEM,
                    idempotency_key=f"p{counter[0]}",
                )
            )
        return made

    def one_by_one(lot: UUID) -> float:
        who = people(doses)
        start = time.perf_counter()
        for p in who:
            ledger.record_dose(
                person_id=p,
                dose_number=1,
                product=AZ,
                lot_id=lot,
                administered_on=DAY,
                site_id=site,
                actor=SYSTEM,
                idempotency_key=f"d{p}",
            )
        return doses / (time.perf_counter() - start)

    def batches(lot: UUID) -> float:
        who = people(doses)
        start = time.perf_counter()
        for k in range(0, doses, batch):
            ledger.record_doses(
                [
                    DoseRequest(
                        person_id=p, dose_number=1, product=AZ, lot_id=lot, administered_on=DAY, site_id=site
                    )
                    for p in who[k : k + batch]
                ],
                actor=SYSTEM,
                idempotency_key=f"b{who[k]}",
            )
        return doses / (time.perf_counter() - start)

    figures: dict[str, float] = {"doses": float(doses)}
    for label, measure in (("one dose per command", one_by_one), (f"batches of {batch}", batches)):
        base = measure(untracked)
        counted = measure(tracked)
        key = "single" if label.startswith("one") else "batch"
        figures.update({f"{key}_store_lot_per_s": counted, f"{key}_site_lot_per_s": base})
        print(
            f"{label:<22} from a store lot {counted:7.0f} doses/s  vs  a lot received at the site "
            f"{base:7.0f} doses/s  ratio {counted / base:.2f}"
        )
    record = ledger.stock_records.get(tracked)
    assert record is not None
    print(
        f"the store lot's record: {record.version} events, {record.used} doses used, {record.open_doses} open"
    )
    from figures import emit  # benchmarks/figures.py: the line run_all.py reads

    emit(figures)


if __name__ == "__main__":
    main()

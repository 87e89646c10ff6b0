"""`reissue --all`'s garbage collector tuning: on during the batches, and the process as it was afterwards."""

from __future__ import annotations

import gc

from services.certificates import batch_process


def test_the_collector_is_tuned_during_the_batches_and_restored_after() -> None:
    before = gc.get_threshold()
    with batch_process():
        assert gc.get_threshold() == (20_000, 10, 100)
        assert gc.get_freeze_count() > 0  # what existed when the batches started is never scanned again
        cycle: list[object] = []
        cycle.append(cycle)
        del cycle
        assert gc.collect() >= 1  # objects made during the batches are still collected
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0

"""The wait before retrying a conflicted command: doubling, capped, with equal jitter."""

from __future__ import annotations

import pytest

from ledger.commands import BACKOFF_CAP, MAX_ATTEMPTS, conflict_backoff


def test_the_wait_doubles_from_2_ms_and_stops_at_the_cap() -> None:
    ceilings = [conflict_backoff(n, lambda: 1.0) for n in range(MAX_ATTEMPTS)]
    assert ceilings[:4] == pytest.approx([0.002, 0.004, 0.008, 0.016])
    assert max(ceilings) == pytest.approx(BACKOFF_CAP)
    assert ceilings == sorted(ceilings)
    # Every attempt together stays under a second: a desk's dose is refused quickly if it must be.
    assert sum(ceilings) < 1.0


def test_the_jitter_draws_between_half_and_all_of_the_ceiling() -> None:
    assert conflict_backoff(3, lambda: 0.0) == pytest.approx(0.008)
    assert conflict_backoff(3, lambda: 0.5) == pytest.approx(0.012)
    assert conflict_backoff(3, lambda: 0.999) < 0.016

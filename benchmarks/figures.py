"""The one line a benchmark script prints for `run_all.py`: its figures as JSON, after a fixed marker.

A script keeps printing its own table for people; at the end it calls `emit(figures)`, and `run_all.py`
reads every line that starts with the marker (several lines merge, later keys win). Figures are plain
numbers, strings or booleans keyed by a short name (`sqlite_record_doses_per_s`); `run_all.py`'s goal
table says which of them is the measure and which the baseline of each goal.
"""

from __future__ import annotations

import json
from typing import Any

MARKER = "BENCH-FIGURES "


def emit(figures: dict[str, Any]) -> None:
    """Print `figures` as the machine-readable line `run_all.py` collects (floats to 4 significant
    decimals: the machine's noise is far above that)."""

    def plain(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 4)
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    print(MARKER + json.dumps(plain(figures), sort_keys=True), flush=True)


def collect(output: str) -> dict[str, Any]:
    """Every figure `emit` printed in `output` (a script's whole output)."""
    figures: dict[str, Any] = {}
    for line in output.splitlines():
        if line.startswith(MARKER):
            try:
                found = json.loads(line[len(MARKER) :])
            except ValueError:
                continue
            if isinstance(found, dict):
                figures.update(found)
    return figures

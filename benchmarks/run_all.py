"""Run every benchmark script in turn with its default sizes (`make bench`).

Each script prints its own figures next to the baseline it measures in the same run; the machine
is shared and noisy, so read ratios, not absolute numbers.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPTS = [
    "bench_ledger.py",
    "bench_projections.py",
    "bench_audit.py",
    "bench_credentials.py",
    "bench_verify.py",
    "bench_web.py",
    "bench_failover.py",
    "bench_planning.py",
]


def main() -> int:
    here = Path(__file__).resolve().parent
    failed = []
    for script in SCRIPTS:
        print(f"\n=== {script} ===", flush=True)
        if subprocess.run([sys.executable, str(here / script)], check=False).returncode != 0:
            failed.append(script)
    if failed:
        print(f"\nThese benchmarks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

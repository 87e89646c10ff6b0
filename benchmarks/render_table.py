"""Render a `make bench` results file as the markdown goals table (docs/performance.md, the README).

    .venv/bin/python benchmarks/render_table.py [var/bench/latest.json]            # print it
    .venv/bin/python benchmarks/render_table.py var/bench/results-….json --write   # replace it in the docs

`--write` replaces what lies between the markers `<!-- bench-table -->` and `<!-- /bench-table -->` in
docs/performance.md and README.md (both carry the same table), and nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from goals import markdown

START, END = "<!-- bench-table -->", "<!-- /bench-table -->"


def replace_between(text: str, table: str) -> str:
    if START not in text or END not in text:
        raise ValueError(f"the markers {START} and {END} are missing")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table}{END}{after}"


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", default=str(root / "var" / "bench" / "latest.json"))
    parser.add_argument(
        "--write", action="store_true", help="replace the table in docs/performance.md and README.md"
    )
    args = parser.parse_args()
    try:
        results = json.loads(Path(args.results).read_text())
    except (OSError, ValueError) as error:
        print(f"cannot read {args.results}: {error}; run `make bench` first", file=sys.stderr)
        return 2
    table = markdown(results)
    if not args.write:
        print(table, end="")
        return 0
    for target in (root / "docs" / "performance.md", root / "README.md"):
        try:
            target.write_text(replace_between(target.read_text(), table))
        except ValueError as error:
            print(f"{target.relative_to(root)}: {error}", file=sys.stderr)
            return 1
        print(f"wrote the table into {target.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Render a `make bench` results file as the markdown goals table (docs/performance.md, the README).

    .venv/bin/python benchmarks/render_table.py [var/bench/latest.json]            # print it
    .venv/bin/python benchmarks/render_table.py var/bench/results-….json --write   # replace it in the docs

`--write` replaces what lies between the markers `<!-- bench-table -->` and `<!-- /bench-table -->` in
docs/performance.md and README.md (both carry the same table), and between `<!-- bench-deployment -->` and
`<!-- /bench-deployment -->` in docs/performance.md (the arithmetic to 75 million people), and nothing else.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from goals import deployment, markdown


def replace_between(text: str, name: str, content: str) -> str:
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if start not in text or end not in text:
        raise ValueError(f"the markers {start} and {end} are missing")
    before, rest = text.split(start, 1)
    _, after = rest.split(end, 1)
    return f"{before}{start}\n{content}{end}{after}"


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
    table, arithmetic = markdown(results), deployment(results)
    if not args.write:
        print(table + "\n" + arithmetic, end="")
        return 0
    for target, blocks in (
        (root / "docs" / "performance.md", {"bench-table": table, "bench-deployment": arithmetic}),
        (root / "README.md", {"bench-table": table}),
    ):
        try:
            text = target.read_text()
            for name, content in blocks.items():
                text = replace_between(text, name, content)
            target.write_text(text)
        except ValueError as error:
            print(f"{target.relative_to(root)}: {error}", file=sys.stderr)
            return 1
        print(f"wrote the table into {target.relative_to(root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

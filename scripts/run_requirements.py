"""Print what `make run` installs: the part of the lock file the running platform needs.

The lock (requirements.lock) pins the runtime dependencies and the test and lint tools together (mypy,
ruff, playwright, pytest, hypothesis, ...), which is more than twice as much to install. This prints
the blocks of the packages named in pyproject.toml's [project].dependencies and its `pictures` extra
(the verify page reads QR pictures) and, transitively, of those the lock lists them as there for
(pip-compile's "# via" lines), with their pins and hashes as they are. `pip check` after the install
catches a dependency this would have missed.

Usage: python scripts/run_requirements.py requirements.lock pyproject.toml > run-requirements.txt
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==")
EXTRAS = ("pictures",)
VIA = re.compile(r"^    #\s+(?:via )?([A-Za-z0-9][A-Za-z0-9._-]*)(?: \(.*\))?$")


def normalized(name: str) -> str:
    """PEP 503's normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def blocks(lock: str) -> tuple[dict[str, list[str]], dict[str, set[str]]]:
    """Each pinned package's lines (pin, hashes, annotations) and the packages it is there for."""
    lines: dict[str, list[str]] = {}
    parents: dict[str, set[str]] = {}
    current: str | None = None
    for line in lock.splitlines():
        pinned = NAME.match(line)
        if pinned:
            current = normalized(pinned.group(1))
            lines[current], parents[current] = [line], set()
        elif current is not None and line.startswith("    "):
            lines[current].append(line)
            via = VIA.match(line)
            if via and via.group(1) != "via":
                parents[current].add(normalized(via.group(1)))
        else:
            current = None
    return lines, parents


def runtime_requirements(lock: str, pyproject: str) -> str:
    """The lock's blocks for the runtime dependencies and everything they pull in."""
    lines, parents = blocks(lock)
    project = tomllib.loads(pyproject)["project"]
    wanted = list(project["dependencies"])
    for extra in EXTRAS:
        wanted += project.get("optional-dependencies", {}).get(extra, [])
    roots = {normalized(re.split(r"[\[<>=!~;@ ]", r.strip(), maxsplit=1)[0]) for r in wanted}
    missing = sorted(roots - lines.keys())
    if missing:
        raise SystemExit(f"Not in the lock file: {', '.join(missing)}. Run `make lock`.")
    needed = set(roots)
    while True:
        more = {name for name, there_for in parents.items() if name not in needed and there_for & needed}
        if not more:
            break
        needed |= more
    return "".join("\n".join(lines[name]) + "\n" for name in sorted(needed))


def main(argv: list[str]) -> None:
    if len(argv) != 3:
        raise SystemExit("usage: run_requirements.py requirements.lock pyproject.toml")
    sys.stdout.write(runtime_requirements(Path(argv[1]).read_text(), Path(argv[2]).read_text()))


if __name__ == "__main__":
    main(sys.argv)

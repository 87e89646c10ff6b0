"""What `make run` installs (scripts/run_requirements.py): the lock's runtime part, closed under
dependencies, without the test and lint tools."""

from __future__ import annotations

import importlib.util
import tomllib
from importlib import metadata
from pathlib import Path
from types import ModuleType

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "run_requirements", ROOT / "scripts" / "run_requirements.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _picked() -> tuple[ModuleType, dict[str, str]]:
    script = _script()
    text = script.runtime_requirements(
        (ROOT / "requirements.lock").read_text(), (ROOT / "pyproject.toml").read_text()
    )
    pins = {}
    for line in text.splitlines():
        if "==" in line and not line.startswith(" "):
            name, version = line.split(" ")[0].split("==")
            pins[script.normalized(name)] = version
    return script, pins


def test_the_runtime_part_is_closed_under_dependencies_and_leaves_the_tools_out() -> None:
    script, pins = _picked()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["pictures"]]
    for requirement in wanted:
        assert script.normalized(requirement.name) in pins, requirement
    for tool in ("pytest", "mypy", "ruff", "playwright", "hypothesis", "import-linter", "segno"):
        assert tool not in pins
    # Every package picked brings what it needs (as installed here, from the same lock), extras asked
    # for by the project included: a missing one would fail `pip check` after a first `make run`.
    extras = {script.normalized(r.name): set(r.extras) for r in wanted}
    for name in pins:
        for text in metadata.requires(name) or []:
            needed = Requirement(text)
            asked = extras.get(name, set()) | {""}
            if needed.marker is None or any(needed.marker.evaluate({"extra": e}) for e in asked):
                assert script.normalized(needed.name) in pins, f"{name} needs {needed.name}"


def test_pins_and_hashes_are_the_lock_s_own() -> None:
    script = _script()
    lock = (ROOT / "requirements.lock").read_text()
    text = script.runtime_requirements(lock, (ROOT / "pyproject.toml").read_text())
    lines, _ = script.blocks(lock)
    for line in text.splitlines():
        if "--hash=" in line:
            assert line in lock
    _, pins = _picked()
    assert pins
    assert all(name in lines for name in pins)
    assert len(pins) < len(lines)

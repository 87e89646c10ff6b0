"""`serve --followers` with IMMUNIZE_FOLLOWER_PROCESSES=2 splits the views between two follower
processes: the groups must be a partition of every view (none followed twice, none left behind), only
one process signs the transparency checkpoints, and one follows the keyed views. One process (the
default) follows everything. The commands are parsed by the real CLI (nothing is run)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter

import click
import pytest

from cli.main import _register, immunize
from cli.multiprocess import ProcessGroup, follower_commands, follower_processes, stop_process
from projections.registry import FOLLOWER_GROUPS, KEYED_VIEW_NAMES, VIEW_NAMES
from web.errors import ConfigurationError


def test_the_follower_groups_are_a_partition_of_every_view() -> None:
    counted = Counter(name for group in FOLLOWER_GROUPS for name in group)
    assert set(counted) == set(VIEW_NAMES)
    assert all(n == 1 for n in counted.values()), counted
    assert len(FOLLOWER_GROUPS) == 2
    assert all(FOLLOWER_GROUPS)
    assert not set(counted) & set(KEYED_VIEW_NAMES)


def _parsed(command: list[str]) -> dict[str, object]:
    _register()
    assert command[:2] == ["projections", "run"]
    group = immunize.commands["projections"]
    assert isinstance(group, click.Group)
    run = group.commands["run"]
    with run.make_context("run", list(command[2:]), resilient_parsing=False) as context:
        return dict(context.params)


def test_the_follower_commands_follow_each_view_once_and_sign_once() -> None:
    parsed = [_parsed(command) for command in follower_commands()]
    assert len(parsed) == len(FOLLOWER_GROUPS)
    followed = [name for params in parsed for name in params["names"]]  # type: ignore[attr-defined]
    assert sorted(followed) == sorted(VIEW_NAMES)
    assert [params["checkpoints"] for params in parsed].count(True) == 1
    assert [params["keyed"] for params in parsed].count(True) == 1
    for params, group in zip(parsed, FOLLOWER_GROUPS, strict=True):
        assert tuple(params["names"]) == group  # type: ignore[call-overload]


def test_one_follower_process_follows_every_view_and_the_keyed_ones() -> None:
    (params,) = [_parsed(command) for command in follower_commands(1)]
    assert params["names"] == ()  # every view (projections.registry.view_classes)
    assert params["keyed"] is True
    assert params["checkpoints"] is True


def test_the_number_of_follower_processes_is_one_by_default_and_refuses_others() -> None:
    assert follower_processes({}) == 1
    assert follower_processes({"IMMUNIZE_FOLLOWER_PROCESSES": "2"}) == 2
    with pytest.raises(ConfigurationError, match="must be 1 or 2, not '3'"):
        follower_processes({"IMMUNIZE_FOLLOWER_PROCESSES": "3"})


def test_a_process_group_stops_every_process() -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    group = ProcessGroup([subprocess.Popen(sleeper), subprocess.Popen(sleeper)])
    assert group.poll() is None
    assert group.pid == ", ".join(str(p.pid) for p in group.processes)
    stop_process(group, timeout=10)
    assert [p.returncode for p in group.processes] == [-signal.SIGTERM, -signal.SIGTERM]
    assert group.poll() == -signal.SIGTERM

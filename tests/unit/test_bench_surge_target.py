"""The surge benchmark loads loopback addresses only, and says so in one sentence otherwise."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _bench() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_surge.py"
    spec = importlib.util.spec_from_file_location("bench_surge", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_surge"] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1:80", "http://192.168.1.2:8000", "http://8.8.8.8", "https://127.0.0.1"]
)
def test_a_target_that_is_not_loopback_is_refused(url: str) -> None:
    with pytest.raises(SystemExit, match="loopback"):
        _bench().loopback_target(url)


def test_loopback_targets_are_accepted() -> None:
    bench = _bench()
    assert bench.loopback_target("http://127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert bench.loopback_target("http://127.0.0.2:81") == ("127.0.0.2", 81)
    assert bench.loopback_target("http://[::1]:8000") == ("::1", 8000)

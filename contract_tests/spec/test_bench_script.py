"""The benchmark's parsing of wrk output; the benchmark itself runs with make bench, never in tests."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from contract_tests.conftest import ROOT

WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:1/v2/p/fgs/functions/u/invocations-async
  1 threads and 10 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   812.00us  300.00us   9.10ms   90.00%
  Latency Distribution
     50%  720.00us
     75%  900.00us
     90%    1.20ms
     99%    1.54ms
  60925 requests in 5.00s, 9.99MB read
  Non-2xx or 3xx responses: 3
Requests/sec:  12185.01
Transfer/sec:      2.00MB
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts" / "bench.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module
    spec.loader.exec_module(module)
    return module


def test_wrk_output_is_read_into_figures(bench: ModuleType) -> None:
    load = bench.parse_wrk(WRK_OUTPUT)
    assert (load.rps, load.p50_ms, load.p99_ms, load.completed, load.non_2xx) == (12185.01, 0.72, 1.54, 60925, 3)


def test_latency_units(bench: ModuleType) -> None:
    assert bench._ms("250us") == 0.25
    assert bench._ms("3.5ms") == 3.5
    assert bench._ms("1.2s") == 1200.0

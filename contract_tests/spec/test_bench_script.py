"""The benchmark's parsing of wrk output; the benchmark itself runs with make bench, never in tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from contract_tests.mock.raw import PATH
from contract_tests.support.scripts import load_script
from fgs_mock import DEFAULT_TOKEN, Backend, InMemoryInvocationStore, create_app, serve_in_thread

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
def bench_memory() -> ModuleType:
    return load_script("bench_memory")


@pytest.fixture(scope="module")
def bench(bench_memory: ModuleType) -> ModuleType:
    for beside in ("bench_client", "bench_wait", "bench_runtime"):
        load_script(beside)
    # finds its neighbours in sys.modules, as `python scripts/bench.py` finds them beside it
    return load_script("bench")


def test_the_memory_run_stops_wrk_after_the_calls_asked_for(bench_memory: ModuleType, tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (make bench installs it)")
    backend = Backend.with_defaults(store=InMemoryInvocationStore(max_invocations=100))
    with serve_in_thread(create_app(backend)) as base_url:
        bench_memory.fill(base_url, PATH, 300, DEFAULT_TOKEN, tmp_path, connections=4)
        counters = bench_memory.counters(base_url)
        pages = bench_memory.listing_ms(base_url, counters["retained"], rounds=1)
    # wrk stops its thread after 300 answers; calls still in flight then may be accepted too.
    assert 300 <= counters["accepted"] <= 310
    assert (counters["retained"], counters["evicted"]) == (100, counters["accepted"] - 100)
    assert all(len(i.body) == 1024 for i in backend.invocations)
    assert set(pages) == {"first 100", "100 from the middle", "1,000 from the middle"}


def test_rss_is_read_from_proc(bench_memory: ModuleType) -> None:
    assert 5 < bench_memory.rss_mib(os.getpid()) < 10_000


def test_wrk_output_is_read_into_figures(bench: ModuleType) -> None:
    load = bench.parse_wrk(WRK_OUTPUT)
    assert (load.rps, load.p50_ms, load.p99_ms, load.completed, load.non_2xx) == (12185.01, 0.72, 1.54, 60925, 3)


def test_latency_units(bench: ModuleType) -> None:
    assert bench._ms("250us") == 0.25
    assert bench._ms("3.5ms") == 3.5
    assert bench._ms("1.2s") == 1200.0
    assert bench._ms("1.50m") == 90_000.0
    with pytest.raises(ValueError, match="nanus"):
        bench._ms("-nanus")


def test_a_stdev_share_ending_in_50_percent_is_not_read_as_the_median(bench: ModuleType) -> None:
    out = WRK_OUTPUT.replace("Latency Distribution", "Req/Sec 2.64k 613.38 3.74k 90.50%\n  Latency Distribution")
    assert bench.parse_wrk(out).p50_ms == 0.72


def test_rounds_are_summed_up_by_the_median_of_each_figure(bench: ModuleType) -> None:
    rounds = [
        bench.Load(5000.0, 1.0, 9.0, 100, 1),
        bench.Load(6000.0, 3.0, 4.0, 200, 0),
        bench.Load(7000.0, 2.0, 5.0, 300, 2),
    ]
    assert bench.median_load(rounds) == bench.Load(6000.0, 2.0, 5.0, 600, 3)


def test_the_runtime_rows_judge_the_warm_p50_and_show_the_canned_time_beside(bench: ModuleType) -> None:
    runtime = bench.bench_runtime
    figures = runtime.Figures(4.0, 9.0, {"code": 3.0, "canned": 2.0}, 120.0, 150.0)
    text = "\n".join(runtime.report(figures, bench.verdict))
    assert "p50 at most 5 ms: 4.00 ms, met" in text
    assert "| no-op handler | 3.00 |" in text
    assert "| canned `succeed`, duration 0 | 2.00 |" in text
    assert "1.50x" in text
    assert "median 120 ms, slowest 150 ms" in text
    slow = runtime.Figures(5.5, 9.0, {"code": 3.0, "canned": 2.0}, 120.0, 150.0)
    assert "5.50 ms, **missed**" in "\n".join(runtime.report(slow, bench.verdict))

"""The benchmark's parsing of wrk output; the benchmark itself runs with make bench, never in tests."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

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
def bench_servers() -> ModuleType:
    return load_script("bench_servers")


@pytest.fixture(scope="module")
def bench_memory(bench_servers: ModuleType) -> ModuleType:
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
        # wrk's own duration is 60 s: a fill that did not end it once the calls were in would take all of it.
        seconds = bench_memory.fill(base_url, PATH, 300, DEFAULT_TOKEN, tmp_path, connections=4, most=60)
        counters = bench_memory.counters(base_url)
        pages = bench_memory.listing_ms(base_url, counters["retained"], rounds=1)
    # wrk stops its thread after 300 answers; calls still in flight then may be accepted too.
    assert 300 <= counters["accepted"] <= 310
    assert seconds < 30
    assert (counters["retained"], counters["evicted"]) == (100, counters["accepted"] - 100)
    assert all(len(i.body) == 1024 for i in backend.invocations)
    assert set(pages) == {"first 100", "100 from the middle", "1,000 from the middle"}


def test_rss_is_read_from_proc(bench_memory: ModuleType) -> None:
    assert 5 < bench_memory.rss_mib(os.getpid()) < 10_000


def test_wrk_output_is_read_into_figures(bench_servers: ModuleType) -> None:
    load = bench_servers.parse_wrk(WRK_OUTPUT)
    assert (load.rps, load.p50_ms, load.p99_ms, load.completed, load.non_2xx) == (12185.01, 0.72, 1.54, 60925, 3)
    assert load.seconds == 5.0
    short = WRK_OUTPUT.replace("60925 requests in 5.00s", "12 requests in 750.00ms")
    assert (bench_servers.parse_wrk(short).completed, bench_servers.parse_wrk(short).seconds) == (12, 0.75)


def test_latency_units(bench_servers: ModuleType) -> None:
    assert bench_servers.ms("250us") == 0.25
    assert bench_servers.ms("3.5ms") == 3.5
    assert bench_servers.ms("1.2s") == 1200.0
    assert bench_servers.ms("1.50m") == 90_000.0
    with pytest.raises(ValueError, match="nanus"):
        bench_servers.ms("-nanus")


def test_a_stdev_share_ending_in_50_percent_is_not_read_as_the_median(bench_servers: ModuleType) -> None:
    out = WRK_OUTPUT.replace("Latency Distribution", "Req/Sec 2.64k 613.38 3.74k 90.50%\n  Latency Distribution")
    assert bench_servers.parse_wrk(out).p50_ms == 0.72


PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 100 1 0 100 0 0 10 0
   1: 0100007F:1F90 0100007F:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 111 1 0 20 4 30 10 -1
   2: 0100007F:A1B2 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 112 1 0 20 4 30 10 -1
   3: 0100007F:1F90 0100007F:A1B4 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0
   4: 0100007F:1F91 0100007F:A1B6 01 00000000:00000000 00:00000000 00000000     0        0 113 1 0 20 4 30 10 -1
"""
_V4_IN_V6 = "0000000000000000FFFF00000100007F"
PROC_NET_TCP6 = (
    "  sl  local_address remote_address st tx_queue rx_queue tr tm->when retrnsmt uid timeout inode\n"
    f"   0: {_V4_IN_V6}:1F90 {_V4_IN_V6}:A1C0 01 00000000:00000000 00:00000000 00000000 0 0 222 1 0 20 4 30 10 -1\n"
)


def test_established_connections_are_read_by_their_local_port(bench_servers: ModuleType) -> None:
    # Port 8080 (1F90): the listening socket, the client's end (local port A1B2), a connection in
    # TIME_WAIT and one on another port are not connections a worker holds.
    assert bench_servers.established([PROC_NET_TCP, PROC_NET_TCP6], 8080) == {"111", "222"}
    assert bench_servers.established([PROC_NET_TCP], 8081) == {"113"}
    assert bench_servers.established([], 8080) == set()


def test_connections_are_counted_for_the_process_that_accepted_them(bench_servers: ModuleType) -> None:
    import socket
    import time

    if not os.path.exists("/proc/net/tcp"):
        pytest.skip("reads /proc/net/tcp, which only Linux has")
    backend = Backend.with_defaults(store=InMemoryInvocationStore())
    with serve_in_thread(create_app(backend)) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        held = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(3)]
        try:
            deadline = time.monotonic() + 30
            while bench_servers.connections_per_process(port, [os.getpid()]) != [3]:  # until the server accepts
                assert time.monotonic() < deadline, bench_servers.connections_per_process(port, [os.getpid()])
                time.sleep(0.05)
            assert bench_servers.connections_per_process(1, [os.getpid()]) == [0]  # nothing here serves port 1
        finally:
            for connection in held:
                connection.close()


def test_wrk_counts_the_connections_each_worker_holds(bench_servers: ModuleType, tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk is not installed (make bench installs it)")
    script = tmp_path / "post.lua"
    script.write_text(bench_servers.post_script())
    port = bench_servers.free_port()
    command = bench_servers.mock_command(port, "--store", str(tmp_path / "store.db"), "--workers", "2")
    with bench_servers.serve(command, port) as server:
        # First without the count: once wrk has answers, a worker accepts, and every connection reaches one.
        alone = bench_servers.wrk(server.base_url, 4, 1, script, pid=server.pid)
        load = bench_servers.wrk(server.base_url, 4, 2, script, pid=server.pid, per_worker=True)
    assert alone.completed > 0
    assert alone.per_worker == ()  # only when asked for
    assert len(load.per_worker) == 2
    assert sum(load.per_worker) == 4


def test_rounds_are_summed_up_by_the_median_of_each_figure(bench: ModuleType) -> None:
    rounds = [
        bench.Load(5000.0, 1.0, 9.0, 100, 1, 5.0, 90.0),
        bench.Load(6000.0, 3.0, 4.0, 200, 0, 5.0, 70.0),
        bench.Load(7000.0, 2.0, 5.0, 300, 2, 5.0, 80.0),
    ]
    assert bench.median_load(rounds) == bench.Load(6000.0, 2.0, 5.0, 600, 3, 15.0, 80.0)


def _rounds(bench: ModuleType, rps: dict[str, tuple[float, ...]], p99: float = 2.0) -> dict[str, Any]:
    """Rows of the load section: per server, the same requests/s per round at both connection counts."""
    return {
        name: {c: [bench.Load(r, 1.0, p99, int(r * 5), 0, 5.0, 50.0) for r in by_round] for c in bench.CONNECTIONS}
        for name, by_round in rps.items()
    }


def test_each_load_ratio_is_paired_by_round_and_judged_against_its_target(bench: ModuleType) -> None:
    rows = _rounds(
        bench,
        {
            bench.CEILING: (10_000.0, 8_000.0, 12_000.0),
            bench.MOCK_MEMORY: (7_000.0, 4_000.0, 7_200.0),  # 0.70, 0.50, 0.60: median 0.60
            bench.MOCK_FILE: (4_000.0, 4_000.0, 4_000.0),  # 0.40, 0.50, 0.33: median 0.40
            bench.MOCK_WORKERS: (7_000.0, 4_000.0, 7_200.0),  # the same as memory: 1.00
            bench.PRISM_NAME: (3_500.0, 2_000.0, 3_600.0),
        },
    )
    recorded = {name: {"accepted": 100, "2xx seen by wrk": 100, "SUCCESS": 100} for name in bench.MOCKS}
    recorded[bench.MOCK_FILE] = {"accepted": 99, "2xx seen by wrk": 100, "SUCCESS": 98, "FAIL": 1}
    text = "\n".join(bench.load_report(rows, recorded))
    ceiling, memory = bench.CEILING, bench.MOCK_MEMORY
    assert f"| {memory} / {ceiling}, 10 connections | at least 0.60x | 0.60x (0.50-0.70) | met |" in text
    assert (
        f"| {bench.MOCK_FILE} / {ceiling}, 64 connections | at least 0.50x | 0.40x (0.33-0.50) | **missed** |" in text
    )
    assert f"| {bench.MOCK_WORKERS} / {memory}, 64 connections | at least 0.90x | 1.00x (1.00-1.00) | met |" in text
    assert f"| {memory}, p99 at 10 connections | at most 3 ms | 2.00 ms | met |" in text
    assert f"| {memory} / {bench.PRISM_NAME}, 10 connections | (beside) | 2.00x (2.00-2.00) | |" in text
    assert f"| {memory} | 10 | 7000 | 1.00 | 2.00 | 50 | 0 |" in text  # the medians, CPU µs per request beside
    assert f"{memory}: every 202 stored (100 stored, 100 2xx seen by wrk), met; and run to a final status" in text
    assert f"{bench.MOCK_FILE}: every 202 stored (99 stored, 100 2xx seen by wrk), **missed**" in text
    assert "(99 final), met" in text


def test_the_connections_of_each_worker_are_listed_round_by_round(bench: ModuleType) -> None:
    names = (bench.CEILING, *bench.MOCKS, bench.PRISM_NAME)
    rows = _rounds(bench, {name: (1_000.0, 1_000.0) for name in names})
    for load, split, rps in zip(rows[bench.MOCK_WORKERS][10], ((0, 10), (6, 4)), (950.0, 880.0), strict=True):
        load.per_worker, load.rps = split, rps
    rows[bench.MOCK_WORKERS][64][0].per_worker = (31, 33)  # a round whose count failed stays in its place
    text = "\n".join(bench.load_report(rows, {}))
    # each round beside its own ratio to the mock in memory (1,000 requests/s in both rounds)
    assert f"- {bench.MOCK_WORKERS}, 10 connections: 10/0 (0.95x), 6/4 (0.88x)" in text
    assert f"- {bench.MOCK_WORKERS}, 64 connections: 33/31 (1.00x), ? (1.00x)" in text
    assert f"- {bench.MOCK_MEMORY}" not in text
    assert "Connections each worker held" not in "\n".join(
        bench.load_report(_rounds(bench, {n: (1.0,) for n in names}), {})
    )


def test_a_slow_p99_is_not_met(bench: ModuleType) -> None:
    names = (bench.CEILING, *bench.MOCKS, bench.PRISM_NAME)
    rows = _rounds(bench, {name: (1_000.0,) for name in names}, p99=3.5)
    text = "\n".join(bench.load_report(rows, {}))
    assert f"| {bench.MOCK_MEMORY}, p99 at 10 connections | at most 3 ms | 3.50 ms | **missed** |" in text


def test_cpu_time_counts_the_process_and_its_children(bench_servers: ModuleType) -> None:
    import subprocess
    import sys

    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    busy += "print(1, flush=True)\ninput()"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {busy!r}])"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert parent.stdout is not None
        parent.stdout.readline()  # the child has spent its 0.3 s
        assert bench_servers.cpu_seconds(parent.pid) >= 0.3
    finally:
        parent.communicate(b"\n", timeout=30)


def test_the_ceiling_answers_202_with_a_fresh_uuid_the_length_it_declares() -> None:
    import asyncio
    import uuid

    ceiling = load_script("bench_ceiling")
    sent: list[dict[str, Any]] = []

    async def one() -> None:
        messages: list[dict[str, Any]] = [{"type": "http.request", "body": b"{}", "more_body": True}]
        chunks = iter([*messages, {"type": "http.request", "body": b""}])

        async def receive() -> dict[str, Any]:
            return next(chunks)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await ceiling.app({"type": "http"}, receive, send)

    asyncio.run(one())
    asyncio.run(one())
    start, body, _, again = sent
    assert start["status"] == 202
    assert dict(start["headers"])[b"content-length"] == str(len(body["body"])).encode()
    ids = [uuid.UUID(json.loads(m["body"])["request_id"]) for m in (body, again)]
    assert ids[0] != ids[1]
    assert ids[0].version == 4


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

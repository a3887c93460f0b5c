"""scripts/bench_client.py: what it times does the work it claims, and its report states the targets' ratios.

The benchmark itself runs with `python scripts/bench_client.py`, never in tests.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from contract_tests.support.scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench_client")


def test_the_signed_client_signs_and_carries_the_mocks_token(bench: ModuleType) -> None:
    added = bench._SignedAndToken(bench.AK, bench.SK).apply("POST", "http://h/v2/p/x", {}, b"{}", project_id="p")
    assert added["Authorization"].startswith("SDK-HMAC-SHA256 Access=")
    assert added["X-Auth-Token"] == bench.DEFAULT_TOKEN


def test_signing_in_process_reports_microseconds(bench: ModuleType) -> None:
    rows = bench.signing_in_process(calls=10)
    assert rows[0]["client"] == "fgs AccessKey.apply"
    assert all(row["us"] > 0 for row in rows)


def test_the_report_gives_each_ratio_against_its_target(bench: ModuleType) -> None:
    flight = [
        {"client": name, 1: 100.0, 8: 200.0, 64: 300.0, 256: 400.0}
        for name in ("fgs.AsyncClient", "AsyncClient.invoke_many", "raw httpx.AsyncClient")
    ]
    flight.append({"client": "raw aiohttp.ClientSession", 1: 100.0, 8: 200.0, 64: 400.0, 256: 800.0})
    wrk = {"client": "the mock's ceiling (wrk)", 1: 1000.0, 8: 1000.0, 64: 1000.0, 256: 1000.0}
    calls = {"fgs.Client": 1000.0, "fgs.Client, AccessKey (signed)": 1160.0, "official SDK": 2000.0}
    text = bench.report(flight, wrk, calls, [{"client": "fgs AccessKey.apply", "us": 10.0}])
    assert "| fgs.AsyncClient / raw aiohttp | 1.00x | 1.00x | 0.75x | 0.50x |" in text
    assert "| fgs.AsyncClient / the ceiling | 0.10x | 0.20x | 0.30x | 0.40x |" in text
    assert "fgs.AsyncClient >= 0.70x raw aiohttp at 64 and 256: **missed**." in text  # 0.50x at 256
    assert "AsyncClient.invoke_many >= 0.35x the ceiling at 64 and 256: **missed**." in text
    assert "1160 µs against 1000 µs with a token, 1.16x; target at most 1.15x: **missed**." in text
    assert "The official SDK, which signs every call: 2000 µs (2.00x)." in text
    assert "| fgs AccessKey.apply | 10.0 |" in text


def test_the_async_targets_are_met_when_both_loads_reach_them(bench: ModuleType) -> None:
    flight = [{"client": name, 1: 1.0, 8: 1.0, 64: 700.0, 256: 700.0} for name in ("fgs.AsyncClient",)]
    flight += [{"client": "AsyncClient.invoke_many", 1: 1.0, 8: 1.0, 64: 699.0, 256: 800.0}]
    flight += [{"client": "raw aiohttp.ClientSession", 1: 1.0, 8: 1.0, 64: 1000.0, 256: 1000.0}]
    wrk = {"client": "the mock's ceiling (wrk)", 1: 1.0, 8: 1.0, 64: 2000.0, 256: 2000.0}
    calls = {"fgs.Client": 1000.0, "fgs.Client, AccessKey (signed)": 1150.0}
    text = bench.report(flight, wrk, calls, [])
    assert "fgs.AsyncClient >= 0.70x raw aiohttp at 64 and 256: met." in text
    assert "fgs.AsyncClient >= 0.35x the ceiling at 64 and 256: met." in text
    assert "AsyncClient.invoke_many >= 0.70x raw aiohttp at 64 and 256: **missed**." in text  # 0.699x at 64
    assert "target at most 1.15x: met." in text
    assert "official SDK" not in text


def test_wait_overheads_are_median_and_nearest_rank_p95_past_the_duration() -> None:
    bench_wait = load_script("bench_wait")
    samples = [0.3 + i / 1000 for i in range(1, 21)]  # 1..20 ms past a 300 ms run, shuffled below
    latency = bench_wait.overheads(samples[::-1], 0.3, 0.05)
    assert round(latency.median_ms, 6) == 10.5
    assert round(latency.p95_ms, 6) == 19.0  # rank ceil(0.95 * 20) = 19
    assert latency.calls == 20
    rows = [bench_wait.WaitLatency(0.05, 10.2, 19.0, 20), bench_wait.WaitLatency(None, 210.4, 230.0, 20)]
    text = "\n".join(bench_wait.report(rows))
    assert "| 0.05 s | 10 | 19 |" in text
    assert "| default | 210 | 230 |" in text


def test_ratios_to_raw_aiohttp_are_paired_by_round_when_the_rows_carry_them(bench: ModuleType) -> None:
    paired = {1: 1.0, 8: 1.0, 64: 0.8, 256: 0.69}  # medians alone would give 0.5x at 64 and 1.0x at 256
    flight = [{"client": "fgs.AsyncClient", 1: 1.0, 8: 1.0, 64: 500.0, 256: 1000.0, bench.BASE: paired}]
    flight += [{"client": "AsyncClient.invoke_many", 1: 1.0, 8: 1.0, 64: 500.0, 256: 1000.0}]
    flight += [{"client": bench.BASE, 1: 1.0, 8: 1.0, 64: 1000.0, 256: 1000.0}]
    wrk = {"client": "the mock's ceiling (wrk)", 1: 1.0, 8: 1.0, 64: 2000.0, 256: 2000.0}
    text = bench.report(flight, wrk, {"fgs.Client": 1.0, "fgs.Client, AccessKey (signed)": 1.0}, [])
    assert "| fgs.AsyncClient / raw aiohttp | 1.00x | 1.00x | 0.80x | 0.69x |" in text
    assert "fgs.AsyncClient >= 0.70x raw aiohttp at 64 and 256: **missed**." in text
    assert "| AsyncClient.invoke_many / raw aiohttp | 1.00x | 1.00x | 0.50x | 1.00x |" in text


def test_a_turn_ends_at_its_call_count_or_its_time_and_counts_failures(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    monkeypatch.setattr(bench, "ASYNC_CALLS", 50)
    calls = 0

    async def call() -> None:
        nonlocal calls
        calls += 1
        if calls % 10 == 0:
            raise OSError("reset")
        await asyncio.sleep(0)

    turn = asyncio.run(bench._flood(bench.Turn(), 4, call)).end()
    assert (turn.done, turn.failed, calls) == (50, 5, 50)
    monkeypatch.setattr(bench, "TURN_SECONDS", 0.0)
    assert asyncio.run(bench._flood(bench.Turn(), 4, call)).end().done == 0


def test_paired_ratios_show_their_spread_and_the_medians_of_the_table_beside_them(bench: ModuleType) -> None:
    wrk = {"client": bench.CEILING, 1: 1.0, 8: 1.0, 64: 2000.0, 256: 2000.0}
    raw = {"client": bench.BASE, 1: 1.0, 8: 1.0, 64: 1000.0, 256: 1000.0}
    paired = {n: 0.8 for n in (1, 8, 64, 256)}
    spread = {n: (0.6, 0.9) for n in (1, 8, 64, 256)}
    fgs_row = {"client": "fgs.AsyncClient", 1: 1.0, 8: 1.0, 64: 680.0, 256: 690.0, bench.BASE: paired}
    fgs_row[bench.RANGE] = {bench.BASE: spread}
    many = {"client": "AsyncClient.invoke_many", 1: 1.0, 8: 1.0, 64: 900.0, 256: 900.0}
    text = bench.report([fgs_row, many, raw], wrk, {"fgs.Client": 1.0, "fgs.Client, AccessKey (signed)": 1.0}, [])
    assert "| fgs.AsyncClient / raw aiohttp | 0.80x (0.60-0.90) | 0.80x (0.60-0.90) |" in text
    assert "fgs.AsyncClient >= 0.70x raw aiohttp at 64 and 256: met." in text
    assert "instead: fgs.AsyncClient / raw aiohttp.ClientSession: 0.68x at 64, 0.69x at 256." in text


def test_in_flight_counts_only_answered_calls_and_pairs_each_round(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    def turn(done: int, failed: int = 0) -> Any:
        made = bench.Turn()
        made.done, made.failed, made.seconds = done, failed, 1.0
        return made

    async def raw(base_url: str, n: int) -> Any:
        return turn(100)

    async def failing(base_url: str, n: int) -> Any:
        return turn(100, failed=60)  # fast, but most calls failed

    monkeypatch.setattr(bench, "wrk_turn", lambda base_url, n, script: turn(200))
    rows = bench.in_flight("http://127.0.0.1:9", {bench.BASE: raw, "failing": failing}, rounds=2)
    flight, ceiling = bench.split_ceiling(rows)
    by = {row["client"]: row for row in flight}
    assert by["failing"][64] == 40.0
    assert by["failing"][bench.BASE][64] == 0.4
    assert by["failing"][bench.CEILING][256] == 0.2
    assert by["failing"]["failed"] == 60 * 2 * len(bench.IN_FLIGHT)  # reported; the warm-up turn is not counted
    assert ceiling[8] == 200.0

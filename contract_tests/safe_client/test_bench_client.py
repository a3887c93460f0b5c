"""scripts/bench_client.py: what it times does the work it claims, and its report states the targets' ratios.

The benchmark itself runs with `python scripts/bench_client.py`, never in tests.
"""

from __future__ import annotations

from types import ModuleType

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
    calls = [
        {"client": "raw httpx.Client", "us": 1000.0},
        {"client": "fgs.Client, Token", "us": 1050.0},
        {"client": "fgs.Client, AccessKey (signed)", "us": 1102.5},
    ]
    imports = [{"client": "import fgs", "ms": 110.0}, {"client": "import httpx, attrs", "ms": 100.0}]
    text = bench.report(flight, wrk, calls, [{"client": "fgs AccessKey.apply", "us": 10.0}], imports)
    assert "| fgs.AsyncClient / raw aiohttp | 1.00x | 1.00x | 0.75x | 0.50x |" in text
    assert "| fgs.AsyncClient / the ceiling | 0.10x | 0.20x | 0.30x | 0.40x |" in text
    assert "| fgs.Client, Token | 1050 | 1.05x of raw httpx |" in text
    assert "| fgs.Client, AccessKey (signed) | 1102 | 1.05x of fgs.Client, Token |" in text
    assert "| ratio (target <= 1.1x) | 1.10x |" in text

"""The runtime's rows of `make bench`: a no-op handler on a warm instance, RUNNING to SUCCESS; 1,000
invocations of it beside a canned `succeed`; and instance start-up (cold start) on its own.

Loopback only, bounded: a mock in a child process, 200 warm runs one after another, 1,000 calls each.
`python scripts/bench_runtime.py` prints these rows alone.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import httpx

import fgs
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from fgs_mock.runtime import FunctionCode, Pool

NOOP_URN = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:noop:latest"
CANNED_URN = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:canned:latest"
WARM_RUNS = 200
MANY = 1000
CONCURRENCY = 4
COLD_STARTS = 10
NOOP_SOURCE = "def handler(event, context):\n    return None\n"

Server = Callable[[list[str]], AbstractContextManager[str]]


@dataclass(frozen=True)
class Figures:
    warm_p50_ms: float
    warm_p95_ms: float
    many_s: dict[str, float]  # function -> seconds from the first call to all SUCCESS
    cold_p50_ms: float
    cold_max_ms: float


def flags(code_dir: str) -> list[str]:
    return [
        "--function",
        f"{NOOP_URN}=path={code_dir},handler=index.handler,concurrency={CONCURRENCY}",
        "--function",
        f"{CANNED_URN}=succeed,duration=0,concurrency={CONCURRENCY}",
        "--max-invocations",
        str(MANY * 4),
    ]


def _ended(http: httpx.Client, request_id: str) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while True:
        seen: dict[str, object] = http.get(f"/_mock/invocations/{request_id}").json()
        if seen["run_status"] in ("SUCCESS", "FAIL", "DISCARD"):
            return seen
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {request_id} did not end")
        time.sleep(0.001)


def warm_latency(base_url: str, client: fgs.Client, http: httpx.Client) -> list[float]:
    """Seconds from RUNNING to SUCCESS, as the engine stamped them, for runs on a warm instance."""
    _ended(http, client.invoke_async(NOOP_URN, {}))  # the cold start, not counted
    samples = []
    for _ in range(WARM_RUNS):
        seen = _ended(http, client.invoke_async(NOOP_URN, {}))
        if seen["run_status"] != "SUCCESS":
            raise RuntimeError(f"the no-op handler ended {seen['run_status']}")
        samples.append(float(seen["end_time"]) - float(seen["start_time"]))  # type: ignore[arg-type]
    return samples


def many(urn: str, client: fgs.Client, http: httpx.Client) -> float:
    """Seconds from the first of MANY calls until every run is SUCCESS."""
    http.delete("/_mock/invocations")
    started = time.perf_counter()
    for outcome in client.invoke_many(urn, ({"n": n} for n in range(MANY)), concurrency=16):
        if isinstance(outcome, fgs.FgsError):
            raise RuntimeError(f"a call was refused: {outcome}")
    deadline = time.monotonic() + 300
    while http.get("/_mock/invocations", params={"limit": 1}).json()["statuses"].get("SUCCESS", 0) < MANY:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{urn}: not every run ended SUCCESS")
        time.sleep(0.005)
    return time.perf_counter() - started


def cold_starts(code_dir: str) -> list[float]:
    """Seconds for a fresh instance's first run (process start, imports, the run), in this process."""
    code = FunctionCode(handler="index.handler", path=code_dir)
    samples = []
    for n in range(COLD_STARTS):
        pool = Pool()
        started = time.perf_counter()
        pool.run(f"{DEFAULT_PROJECT_ID}:default:noop:latest", code, f"cold-{n}", b"{}")
        samples.append(time.perf_counter() - started)
        pool.close()
    return samples


def measure(server: Server) -> Figures:
    with tempfile.TemporaryDirectory() as code_dir:
        (Path(code_dir) / "index.py").write_text(NOOP_SOURCE)
        with (
            server(flags(code_dir)) as base_url,
            fgs.Client(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client,
            httpx.Client(base_url=base_url, timeout=10) as http,
        ):
            warm = sorted(warm_latency(base_url, client, http))
            # Turns: canned, code, canned, code; the median of each pair on a drifting machine.
            turns: dict[str, list[float]] = {"code": [], "canned": []}
            for _ in range(2):
                turns["canned"].append(many(CANNED_URN, client, http))
                turns["code"].append(many(NOOP_URN, client, http))
        cold = sorted(cold_starts(code_dir))
    return Figures(
        warm_p50_ms=statistics.median(warm) * 1e3,
        warm_p95_ms=warm[int(0.95 * len(warm)) - 1] * 1e3,
        many_s={name: statistics.median(times) for name, times in turns.items()},
        cold_p50_ms=statistics.median(cold) * 1e3,
        cold_max_ms=cold[-1] * 1e3,
    )


def report(f: Figures, verdict: Callable[[bool], str]) -> list[str]:
    ratio = f.many_s["code"] / f.many_s["canned"]
    return [
        "## The runtime: Python handlers in worker processes",
        "",
        f"| no-op handler, warm instance, RUNNING to SUCCESS ({WARM_RUNS} runs one after another) | ms |",
        "| --- | ---: |",
        f"| p50 | {f.warm_p50_ms:.2f} |",
        f"| p95 | {f.warm_p95_ms:.2f} |",
        "",
        f"Target: p50 at most 5 ms: {f.warm_p50_ms:.2f} ms, {verdict(f.warm_p50_ms <= 5)}.",
        "",
        f"| {MANY:,} invocations, concurrency {CONCURRENCY}, until all SUCCESS (median of 2 turns) | s |",
        "| --- | ---: |",
        f"| no-op handler | {f.many_s['code']:.2f} |",
        f"| canned `succeed`, duration 0 | {f.many_s['canned']:.2f} |",
        "",
        f"The handler takes {ratio:.2f}x the canned behaviour's time (no target). Instance start-up (cold",
        f"start: a fresh process, its imports and a first no-op run; {COLD_STARTS} in this process): "
        f"median {f.cold_p50_ms:.0f} ms, slowest {f.cold_max_ms:.0f} ms.",
        "",
    ]


if __name__ == "__main__":
    import importlib

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    # beside this script: the mock in a child process, as make bench runs it (bench imports this module)
    bench = importlib.import_module("bench")
    servers = importlib.import_module("bench_servers")
    print("\n".join(report(measure(servers.mock_with), bench.verdict)))

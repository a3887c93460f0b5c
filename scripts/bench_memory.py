"""The mock's memory and listing under sustained load: used by bench.py (make bench).

`fill` drives a running mock with wrk until it has accepted a given number of calls; `rss_mib` reads a
process's resident memory; `listing_ms` times pages of GET /_mock/invocations.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import bench_servers
import httpx

KIB_BODY = json.dumps({"payload": "x" * 1009})  # 1,024 bytes on the wire
assert len(KIB_BODY) == 1024


def fill(
    base_url: str, path: str, calls: int, token: str, scratch: Path, connections: int = 10, most: float = 600
) -> float:
    """Seconds until the mock at `base_url` has accepted `calls` more calls to `path` from wrk (at `most`).

    The mock's own counter says when the run is done: wrk's count of answers is not what was stored.
    """
    script = scratch / "fill.lua"
    script.write_text(bench_servers.post_script(KIB_BODY, token, stop_after=calls))
    target = counters(base_url)["accepted"] + calls
    load = bench_servers.wrk(
        base_url, connections, most, script, path=path, until=lambda: counters(base_url)["accepted"] >= target
    )
    return load.seconds


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def counters(base_url: str) -> dict[str, int]:
    listed = httpx.get(base_url + "/_mock/invocations", params={"limit": 1}, timeout=30).json()
    return {key: int(listed[key]) for key in ("accepted", "retained", "evicted")}


def listing_ms(base_url: str, stored: int, rounds: int = 20) -> dict[str, tuple[float, float]]:
    """Median and worst milliseconds per page, for pages at the start, middle and end of the store."""
    pages: dict[str, dict[str, str | int]] = {
        "first 100": {"limit": 100},
        "100 from the middle": {"limit": 100, "marker": str(stored // 2)},
        "1,000 from the middle": {"limit": 1000, "marker": str(stored // 2)},
    }
    times: dict[str, list[float]] = {name: [] for name in pages}
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for _ in range(rounds):
            for name, params in pages.items():
                started = time.perf_counter()
                answer = http.get("/_mock/invocations", params=params)
                times[name].append((time.perf_counter() - started) * 1000)
                answer.raise_for_status()
    return {name: (statistics.median(t), max(t)) for name, t in times.items()}

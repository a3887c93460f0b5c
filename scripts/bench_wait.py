"""`Client.wait()` latency: from invoke to a terminal status, against the mock, for a function that succeeds
after a known duration. The overhead over that duration is what polling adds.

Loopback only, bounded: `WAIT_CALLS` calls one after another for each poll setting.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import fgs
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

DURATION = 0.3  # seconds each run of the function takes in the mock
WAIT_URN = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:timed:latest"
MOCK_FLAGS = ("--function", f"{WAIT_URN}=succeed,duration={DURATION}")
WAIT_CALLS = 20
POLLS = (None, 0.05)  # None: the client's default


@dataclass(frozen=True)
class WaitLatency:
    poll: float | None
    median_ms: float  # overhead over DURATION
    p95_ms: float
    calls: int


def overheads(samples: Sequence[float], duration: float, poll: float | None = None) -> WaitLatency:
    """Median and 95th percentile (nearest rank) of the seconds past `duration`, in milliseconds."""
    extra = sorted((s - duration) * 1e3 for s in samples)
    rank = max(1, -(-95 * len(extra) // 100))  # ceil(0.95 n)
    return WaitLatency(poll, statistics.median(extra), extra[rank - 1], len(extra))


def wait_latency(base_url: str, poll: float | None, calls: int = WAIT_CALLS) -> WaitLatency:
    samples = []
    with fgs.Client(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
        for _ in range(calls):
            started = time.perf_counter()
            request_id = client.invoke_async(WAIT_URN, {"k": "v"})
            if poll is None:
                ended = client.wait(WAIT_URN, request_id, timeout=30)
            else:
                ended = client.wait(WAIT_URN, request_id, timeout=30, poll=poll)
            if ended.status != fgs.InvocationStatus.SUCCESS:
                raise RuntimeError(f"the timed function ended {ended.status}")
            samples.append(time.perf_counter() - started)
    return overheads(samples, DURATION, poll)


def report(rows: Sequence[WaitLatency]) -> list[str]:
    return [
        f"## `Client.wait()` latency (a function that succeeds after {DURATION * 1e3:.0f} ms; "
        f"{rows[0].calls} calls each, one after another)",
        "",
        "| poll | overhead median ms | overhead p95 ms |",
        "| --- | ---: | ---: |",
        *(f"| {'default' if r.poll is None else f'{r.poll:g} s'} | {r.median_ms:.0f} | {r.p95_ms:.0f} |" for r in rows),
        "",
        "Overhead: time from invoke_async to wait() returning SUCCESS, less the function's own duration.",
        "",
    ]

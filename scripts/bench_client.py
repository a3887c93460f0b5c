"""The client's own figures: AsyncClient and invoke_many in flight, and signing in process.

scripts/bench.py runs these rows in `make bench`, beside its own (blocking calls, signed and not, and
`import fgs`, which it measures once for both). Loopback only, bounded in count and time. The mock runs
in a child process (`python -m fgs_mock`), so that it does not share a GIL with the clients being timed; clients take
turns, in a fresh order each round, so a slow spell of a shared machine hits them all alike.
`python scripts/bench_client.py` prints the async rows alone.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bench_servers
import httpx

import fgs
from fgs._signing import sign
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN

PATH, PAYLOAD = bench_servers.PATH, bench_servers.PAYLOAD
IN_FLIGHT = (1, 8, 64, 256)
# A turn is ASYNC_CALLS calls, or fewer when TURN_SECONDS run out first (raw httpx manages ~150 calls/s
# at 64 in flight). Turns of 1,024 calls and 3 rounds moved the ratio at 64 between 0.57x and 0.9x.
ASYNC_CALLS, ASYNC_ROUNDS, TURN_SECONDS = 2048, 5, 3.0
BASE, CEILING, RANGE = "raw aiohttp.ClientSession", "the mock's ceiling (wrk)", "paired range"
AK, SK = "BENCHAK" * 3, "BENCHSK" * 6
Row = dict[Any, Any]  # a label under "client", then figures by column


@contextmanager
def mock() -> Iterator[str]:
    """The mock in a child process on loopback; its base URL until the block ends."""
    port = bench_servers.free_port()
    with bench_servers.serve(bench_servers.mock_command(port), port) as server:
        yield server.base_url


# --- calls in flight ----------------------------------------------------------------------------------

Run = Callable[[str, int], Coroutine[Any, Any, "Turn"]]


class Turn:
    """Calls made and failed in one turn, and the seconds they took, set up and teardown included."""

    def __init__(self) -> None:
        self.started, self.stop_at = time.perf_counter(), time.perf_counter() + TURN_SECONDS
        self.done = self.failed = 0
        self.seconds = 0.0

    def more(self) -> bool:
        return self.done < ASYNC_CALLS and time.perf_counter() < self.stop_at

    def end(self) -> Turn:
        self.seconds = time.perf_counter() - self.started
        return self


async def _flood(turn: Turn, in_flight: int, call: Callable[[], Awaitable[object]]) -> Turn:
    async def worker() -> None:
        while turn.more():
            turn.done += 1
            try:
                await call()
            except Exception:  # counted and reported: e.g. raw httpx reusing a connection the server closed
                turn.failed += 1

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return turn


async def fgs_async(base_url: str, n: int) -> Turn:
    turn = Turn()
    async with fgs.AsyncClient(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, max_connections=n) as client:
        await _flood(turn, n, lambda: client.invoke_async(DEFAULT_FUNCTION_URN, PAYLOAD))
    return turn.end()


async def fgs_invoke_many(base_url: str, n: int) -> Turn:
    turn = Turn()

    def payloads() -> Iterator[dict[str, Any]]:
        while turn.more():
            turn.done += 1
            yield PAYLOAD

    async with fgs.AsyncClient(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, max_connections=n) as client:
        async for outcome in client.invoke_many(DEFAULT_FUNCTION_URN, payloads(), concurrency=n):
            turn.failed += not isinstance(outcome, str)
    return turn.end()


async def raw_aiohttp(base_url: str, n: int) -> Turn:
    import aiohttp

    turn = Turn()
    headers = {"X-Auth-Token": DEFAULT_TOKEN}
    async with aiohttp.ClientSession(base_url, connector=aiohttp.TCPConnector(limit=n)) as session:

        async def one() -> object:
            async with session.post(PATH, json=PAYLOAD, headers=headers) as response:
                return (await response.json())["request_id"]

        await _flood(turn, n, one)
    return turn.end()


async def raw_httpx(base_url: str, n: int) -> Turn:
    turn = Turn()
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as client:

        async def one() -> object:
            response = await client.post(PATH, json=PAYLOAD, headers={"X-Auth-Token": DEFAULT_TOKEN})
            return response.json()["request_id"]

        await _flood(turn, n, one)
    return turn.end()


ASYNC_RUNS: dict[str, Run] = {
    "fgs.AsyncClient": fgs_async,
    "AsyncClient.invoke_many": fgs_invoke_many,
    BASE: raw_aiohttp,
    "raw httpx.AsyncClient": raw_httpx,
}


def in_flight(base_url: str, runs: Mapping[str, Run] = ASYNC_RUNS, rounds: int = ASYNC_ROUNDS) -> list[Row]:
    """Calls per second at each number in flight; one row per client and one for the mock's ceiling (wrk),
    each the median of `rounds` turns.

    The clients and wrk take turns back to back, in a fresh order each round, so a slow spell of the
    machine weighs on both sides of a ratio. Each row therefore also carries, under BASE and under
    CEILING, the median of its ratios to that row's turn in the same round, and under RANGE the lowest
    and highest of them. A round of untimed turns first warms up the mock and the clients.
    """
    turns: dict[str, Callable[[str, int], Turn]] = {name: _in_loop(run) for name, run in runs.items()}
    scratch = tempfile.TemporaryDirectory()
    script = Path(scratch.name) / "post.lua"
    script.write_text(bench_servers.post_script())
    turns[CEILING] = lambda base_url, n: wrk_turn(base_url, n, script)
    samples: dict[str, dict[int, list[float]]] = {name: {n: [] for n in IN_FLIGHT} for name in turns}
    failed = dict.fromkeys(turns, 0)
    order, rng = list(turns), random.Random(12)
    for name in runs:
        turns[name](base_url, 8)
    for _ in range(rounds):
        for n in IN_FLIGHT:
            rng.shuffle(order)
            for name in order:
                turn = turns[name](base_url, n)
                failed[name] += turn.failed
                samples[name][n].append((turn.done - turn.failed) / turn.seconds)  # answered calls only
    scratch.cleanup()
    rows = []
    for name, by_n in samples.items():
        row: Row = {"client": name, "failed": failed[name], **{n: statistics.median(v) for n, v in by_n.items()}}
        row[RANGE] = {}
        for against in (BASE, CEILING):
            if against in samples and against != name:
                paired = {n: [a / b for a, b in zip(by_n[n], samples[against][n], strict=True)] for n in IN_FLIGHT}
                row[against] = {n: statistics.median(r) for n, r in paired.items()}
                row[RANGE][against] = {n: (min(r), max(r)) for n, r in paired.items()}
        rows.append(row)
    return rows


def _in_loop(run: Run) -> Callable[[str, int], Turn]:
    return lambda base_url, n: asyncio.run(run(base_url, n))


def split_ceiling(rows: list[Row]) -> tuple[list[Row], Row]:
    """The clients' rows, and the ceiling's."""
    return [r for r in rows if r["client"] != CEILING], next(r for r in rows if r["client"] == CEILING)


def wrk_turn(base_url: str, n: int, script: Path) -> Turn:
    """The mock's own ceiling: wrk for TURN_SECONDS with `n` connections, posting as `script` says."""
    load = bench_servers.wrk(base_url, n, TURN_SECONDS, script)
    turn = Turn()
    turn.done, turn.seconds = load.completed, load.seconds
    return turn


# --- per call, blocking ---------------------------------------------------------------------------------


class _SignedAndToken(fgs.AccessKey):
    """Signs every request and also carries the mock's token, which is all the mock checks: the server's
    work stays that of a token call, so the difference measured is the client's signing alone."""

    def apply(self, method: str, url: str, headers: Mapping[str, str], body: bytes, **kwargs: Any) -> dict[str, str]:
        return {**super().apply(method, url, headers, body, **kwargs), "X-Auth-Token": DEFAULT_TOKEN}


def _sdk_call(base_url: str) -> Callable[[], object]:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_handler import HttpHandler
    from huaweicloudsdkfunctiongraph.v2 import AsyncInvokeFunctionRequest, FunctionGraphClient

    def add_token(request: Any, **_: Any) -> None:
        request.header_params["X-Auth-Token"] = DEFAULT_TOKEN

    sdk = (
        FunctionGraphClient.new_builder()
        .with_credentials(BasicCredentials(AK, SK, DEFAULT_PROJECT_ID))
        .with_endpoints([base_url])
        .with_http_handler(HttpHandler().add_request_handler(add_token))
        .build()
    )
    return lambda: sdk.async_invoke_function(
        AsyncInvokeFunctionRequest(function_urn=DEFAULT_FUNCTION_URN, body=PAYLOAD)
    )


def signing_in_process(calls: int = 20_000) -> list[Row]:
    """Microseconds to authenticate one request without the network: fgs's signer and the SDK's."""
    url = "http://127.0.0.1:8080" + PATH
    headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip, deflate"}
    body = b'{"body":{"k":"v"}}'
    runs: dict[str, Callable[[], object]] = {
        "fgs AccessKey.apply": lambda: sign(
            "POST", url, headers, body, access_key=AK, secret_key=SK, now=time.time(), project_id=DEFAULT_PROJECT_ID
        ),
    }
    try:
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.sdk_request import SdkRequest

        credentials = BasicCredentials(AK, SK, DEFAULT_PROJECT_ID)
        runs["official SDK sign_request"] = lambda: credentials.sign_request(
            SdkRequest("POST", "http", "127.0.0.1:8080", PATH, query_params=[], header_params=dict(headers), body=body)
        )
    except ImportError:
        pass
    rows = []
    for name, run in runs.items():
        started = time.perf_counter()
        for _ in range(calls):
            run()
        rows.append({"client": name, "us": (time.perf_counter() - started) / calls * 1e6})
    return rows


# --- report -------------------------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x"


def _cell(row: Row, against: Row, n: int) -> str:
    """The ratio, and when the row has them, the lowest and highest of the rounds' ratios."""
    spread = row.get(RANGE, {}).get(against["client"])
    text = f"{_against(row, against, n):.2f}x"
    return f"{text} ({spread[n][0]:.2f}-{spread[n][1]:.2f})" if spread else text


def _against(row: Row, against: Row, n: int) -> float:
    """The row's ratio to `against` at `n` in flight: paired by round when the row has it, else of medians."""
    paired = row.get(against["client"])
    return float(paired[n]) if isinstance(paired, dict) else float(row[n] / against[n])


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def report(flight: list[Row], wrk: Row, per_call_us: Mapping[str, float], signing: list[Row]) -> str:
    """The async rows with their targets' ratios, then signing against token auth.

    `per_call_us` maps bench.py's blocking clients to median microseconds per call.
    """
    by = {row["client"]: row for row in [*flight, wrk]}
    raw, top = by[BASE], by[wrk["client"]]
    lines = [
        f"## The async client, calls per second by calls in flight ({ASYNC_CALLS} calls or {TURN_SECONDS:g} s "
        f"a turn, median of {ASYNC_ROUNDS} turns)",
        "",
        "| client | " + " | ".join(str(n) for n in IN_FLIGHT) + " |",
        "|---|" + "---:|" * len(IN_FLIGHT),
    ]
    lines += [f"| {row['client']} | " + " | ".join(f"{row[n]:.0f}" for n in IN_FLIGHT) + " |" for row in [*flight, wrk]]
    lines += [f"\n{row['failed']} calls of {row['client']} failed." for row in flight if row.get("failed")]
    lines += [
        "",
        "| ratio: median of each round's ratio (lowest-highest); target at 64 and 256: >= 0.70x raw aiohttp, "
        ">= 0.35x the ceiling | ",
    ]
    lines[-1] += " | ".join(str(n) for n in IN_FLIGHT) + " |"
    lines.append("|---|" + "---:|" * len(IN_FLIGHT))
    verdicts = []
    for name in ("fgs.AsyncClient", "AsyncClient.invoke_many"):
        row = by[name]
        for against, label, target in ((raw, "raw aiohttp", 0.70), (top, "the ceiling", 0.35)):
            ratios = {n: _against(row, against, n) for n in IN_FLIGHT}
            lines.append(f"| {name} / {label} | " + " | ".join(_cell(row, against, n) for n in IN_FLIGHT) + " |")
            ok = all(ratios[n] >= target for n in (64, 256))
            verdicts.append(f"{name} >= {target:.2f}x {label} at 64 and 256: {verdict(ok)}.")
    unpaired = [
        f"{name} / {against['client']}: " + ", ".join(f"{by[name][n] / against[n]:.2f}x at {n}" for n in (64, 256))
        for name in ("fgs.AsyncClient", "AsyncClient.invoke_many")
        for against in (raw, top)
        if isinstance(by[name].get(against["client"]), dict)
    ]
    lines += ["", *verdicts]
    if unpaired:
        lines += ["", "The same ratios from the medians of the table instead: " + "; ".join(unpaired) + "."]
    token = per_call_us["fgs.Client"]
    signed = per_call_us["fgs.Client, AccessKey (signed)"]
    lines += [
        "",
        "## Signing against token auth",
        "",
        f"Per blocking call (from the table above): fgs.Client signing every call {signed:.0f} µs against "
        f"{token:.0f} µs with a token, {_ratio(signed, token)}; "
        f"target at most 1.15x: {verdict(signed <= 1.15 * token)}.",
    ]
    if "official SDK" in per_call_us:
        sdk = per_call_us["official SDK"]
        lines[-1] += f" The official SDK, which signs every call: {sdk:.0f} µs ({_ratio(sdk, token)})."
    lines += ["", "| signing one request, in process | µs |", "|---|---:|"]
    lines += [f"| {row['client']} | {row['us']:.1f} |" for row in signing]
    return "\n".join(lines)


def main() -> None:
    """The async rows alone; `make bench` runs them with the rest (scripts/bench.py)."""
    with mock() as base_url:
        rows = in_flight(base_url)
    print("\n".join(f"| {row['client']} | " + " | ".join(f"{row[n]:.0f}" for n in IN_FLIGHT) + " |" for row in rows))
    print("\n".join(f"| {row['client']} | {row['us']:.1f} |" for row in signing_in_process()))


if __name__ == "__main__":
    main()

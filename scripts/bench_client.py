"""The client's own figures: AsyncClient and invoke_many in flight, signing against token auth, `import fgs`.

Loopback only, bounded in count and time (about two minutes). The mock runs in a child process
(`python -m fgs_mock`), so that it does not share a GIL with the clients being timed; clients take
turns, in a fresh order each round, so a slow spell of a shared machine hits them all alike.
`python scripts/bench_client.py` prints a Markdown report; scripts/bench.py may call the row functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

import fgs
from fgs._signing import sign
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
PATH = f"/v2/{DEFAULT_PROJECT_ID}/fgs/functions/{quote(DEFAULT_FUNCTION_URN, safe='')}/invocations-async"
PAYLOAD = {"body": {"k": "v"}}
IN_FLIGHT = (1, 8, 64, 256)
ASYNC_CALLS, ASYNC_ROUNDS = 1024, 3
SYNC_CALLS = 1000
WRK_SECONDS = 3
AK, SK = "BENCHAK" * 3, "BENCHSK" * 6
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("FGS_")}
Row = dict[Any, Any]  # a label under "client", then figures by column


@contextmanager
def mock(port: int = 0) -> Iterator[str]:
    """The mock in a child process on loopback; its base URL until the block ends."""
    if not port:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
    command = [sys.executable, "-m", "fgs_mock", "--port", str(port)]
    child = subprocess.Popen(
        command, cwd=ROOT, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if child.poll() is not None:
                    raise RuntimeError("the mock did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=10)


# --- calls in flight ----------------------------------------------------------------------------------

Run = Callable[[str, int], Coroutine[Any, Any, int]]  # how many calls failed


async def _flood(in_flight: int, call: Callable[[], Awaitable[object]]) -> int:
    remaining = iter(range(ASYNC_CALLS))
    failed = 0

    async def worker() -> None:
        nonlocal failed
        for _ in remaining:
            try:
                await call()
            except Exception:  # counted and reported: e.g. raw httpx reusing a connection the server closed
                failed += 1

    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return failed


async def fgs_async(base_url: str, n: int) -> int:
    async with fgs.AsyncClient(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, max_connections=n) as client:
        return await _flood(n, lambda: client.invoke_async(DEFAULT_FUNCTION_URN, PAYLOAD))


async def fgs_invoke_many(base_url: str, n: int) -> int:
    async with fgs.AsyncClient(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, max_connections=n) as client:
        payloads = (PAYLOAD for _ in range(ASYNC_CALLS))
        outcomes = client.invoke_many(DEFAULT_FUNCTION_URN, payloads, concurrency=n)
        return sum([not isinstance(outcome, str) async for outcome in outcomes])


async def raw_aiohttp(base_url: str, n: int) -> int:
    import aiohttp

    headers = {"X-Auth-Token": DEFAULT_TOKEN}
    async with aiohttp.ClientSession(base_url, connector=aiohttp.TCPConnector(limit=n)) as session:

        async def one() -> object:
            async with session.post(PATH, json=PAYLOAD, headers=headers) as response:
                return (await response.json())["request_id"]

        return await _flood(n, one)


async def raw_httpx(base_url: str, n: int) -> int:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10) as client:

        async def one() -> object:
            response = await client.post(PATH, json=PAYLOAD, headers={"X-Auth-Token": DEFAULT_TOKEN})
            return response.json()["request_id"]

        return await _flood(n, one)


ASYNC_RUNS: dict[str, Run] = {
    "fgs.AsyncClient": fgs_async,
    "AsyncClient.invoke_many": fgs_invoke_many,
    "raw aiohttp.ClientSession": raw_aiohttp,
    "raw httpx.AsyncClient": raw_httpx,
}


def in_flight(base_url: str, runs: Mapping[str, Run] = ASYNC_RUNS, rounds: int = ASYNC_ROUNDS) -> list[Row]:
    """Calls per second at each number in flight; one row per client, the median of `rounds` turns."""
    samples: dict[str, dict[int, list[float]]] = {name: {n: [] for n in IN_FLIGHT} for name in runs}
    failed = dict.fromkeys(runs, 0)
    order, rng = list(runs), random.Random(12)
    for _ in range(rounds):
        for n in IN_FLIGHT:
            rng.shuffle(order)
            for name in order:
                started = time.perf_counter()
                failed[name] += asyncio.run(runs[name](base_url, n))
                samples[name][n].append(ASYNC_CALLS / (time.perf_counter() - started))
    return [
        {"client": name, "failed": failed[name], **{n: statistics.median(v) for n, v in rows.items()}}
        for name, rows in samples.items()
    ]


def ceiling(base_url: str, seconds: int = WRK_SECONDS) -> Row:
    """The mock's own ceiling: wrk with as many connections as calls in flight, the same request."""
    body = '{"body": {"k": "v"}}'
    script = ROOT / "reports" / "bench_client.lua"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = \'{body}\'\nwrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Auth-Token"] = "{DEFAULT_TOKEN}"\n'
    )
    row: Row = {"client": "the mock's ceiling (wrk)"}
    for n in IN_FLIGHT:
        out = subprocess.run(
            ["wrk", "-t1", f"-c{n}", f"-d{seconds}s", "-s", str(script), base_url + PATH],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 30,
        ).stdout
        row[n] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return row


# --- per call, blocking ---------------------------------------------------------------------------------


class _SignedAndToken(fgs.AccessKey):
    """Signs every request and also carries the mock's token, which is all the mock checks: the server's
    work stays that of a token call, so the difference measured is the client's signing alone."""

    def apply(self, method: str, url: str, headers: Mapping[str, str], body: bytes, **kwargs: Any) -> dict[str, str]:
        return {**super().apply(method, url, headers, body, **kwargs), "X-Auth-Token": DEFAULT_TOKEN}


def _sync_clients(base_url: str) -> dict[str, tuple[Callable[[], object], Callable[[], None]]]:
    raw = httpx.Client(base_url=base_url, timeout=10)

    def raw_call() -> object:
        return raw.post(PATH, json=PAYLOAD, headers={"X-Auth-Token": DEFAULT_TOKEN}).json()["request_id"]

    token = fgs.Client(base_url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN)
    signed = fgs.Client(base_url, DEFAULT_PROJECT_ID, credentials=_SignedAndToken(AK, SK))
    clients = {
        "raw httpx.Client": (raw_call, raw.close),
        "fgs.Client, Token": (lambda: token.invoke_async(DEFAULT_FUNCTION_URN, PAYLOAD), token.close),
        "fgs.Client, AccessKey (signed)": (lambda: signed.invoke_async(DEFAULT_FUNCTION_URN, PAYLOAD), signed.close),
    }
    with contextlib.suppress(ImportError):  # a dev dependency; without it the row is left out
        clients["official SDK (signs every call)"] = (_sdk_call(base_url), lambda: None)
    return clients


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


def per_call(base_url: str, calls: int = SYNC_CALLS) -> list[Row]:
    """Median microseconds per blocking call; clients take turns call by call."""
    clients = _sync_clients(base_url)
    for call, _ in clients.values():
        for _ in range(50):
            call()
    samples: dict[str, list[float]] = {name: [] for name in clients}
    order, rng = list(clients), random.Random(42)
    for _ in range(calls):
        rng.shuffle(order)
        for name in order:
            started = time.perf_counter()
            clients[name][0]()
            samples[name].append(time.perf_counter() - started)
    for _, close in clients.values():
        close()
    return [{"client": name, "us": statistics.median(values) * 1e6} for name, values in samples.items()]


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


# --- import cost ------------------------------------------------------------------------------------------

PROBE = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def import_cost(statements: tuple[str, ...] = ("import fgs", "import httpx, attrs"), runs: int = 15) -> list[Row]:
    """Median seconds for each import in a fresh interpreter, interleaved run by run."""
    samples: dict[str, list[float]] = {s: [] for s in statements}
    for run in range(runs + 1):
        for stmt in statements:
            out = subprocess.run(
                [sys.executable, "-c", PROBE.format(stmt=stmt)],
                env=CHILD_ENV,
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if run:  # the first run of each writes bytecode
                samples[stmt].append(float(out))
    return [{"client": stmt, "ms": statistics.median(v) * 1e3} for stmt, v in samples.items()]


# --- report -------------------------------------------------------------------------------------------------


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x"


def report(flight: list[Row], wrk: Row, calls: list[Row], signing: list[Row], imports: list[Row]) -> str:
    by = {row["client"]: row for row in [*flight, wrk]}
    raw, top = by["raw aiohttp.ClientSession"], wrk
    lines = [
        "## The async client, calls per second by calls in flight (median of turns)",
        "",
        "| client | " + " | ".join(str(n) for n in IN_FLIGHT) + " |",
        "|---|" + "---:|" * len(IN_FLIGHT),
    ]
    lines += [f"| {row['client']} | " + " | ".join(f"{row[n]:.0f}" for n in IN_FLIGHT) + " |" for row in [*flight, wrk]]
    lines += [f"\n{row['failed']} calls of {row['client']} failed." for row in flight if row.get("failed")]
    lines += ["", "| ratio (target at 64 and 256: >= 0.70x raw aiohttp, >= 0.35x the ceiling) | "]
    lines[-1] += " | ".join(str(n) for n in IN_FLIGHT) + " |"
    lines.append("|---|" + "---:|" * len(IN_FLIGHT))
    for name in ("fgs.AsyncClient", "AsyncClient.invoke_many"):
        row = by[name]
        for against, label in ((raw, "raw aiohttp"), (top, "the ceiling")):
            cells = [_ratio(row[n], against[n]) for n in IN_FLIGHT]
            lines.append(f"| {name} / {label} | " + " | ".join(cells) + " |")
    per = {row["client"]: row["us"] for row in calls}
    token, raw_sync = per["fgs.Client, Token"], per["raw httpx.Client"]
    lines += [
        "",
        "## Per blocking call (median µs, clients taking turns)",
        "",
        "| client | µs | ratio |",
        "|---|---:|---|",
    ]
    for name, micros in per.items():
        base_name = "raw httpx" if name == "fgs.Client, Token" else "fgs.Client, Token"
        base = raw_sync if name == "fgs.Client, Token" else token
        note = "" if name == "raw httpx.Client" else f"{_ratio(micros, base)} of {base_name}"
        lines.append(f"| {name} | {micros:.0f} | {note} |")
    lines += ["", "Targets: fgs.Client <= 1.10x raw httpx; signed <= 1.15x token.", ""]
    lines += ["| signing one request, in process | µs |", "|---|---:|"]
    lines += [f"| {row['client']} | {row['us']:.1f} |" for row in signing]
    cost = {row["client"]: row["ms"] for row in imports}
    lines += ["", "| import, fresh interpreter | ms |", "|---|---:|"]
    lines += [f"| `{statement}` | {ms:.0f} |" for statement, ms in cost.items()]
    lines.append(f"| ratio (target <= 1.1x) | {_ratio(cost['import fgs'], cost['import httpx, attrs'])} |")
    return "\n".join(lines)


def main() -> None:
    with mock() as base_url:
        flight = in_flight(base_url)
        top = ceiling(base_url)
        calls = per_call(base_url)
    print(report(flight, top, calls, signing_in_process(), import_cost()))


if __name__ == "__main__":
    main()

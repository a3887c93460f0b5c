"""The benches' one way to start a server and one wrk runner, and the server's CPU time per request.

Every server runs in a child process of its own session (a server in the bench's process would share
the GIL with the clients being timed). CPU time is read from /proc for the server and its descendants
(the workers of `--workers`), so CPU-µs per request stays a fair measure on a loaded machine, where
requests per second move with everyone else's load.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN

ROOT = Path(__file__).resolve().parents[1]
PRISM = ROOT / "scripts" / "npm" / "node_modules" / ".bin" / "prism"
PATH = f"/v2/{DEFAULT_PROJECT_ID}/fgs/functions/{quote(DEFAULT_FUNCTION_URN, safe='')}/invocations-async"
PAYLOAD = {"body": {"k": "v"}}
# Children inherit neither: PYTHONDONTWRITEBYTECODE would make import timings include compiling every
# module, and an FGS_ENDPOINT would turn the timed `make contract` into a live run.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE" and not k.startswith("FGS_")}
TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mock_command(port: int, *flags: str) -> list[str]:
    return [sys.executable, "-m", "fgs_mock", "--port", str(port), *flags]


def prism_command(port: int) -> list[str]:
    return [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "silent", "spec/openapi.yaml"]


def ceiling_command(port: int) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "bench_ceiling.py"), str(port)]


@contextmanager
def serve(command: list[str], port: int, *, seconds: float = 60) -> Iterator[Server]:
    """Run `command` (which listens on `port`) until the block ends; yields it once it accepts connections."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=CHILD_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + seconds
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{command[0]} did not start") from None
                time.sleep(0.1)
        yield Server(f"http://127.0.0.1:{port}", process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


@contextmanager
def mock_with(flags: list[str]) -> Iterator[str]:
    """A mock in a child process with these flags; its base URL."""
    port = free_port()
    with serve(mock_command(port, *flags), port) as server:
        yield server.base_url


# --- CPU time ---------------------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the name may hold spaces and parentheses


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of `pid` and of its living descendants, every thread included."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        fields = _stat(current)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])  # utime, stime
        todo += children.get(current, [])
    return total / TICK


# --- wrk --------------------------------------------------------------------------------------------


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    completed: int
    non_2xx: int
    seconds: float = 0.0  # how long wrk ran
    cpu_us: float = 0.0  # the server's CPU time per answered request
    per_worker: tuple[int, ...] = ()  # the connections each worker held halfway through, when asked for


def post_script(body: str = json.dumps(PAYLOAD), token: str = DEFAULT_TOKEN, stop_after: int | None = None) -> str:
    """A wrk script that posts `body`; with `stop_after`, its (single) thread stops after that many answers."""
    script = (
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'wrk.headers["X-Auth-Token"] = "{token}"\n'
    )
    if stop_after is not None:
        script += (
            "local answered = 0\n"
            "response = function(status, headers, body)\n"
            "  answered = answered + 1\n"
            f"  if answered >= {stop_after} then wrk.thread:stop() end\n"
            "end\n"
        )
    return script


def wrk_command(url: str, connections: int, seconds: float, script: Path) -> list[str]:
    return ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "-s", str(script), url]


def wrk(
    base_url: str,
    connections: int,
    seconds: float,
    script: Path,
    *,
    pid: int | None = None,
    per_worker: bool = False,
    path: str = PATH,
    until: Callable[[], bool] | None = None,
) -> Load:
    """`connections` posting to `path` as `script` says for `seconds`, or until `until()` holds (asked every
    0.2 s). With the server's `pid`, also its CPU time per answered request, and with `per_worker`, how many
    connections each of its workers held halfway through (the kernel, not the server, decides which worker
    accepts a connection)."""
    before = 0.0 if pid is None else cpu_seconds(pid)
    wrk_run = subprocess.Popen(
        wrk_command(base_url + path, connections, seconds, script),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    split: tuple[int, ...] = ()
    try:
        if until is not None:
            while not until():
                if wrk_run.poll() is not None:
                    raise RuntimeError(f"wrk ended (status {wrk_run.returncode}) before the run was done")
                time.sleep(0.2)
            # wrk's main thread sleeps out its duration even once a script stopped its thread: SIGINT ends
            # the sleep, and wrk reports what it measured.
            wrk_run.send_signal(signal.SIGINT)
        elif per_worker and pid is not None:
            try:
                wrk_run.wait(timeout=seconds / 2)  # back early only if wrk failed
            except subprocess.TimeoutExpired:
                split = tuple(connections_per_process(urlsplit(base_url).port or 0, children(pid)))
        out, err = wrk_run.communicate(timeout=seconds + 30)
    finally:
        if wrk_run.poll() is None:
            wrk_run.kill()
            wrk_run.wait()
    if wrk_run.returncode:
        raise subprocess.CalledProcessError(wrk_run.returncode, wrk_run.args, out, err)
    spent = 0.0 if pid is None else cpu_seconds(pid) - before
    try:
        load = parse_wrk(out)
    except (AttributeError, ValueError) as exc:
        raise RuntimeError(f"wrk output not understood ({exc}):\n{out}") from None
    load.cpu_us = spent * 1e6 / max(1, load.completed - load.non_2xx)
    load.per_worker = split
    return load


def ms(text: str) -> float:
    """wrk's latency figure in ms (wrk scales its unit up to minutes and hours)."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if found is None:
        raise ValueError(f"not a wrk latency: {text!r}")
    value, unit = found.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}[unit]


def parse_wrk(out: str) -> Load:
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    completed = re.search(r"(\d+) requests in ([\d.]+)(ms|s|m)\b", out)
    return Load(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        # Anchored: "+/- Stdev" figures such as "90.50%" end in the same digits.
        p50_ms=ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        p99_ms=ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1)),  # type: ignore[union-attr]
        completed=int(completed.group(1)),  # type: ignore[union-attr]
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        seconds=float(completed.group(2)) * {"ms": 0.001, "s": 1.0, "m": 60.0}[completed.group(3)],  # type: ignore[union-attr]
    )


# --- which worker holds which connection ---------------------------------------------------------------


def children(pid: int) -> list[int]:
    """The direct children of `pid` (a mock's workers), from /proc; none when /proc cannot say."""
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def established(tables: Iterable[str], port: int) -> set[str]:
    """The socket inodes of the established TCP connections whose local port is `port`, read from the text
    of /proc/net/tcp and /proc/net/tcp6 (a listening socket is not one of them)."""
    inodes: set[str] = set()
    for table in tables:
        for line in table.splitlines()[1:]:
            fields = line.split()  # sl, local address, remote address, state, ..., inode (the tenth)
            if len(fields) > 9 and fields[3] == "01" and int(fields[1].rpartition(":")[2], 16) == port:
                inodes.add(fields[9])
    return inodes


def _sockets(pid: int) -> set[str]:
    """The inodes of the sockets `pid` holds open."""
    inodes: set[str] = set()
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return inodes
    for fd in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def connections_per_process(port: int, pids: list[int]) -> list[int]:
    """How many of the established connections to `port` each of `pids` has accepted."""
    tables = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            tables.append(Path(name).read_text())
        except OSError:
            continue
    connected = established(tables, port)
    return [len(_sockets(pid) & connected) for pid in pids]

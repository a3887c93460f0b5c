"""Starting a server in another process for a test, and waiting for it."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """A loopback port that nothing listens on now (another process may take it before it is used)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_state(pid: int) -> str | None:
    """The one-letter state of `pid` ("R", "S", "T", "Z", ...), or None once it has been reaped."""
    try:  # the process may go between any two reads, so one read that may fail
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def is_alive(pid: int) -> bool:
    """Whether `pid` still runs: neither reaped nor a zombie."""
    return process_state(pid) not in (None, "Z")


def children_of(pid: int) -> set[int]:
    """The PIDs of the direct children of `pid`'s main thread."""
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes] | subprocess.Popen[str], name: str) -> None:
    """Return once `base_url` answers; fail if the process ends first or 20 s pass."""
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{base_url}/_mock/invocations", timeout=1)
            return
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not come up") from None
            time.sleep(0.1)


@contextmanager
def fgs_mock_on_free_port(command: Path, env: Mapping[str, str], cwd: Path | None = None) -> Iterator[str]:
    """The `fgs-mock` at `command`, on a free loopback port, until the block ends; yields its base URL."""
    port = free_port()
    process = subprocess.Popen(
        [str(command), "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, "fgs-mock")
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)

"""Waiting for a server this test started in another process."""

from __future__ import annotations

import subprocess
import time

import httpx


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

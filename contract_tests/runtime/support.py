"""Shared by the runtime tests: the handler folder, and reading a run over HTTP."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import httpx

from fgs_mock.testing import MockEndpoint

HANDLERS = str(Path(__file__).resolve().parent / "handlers")


def invoke(mock: MockEndpoint, urn: str, event: dict[str, Any] | None = None) -> str:
    """Invoke through the contract's route with the safe client; the request_id of the 202."""
    return mock.client().invoke_async(urn, {} if event is None else event)


def seen_over_http(mock: MockEndpoint, request_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{mock.endpoint}/_mock/invocations/{request_id}", timeout=10)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def code(mock: MockEndpoint, name: str, handler: str, **options: Any) -> str:
    """Register `name` with a handler of the test folder; its full URN."""
    return mock.register(name, path=HANDLERS, handler=handler, **options)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pid_written(pid_file: Path, timeout: float = 30) -> int:
    """The pid a handler wrote to `pid_file`, once it is there."""
    deadline = time.monotonic() + timeout
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, f"nothing was written to {pid_file}"
        time.sleep(0.02)
    return int(pid_file.read_text())

"""Shared by the runtime tests: the handler folder, and reading a run over HTTP."""

from __future__ import annotations

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

"""Stoplight Prism, as a validating proxy built from the spec, agrees with `fgs-mock` and with the spec's "" reading.

Prism (`prism proxy --errors`) checks each request against the spec before it forwards it (422 when
the request is invalid) and each answer after (500 with an `sl-violations` header when the answer is
invalid). A request the mock accepts must pass Prism, a request the mock refuses must be refused by Prism
too, and no answer of the mock may violate the spec. In front of an endpoint that writes "" for a value
that is not there yet, Prism enforces the same reading as the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import pytest

from contract_tests.conftest import ROOT, SPEC_PATH
from contract_tests.support.processes import fgs_mock_on_free_port, free_port
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, serve_in_thread
from fgs_mock.responses import Receive, Scope, Send

PRISM = ROOT / "scripts" / "npm" / "node_modules" / ".bin" / "prism"
BASE = f"/v2/{DEFAULT_PROJECT_ID}/fgs/functions/{quote(DEFAULT_FUNCTION_URN, safe='')}"
CONFIG = f"{BASE}/async-invoke-config"
LIST = f"{BASE}/async-invocations"

pytestmark = pytest.mark.skipif(not PRISM.is_file(), reason="Prism is not installed (make install runs npm ci)")


def _proxy(upstream: str) -> Iterator[str]:
    port = free_port()
    command = [str(PRISM), "proxy", "-h", "127.0.0.1", "-p", str(port), "--errors", str(SPEC_PATH), upstream]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # Prism takes seconds to start on a loaded machine
        while True:
            try:
                httpx.get(base_url, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("prism proxy did not come up") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def fgs_mock() -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")}
    with fgs_mock_on_free_port(Path(sys.executable).parent / "fgs-mock", env) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def prism(fgs_mock: str) -> Iterator[str]:
    yield from _proxy(fgs_mock)


def _send(base_url: str, method: str, path: str, params: dict[str, str], body: object) -> httpx.Response:
    content = None if body is None else json.dumps(body).encode()
    headers = {"X-Auth-Token": DEFAULT_TOKEN, **({"Content-Type": "application/json"} if content is not None else {})}
    return httpx.request(method, base_url + path, params=params, content=content, headers=headers, timeout=30)


NULL_EVERYWHERE = [
    {"max_async_retry_attempts": None},
    {"destination_config": None},
    {"destination_config": {"on_success": None}},
    {"destination_config": {"on_failure": None}},
    {"destination_config": {"on_failure": {"destination": None}}},
]
# (method, path, query, body, whether the contract accepts it)
EXCHANGES: list[tuple[str, str, dict[str, str], object, bool]] = [
    ("POST", f"{BASE}/invocations-async", {}, {"k": "v"}, True),
    ("GET", LIST, {}, None, True),
    ("GET", LIST, {"marker": "123", "limit": "500"}, None, True),
    ("GET", LIST, {"marker": ""}, None, True),
    ("GET", LIST, {"marker": "x"}, None, False),
    ("GET", LIST, {"marker": "-1"}, None, False),
    ("GET", LIST, {"limit": "501"}, None, False),
    ("GET", LIST, {"status": "DONE"}, None, False),
    ("GET", LIST, {"query_begin_time": "2026-12-01 10:00:00"}, None, False),
    ("PUT", CONFIG, {}, {"destination_config": {"on_failure": {}}}, True),
    ("PUT", CONFIG, {}, {"destination_config": {"on_success": {"destination": "OBS"}}}, True),
    ("PUT", CONFIG, {}, {"max_async_retry_attempts": 3, "max_async_event_age_in_seconds": 10}, True),
    *(("PUT", CONFIG, {}, body, False) for body in NULL_EVERYWHERE),
    ("PUT", CONFIG, {}, {"max_async_retry_attempts": 4}, False),
    ("GET", CONFIG, {}, None, True),
    ("DELETE", CONFIG, {}, None, True),
    ("POST", f"{BASE}/cancel", {}, {}, False),
    ("POST", f"{BASE}/cancel", {}, {"request_id": "r", "type": "gently"}, False),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "valid"),
    EXCHANGES,
    ids=[
        f"{m} {p.rsplit('/', 1)[-1]} {q or ''}{json.dumps(b) if b is not None else ''}" for m, p, q, b, _ in EXCHANGES
    ],
)
def test_prism_and_the_mock_agree(
    fgs_mock: str, prism: str, method: str, path: str, params: dict[str, str], body: object, valid: bool
) -> None:
    def send(base_url: str) -> httpx.Response:
        if path == CONFIG and method in ("GET", "DELETE"):  # a config to read or delete, each time
            assert _send(fgs_mock, "PUT", CONFIG, {}, {}).status_code == 200
        return _send(base_url, method, path, params, body)

    direct, proxied = send(fgs_mock), send(prism)
    assert "sl-violations" not in proxied.headers, proxied.headers["sl-violations"]
    if valid:
        assert direct.is_success, direct.text
        assert proxied.is_success, proxied.text
    else:
        assert direct.status_code == 400, direct.text
        assert proxied.status_code == 422, proxied.text  # refused by Prism before the mock saw it


RECORD = {"status": "SUCCESS", "error_code": 0, "error_message": "", "start_time": "2026-12-06T20:00:00"}
# What an endpoint writes for each request_id, and whether the spec allows it.
RECORDS: dict[str, tuple[dict[str, Any], bool]] = {
    "page-example": ({**RECORD, "end_time": "2026-12-06T20:00:01"}, True),
    "waiting": ({"status": "WAIT", "start_time": "", "end_time": "", "error_message": "", "error_code": None}, True),
    "running": ({"status": "RUNNING", "start_time": "2026-12-06 20:00:00", "end_time": ""}, True),
    "discarded": ({"status": "DISCARD", "start_time": "", "end_time": "2026-12-06T21:00:00", "error_code": -1}, True),
    "final-end-time-empty": ({**RECORD, "end_time": ""}, False),
    "failed-end-time-empty": ({**RECORD, "status": "FAIL", "error_code": 500, "end_time": ""}, False),
    "error-code-empty": ({**RECORD, "end_time": "2026-12-06T20:00:01", "error_code": ""}, False),
    "end-time-not-a-time": ({**RECORD, "end_time": "-"}, False),
}


async def _records(scope: Scope, receive: Receive, send: Send) -> None:
    """An endpoint that lists one run, written as RECORDS says for the request_id asked."""
    if scope["type"] != "http":
        return
    request_id = dict(parse_qsl(scope["query_string"].decode())).get("request_id", "")
    record = {"request_id": request_id, **RECORDS.get(request_id, ({}, False))[0]}
    body = json.dumps({"invocations": [record]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def prism_before_records() -> Iterator[str]:
    with serve_in_thread(_records) as upstream:
        yield from _proxy(upstream)


@pytest.mark.parametrize("request_id", list(RECORDS))
def test_prism_reads_the_empty_string_as_the_spec_does(prism_before_records: str, request_id: str) -> None:
    answer = _send(prism_before_records, "GET", LIST, {"request_id": request_id}, None)
    if RECORDS[request_id][1]:
        assert answer.status_code == 200, answer.headers.get("sl-violations")
    else:
        assert answer.status_code == 500
        assert "sl-violations" in answer.headers

"""The mock's page (docs/emulate.md) tells the truth: its curl examples work, and its bounds are the defaults."""

from __future__ import annotations

import re
import shlex

import httpx

from contract_tests.conftest import ROOT
from fgs_mock import DEFAULT_PROJECT_ID, Backend, Limits, create_app, serve_in_thread
from fgs_mock.store import DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_INVOCATIONS

SECTION = (ROOT / "docs" / "emulate.md").read_text()


def _curls() -> list[tuple[str, str, bytes | None]]:
    block = re.search(r"```sh\n(.*?)```", SECTION, re.DOTALL)
    assert block is not None
    calls = []
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        method = words[words.index("-X") + 1] if "-X" in words else "GET"
        body = words[words.index("-d") + 1].encode() if "-d" in words else None
        url = next(w for w in words[1:] if w.startswith("localhost:8080"))
        calls.append((method, url.removeprefix("localhost:8080"), body))
    return calls


def test_the_curl_examples_work_and_register_the_function_they_mean() -> None:
    backend = Backend.with_defaults()
    calls = _curls()
    assert len(calls) >= 6
    with serve_in_thread(create_app(backend)) as base_url, httpx.Client(base_url=base_url) as http:
        for method, path, body in calls:
            answer = http.request(method, path, content=body)
            assert 200 <= answer.status_code < 300, (method, path, answer.text)
    assert backend.resolve(DEFAULT_PROJECT_ID, f"{DEFAULT_PROJECT_ID}:pkg:other:v2").qualifier == "v2"


def test_the_bounds_table_states_the_defaults() -> None:
    limits = Limits()
    rows = {
        "calls retained": f"{DEFAULT_MAX_INVOCATIONS:,}",
        "bytes of bodies retained": f"{DEFAULT_MAX_BODY_BYTES // 2**20} MiB",
        "request head complete within": f"{limits.head_timeout:g} s",
        "body complete within": f"{limits.body_timeout:g} s",
        "request head size": f"{limits.max_header_bytes // 1024} KiB, {limits.max_headers} fields",
        "open connections": f"{limits.max_connections:,}",
    }
    for bound, default in rows.items():
        assert re.search(rf"^\| {bound} \| {re.escape(default)}\b", SECTION, re.MULTILINE), bound


def test_the_lifecycle_demo_runs_as_written() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", SECTION, re.DOTALL)
    demo = next(b for b in blocks if "async-invocations" in b).splitlines()
    variables = dict(re.findall(r"(\w+)='?([^;']+)'?", demo[0]))
    backend = Backend.with_defaults(speed=50)
    request_id = ""
    with serve_in_thread(create_app(backend)) as base_url, httpx.Client(base_url=base_url) as http:
        for line in demo[1:]:
            for name, value in variables.items():
                line = line.replace(f"${name}", value)
            words = shlex.split(line.replace('"..."', f'"{request_id}"'), comments=True)
            headers = dict(words[i + 1].split(": ", 1) for i, w in enumerate(words) if w == "-H")
            body = words[words.index("-d") + 1].encode() if "-d" in words else None
            url = next(w for w in words[1:] if w.startswith("localhost:8080")).removeprefix("localhost:8080")
            answer = http.request("POST" if body else "GET", url, content=body, headers=headers)
            assert 200 <= answer.status_code < 300, (url, answer.text)
            request_id = request_id or answer.json()["request_id"]
    run = backend.invocations.run(request_id)
    assert run is not None
    assert run.status in ("SUCCESS", "FAIL")  # it ran, or the demo's cancel ended it

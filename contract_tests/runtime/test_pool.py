"""The instance pool: idle instances reaped, the total capped, aged events discarded, the cap across workers."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

import fgs
from contract_tests.runtime.support import HANDLERS, code, invoke
from contract_tests.support.processes import wait_until_serving
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from fgs_mock.runtime import FunctionCode, Pool
from fgs_mock.testing import MockEndpoint

ECHO = FunctionCode(handler="index.echo", path=HANDLERS)
P = DEFAULT_PROJECT_ID


def test_idle_instances_are_reaped() -> None:
    pool = Pool(idle_timeout=0.05)
    try:
        assert pool.run(f"{P}:default:a:latest", ECHO, "r1", b"{}").kind == "success"
        assert pool.instances() == 1
        deadline = time.monotonic() + 10
        while pool.instances():
            assert time.monotonic() < deadline
            time.sleep(0.02)
            pool.reap()
    finally:
        pool.close()


def test_the_total_of_instances_is_capped() -> None:
    pool = Pool(max_instances=2)
    try:
        assert pool.room(f"{P}:default:a:latest", 5) == 2
        for name in ("a", "b", "c"):
            assert pool.run(f"{P}:default:{name}:latest", ECHO, name, b"{}").kind == "success"
            assert pool.instances() <= 2  # an idle instance of another function made room
        assert pool.instances(f"{P}:default:c:latest") == 1
        assert pool.started == 3
    finally:
        pool.close()


def test_a_changed_registration_gets_fresh_instances() -> None:
    pool = Pool()
    try:
        function = f"{P}:default:a:latest"
        assert pool.run(function, ECHO, "r1", b"{}").result == '{"event": {}, "runs": 1}'
        other = FunctionCode(handler="index.echo", path=HANDLERS, memory=256)
        assert pool.run(function, other, "r2", b"{}").result == '{"event": {}, "runs": 1}'
        assert pool.instances() == 1
    finally:
        pool.close()


def test_an_event_older_than_the_configured_age_is_discarded(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "one-at-a-time", "index.sleep", timeout=30)
    with fgs_mock.client() as client:
        client.put_async_config(urn, fgs.AsyncConfig(max_event_age_seconds=1, max_retry_attempts=0))
    busy = invoke(fgs_mock, urn, {"seconds": 3})
    waiting = invoke(fgs_mock, urn, {"seconds": 0})
    assert fgs_mock.wait(waiting).run_status == "DISCARD"
    assert fgs_mock.wait(busy).run_status == "SUCCESS"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_with_workers_the_concurrency_holds_across_them(tmp_path: Path) -> None:
    port, urn = _free_port(), DEFAULT_FUNCTION_URN.replace(":hello:", ":single:")
    command = [
        *(sys.executable, "-m", "fgs_mock", "--port", str(port), "--workers", "2", "--store", str(tmp_path / "m.db")),
        *("--function", f"{urn}=path={HANDLERS},handler=index.sleep,concurrency=1,timeout=30"),
    ]
    mock = subprocess.Popen(command, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, mock, "fgs-mock")
        with fgs.Client(base, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
            ids = [client.invoke_async(urn, {"seconds": 0.3}) for _ in range(4)]
        most = 0
        deadline = time.monotonic() + 60
        while True:
            statuses = httpx.get(f"{base}/_mock/invocations", timeout=10).json()["statuses"]
            most = max(most, statuses.get("RUNNING", 0))
            if statuses.get("SUCCESS", 0) == len(ids):
                break
            assert time.monotonic() < deadline, statuses
            time.sleep(0.01)
        assert most == 1
    finally:
        mock.terminate()
        mock.wait(timeout=30)

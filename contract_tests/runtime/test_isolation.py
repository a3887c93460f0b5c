"""User code cannot stall the mock's HTTP side, nor be registered over HTTP; Ctrl-C stays the mock's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

import fgs
from contract_tests.runtime.support import HANDLERS, code, free_port, invoke, pid_written
from contract_tests.support.processes import is_alive, wait_until_serving
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from fgs_mock.testing import MockEndpoint


def test_200_calls_are_answered_within_50_ms_while_handlers_hang_and_spin(fgs_mock: MockEndpoint) -> None:
    hangs = code(fgs_mock, "hangs", "index.sleep", timeout=120)
    spins = code(fgs_mock, "spins", "index.spin", timeout=120, concurrency=2)
    busy = [invoke(fgs_mock, hangs), invoke(fgs_mock, spins), invoke(fgs_mock, spins)]
    deadline = time.monotonic() + 30
    while fgs_mock.backend.engine.runtime.instances() < 3:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    latencies = []
    with fgs_mock.client() as client:
        client.invoke_async(fgs_mock.function_urn, {})  # the connection is open before timing
        for n in range(200):
            started = time.perf_counter()
            client.invoke_async(fgs_mock.function_urn, {"n": n})
            latencies.append(time.perf_counter() - started)
    assert sorted(latencies)[197] < 0.050  # p99 of 200
    # The handlers were running all along, and still are.
    assert [fgs_mock.backend.invocations.run(i).status for i in busy] == ["RUNNING"] * 3  # type: ignore[union-attr]


def test_code_cannot_be_registered_through_the_control_routes(fgs_mock: MockEndpoint) -> None:
    routes = f"{fgs_mock.endpoint}/_mock/functions"
    attempts = [
        {"urn": "remote", "path": HANDLERS, "handler": "index.echo"},
        {"urn": "remote", "behaviour": f"path={HANDLERS},handler=index.echo"},
        {"urn": "remote", "behaviour": "succeed", "handler": "index.echo"},
    ]
    for body in attempts:
        answer = httpx.post(routes, json=body, timeout=10)
        assert answer.status_code == 400, body
    assert not any("remote" in f for f in fgs_mock.backend.functions())
    assert not any('"code": {' in doc for doc in fgs_mock.backend.invocations.functions().values())


def test_the_command_line_registers_code_and_ctrl_c_stops_its_instances_quietly(tmp_path: Path) -> None:
    port = free_port()
    pid_file = tmp_path / "pid"
    urn = DEFAULT_FUNCTION_URN.replace(":hello:", ":waiter:")
    command = [
        sys.executable,
        "-m",
        "fgs_mock",
        "--port",
        str(port),
        "--function",
        f"{urn}=path={HANDLERS},handler=index.pid_then_sleep,timeout=60",
        "--user-data",
        f"{urn}:PID_FILE={pid_file}",
    ]
    # Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to the whole group.
    mock = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, mock, "fgs-mock")
        with fgs.Client(base, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
            request_id = client.invoke_async(urn, {})
        instance = pid_written(pid_file)
        seen = httpx.get(f"{base}/_mock/invocations/{request_id}", timeout=10).json()
        assert (seen["run_status"], seen["function_urn"]) == ("RUNNING", urn)
        assert os.getsid(instance) == instance != os.getsid(mock.pid)  # a session of its own: Ctrl-C misses it
        assert os.getpriority(os.PRIO_PROCESS, instance) >= 10  # niced below the mock
        os.killpg(mock.pid, signal.SIGINT)
        _, stderr = mock.communicate(timeout=30)
    finally:
        if mock.poll() is None:
            mock.kill()
            mock.wait()
    # The mock's own shutdown is its business; nothing of the instance reaches the terminal.
    assert "pid_then_sleep" not in stderr
    assert "runtime/worker.py" not in stderr
    deadline = time.monotonic() + 10
    while is_alive(instance):
        assert time.monotonic() < deadline, "the instance outlived the mock"
        time.sleep(0.02)


def test_a_runtime_user_data_key_is_refused_with_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fgs_mock", "--port", "0", "--user-data", "hello:RUNTIME_MEMORY=1"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--user-data: RUNTIME_* keys are the runtime's own" in done.stderr


def test_the_functions_route_shows_user_data_keys_but_not_values(fgs_mock: MockEndpoint) -> None:
    code(fgs_mock, "private", "index.echo", user_data={"DB_PASSWORD": "pw-runtime-secret"})
    answer = httpx.get(f"{fgs_mock.endpoint}/_mock/functions", timeout=10)
    assert "pw-runtime-secret" not in answer.text
    shown = answer.json()["behaviours"][f"{fgs_mock.project_id}:default:private:latest"]["code"]
    assert (shown["handler"], shown["user_data"]) == ("index.echo", {"DB_PASSWORD": "***"})
    _, registered = fgs_mock.backend.code("private", fgs_mock.project_id)
    assert "pw-runtime-secret" not in repr(registered)

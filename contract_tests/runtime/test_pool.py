"""The instance pool: idle instances reaped, the total capped, aged events discarded, the cap across workers."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

import fgs
from contract_tests.runtime.support import HANDLERS, code, free_port, invoke, pid_written
from contract_tests.support.processes import is_alive, wait_until_serving
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, SqliteStore
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
    busy = invoke(fgs_mock, urn, {"seconds": 2})
    waiting = invoke(fgs_mock, urn, {"seconds": 0})
    assert fgs_mock.wait(waiting).run_status == "DISCARD"
    assert fgs_mock.wait(busy).run_status == "SUCCESS"


@contextmanager
def _on_two_workers(store: Path, *options: str) -> Iterator[str]:
    """`fgs-mock --workers 2` on a file store with these options; its base URL while it serves."""
    port = free_port()
    command = [sys.executable, "-m", "fgs_mock", "--port", str(port), "--workers", "2", "--store", str(store)]
    mock = subprocess.Popen([*command, *options], stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, mock, "fgs-mock")
        yield base
    finally:
        mock.terminate()
        mock.wait(timeout=30)


def test_with_workers_the_concurrency_holds_across_them(tmp_path: Path) -> None:
    urn = DEFAULT_FUNCTION_URN.replace(":hello:", ":single:")
    handler = f"{urn}=path={HANDLERS},handler=index.sleep,concurrency=1,timeout=30"
    with _on_two_workers(tmp_path / "m.db", "--function", handler) as base:
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


def test_with_workers_a_cancel_kills_the_instance_whichever_worker_it_reaches(tmp_path: Path) -> None:
    urn = DEFAULT_FUNCTION_URN.replace(":hello:", ":waiter:")
    pid_file = tmp_path / "pid"
    options = (
        *("--function", f"{urn}=path={HANDLERS},handler=index.pid_then_sleep,timeout=60"),
        *("--user-data", f"{urn}:PID_FILE={pid_file}"),
    )
    with _on_two_workers(tmp_path / "m.db", *options) as base:
        with fgs.Client(base, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
            request_id = client.invoke_async(urn, {})
            instance = pid_written(pid_file)
            # Each call reaches either worker: the one running the run kills its instance at once, the
            # other ends the run in the store, and the running worker notices within 0.25 s.
            for _ in range(4):
                client.cancel_invocation(urn, request_id)
            ended = client.wait(urn, request_id, timeout=10, poll=0.02)
        assert (ended.status, ended.error_code) == (fgs.InvocationStatus.FAIL, 4208)
        deadline = time.monotonic() + 10
        while is_alive(instance):
            assert time.monotonic() < deadline, "the instance still runs"
            time.sleep(0.02)


def test_a_cancel_through_another_engine_on_the_file_stops_the_instance(tmp_path: Path) -> None:
    running, other = (Backend.with_defaults(store=SqliteStore(path=tmp_path / "m.db")) for _ in range(2))
    ref = running.register_function(
        "sleepy", project_id=P, code=FunctionCode(handler="index.sleep", path=HANDLERS, timeout=60)
    )
    try:
        request_id = running.accept(ref, b"{}").request_id
        running.engine.step()
        deadline = time.monotonic() + 30
        while running.engine.runtime.instances() < 1 or request_id not in running.engine.runtime.running():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert other.engine.cancel(ref.short_urn, request_id)
        assert running.engine.runtime.instances() == 1  # the other engine has no instance to kill
        running.engine.stop_ended_elsewhere()
        while running.engine.runtime.instances():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        run = running.invocations.run(request_id)
        assert run is not None
        assert (run.status, run.error_code) == ("FAIL", 4208)
    finally:
        running.engine.stop()


def test_a_running_engine_stops_an_instance_whose_run_ended_elsewhere_by_itself(tmp_path: Path) -> None:
    running, other = (Backend.with_defaults(store=SqliteStore(path=tmp_path / "m.db")) for _ in range(2))
    ref = running.register_function(
        "sleepy", project_id=P, code=FunctionCode(handler="index.sleep", path=HANDLERS, timeout=60)
    )
    with running.engine.running():
        request_id = running.accept(ref, b"{}").request_id
        deadline = time.monotonic() + 30
        while request_id not in running.engine.runtime.running():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert other.engine.cancel(ref.short_urn, request_id)
        while running.engine.runtime.instances():  # no one calls the engine: its loop looks by itself
            assert time.monotonic() < deadline, "the instance of a run canceled elsewhere still runs"
            time.sleep(0.01)


def test_a_running_engine_reaps_idle_instances_by_itself(fgs_mock: MockEndpoint) -> None:
    runtime = fgs_mock.backend.engine.runtime
    runtime.idle_timeout = 0.05
    urn = code(fgs_mock, "echo", "index.echo")
    assert fgs_mock.wait(invoke(fgs_mock, urn)).run_status == "SUCCESS"
    deadline = time.monotonic() + 20
    while runtime.instances():
        assert time.monotonic() < deadline, "an idle instance was not reaped"
        time.sleep(0.02)


def test_a_run_left_running_by_a_worker_that_died_runs_again_without_counting(tmp_path: Path) -> None:
    store = tmp_path / "m.db"
    survivor = Backend.with_defaults(store=SqliteStore(path=store))
    ref = survivor.register_function("echo", project_id=P, code=ECHO)
    request_id = survivor.accept(ref, b"{}").request_id
    # A worker claimed it, then died (SIGKILL, out of memory...): the run stays RUNNING in the file,
    # past the time by which any run of this code ends.
    dead = SqliteStore(path=store)
    past = time.time() - 1
    assert dead.claim_runs(ref.short_urn, 1, past - 100, past, most=1) == [(request_id, b"{}")]
    dead.close()
    with survivor.engine.running():
        deadline = time.monotonic() + 30
        while (run := survivor.invocations.run(request_id)) is None or run.status != "SUCCESS":
            assert time.monotonic() < deadline, f"the orphaned run stays {run}"
            time.sleep(0.02)
    assert run.attempts == 1  # the cut-short run is not an attempt

"""Real handler code in worker processes, through the HTTP API and the fixture: every way a run ends."""

from __future__ import annotations

import time

import fgs
from contract_tests.runtime.support import HANDLERS, code, invoke, seen_over_http
from contract_tests.support.processes import is_alive
from fgs_mock.testing import MockEndpoint


def test_a_result_is_kept_and_served_over_http_and_by_the_fixture(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "echo", "index.echo")
    request_id = invoke(fgs_mock, urn, {"order": 42})
    ended = fgs_mock.wait(request_id)
    assert (ended.run_status, ended.attempts, ended.result, ended.error) == (
        "SUCCESS",
        1,
        {"event": {"order": 42}, "runs": 1},
        None,
    )
    (call,) = fgs_mock.invocations
    assert (call.request_id, call.result, call.attempts, call.error) == (request_id, ended.result, 1, None)
    assert "printed" in call.logs
    over_http = seen_over_http(fgs_mock, request_id)
    assert over_http["request_id"] == request_id
    assert over_http["function_urn"] == urn
    assert (over_http["run_status"], over_http["attempts"]) == ("SUCCESS", 1)
    assert over_http["result"] == {"event": {"order": 42}, "runs": 1}
    assert over_http["error"] is None
    assert over_http["logs"] == ended.logs
    with fgs_mock.client() as client:  # the contract's own query sees the same end
        assert client.wait(urn, request_id, timeout=10, poll=0.02).status == fgs.InvocationStatus.SUCCESS


def test_stdout_stderr_and_logger_lines_are_kept_with_the_run(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "echo", "index.echo")
    request_id = invoke(fgs_mock, urn, {"n": 1})
    logs = fgs_mock.wait(request_id).logs
    assert "printed {'n': 1}\n" in logs
    assert "to stderr\n" in logs
    assert f" {request_id} INFO logged\n" in logs


def test_output_is_bounded_per_run(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "chatty", "index.chatty")
    ended = fgs_mock.wait(invoke(fgs_mock, urn))
    assert ended.run_status == "SUCCESS"
    assert ended.result == "done"
    assert 64 * 1024 <= len(ended.logs.encode()) <= 65 * 1024
    assert ended.logs.endswith("[output truncated]\n")


def test_an_exception_ends_the_run_fail_with_its_type_message_and_stack(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "fail", "index.fail")
    request_id = invoke(fgs_mock, urn, {"order": 7})
    ended = fgs_mock.wait(request_id)
    assert ended.run_status == "FAIL"
    assert ended.error is not None
    assert (ended.error["errorType"], ended.error["errorMessage"]) == ("ValueError", "bad order 7")
    assert any("index.py" in line and "in fail" in line for line in ended.error["stackTrace"])
    assert not any("worker.py" in line for line in ended.error["stackTrace"])
    with fgs_mock.client() as client:
        run = client.wait(urn, request_id, timeout=10, poll=0.02)
    assert (run.status, run.error_code, run.error_message) == (
        fgs.InvocationStatus.FAIL,
        500,
        "ValueError: bad order 7",
    )
    assert seen_over_http(fgs_mock, request_id)["error"] == ended.error


def test_a_value_that_is_not_json_ends_the_run_fail(fgs_mock: MockEndpoint) -> None:
    ended = fgs_mock.wait(invoke(fgs_mock, code(fgs_mock, "not-json", "index.not_json")))
    assert ended.run_status == "FAIL"
    assert ended.error is not None
    assert ended.error["errorType"] == "TypeError"
    assert "not JSON" in ended.error["errorMessage"]


def test_a_result_over_256_kb_is_recorded_as_null(fgs_mock: MockEndpoint) -> None:
    ended = fgs_mock.wait(invoke(fgs_mock, code(fgs_mock, "big", "index.big")))
    assert (ended.run_status, ended.result) == ("SUCCESS", None)
    assert "300002 bytes is over 262144" in ended.logs


def test_a_run_past_its_timeout_is_killed_and_fails_naming_the_timeout(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "sleepy", "index.sleep", timeout=0.3)
    started = time.monotonic()
    request_id = invoke(fgs_mock, urn)
    ended = fgs_mock.wait(request_id)
    assert time.monotonic() - started < 20  # the handler sleeps an hour
    with fgs_mock.client() as client:
        run = client.wait(urn, request_id, timeout=10, poll=0.02)
    assert (run.status, run.error_code) == (fgs.InvocationStatus.FAIL, 408)
    assert run.error_message == "the run timed out after 0.3 s"
    assert ended.error is not None
    assert ended.error["errorType"] == "TimeoutError"
    assert fgs_mock.backend.engine.runtime.instances() == 0  # killed, not kept warm


def test_a_crash_fails_the_run_and_the_instance_is_replaced(fgs_mock: MockEndpoint) -> None:
    exits = code(fgs_mock, "exits", "index.exits")
    killed = code(fgs_mock, "killed", "index.killed")
    first = fgs_mock.wait(invoke(fgs_mock, exits))
    second = fgs_mock.wait(invoke(fgs_mock, killed))
    with fgs_mock.client() as client:
        assert client.wait(exits, first.request_id or "", timeout=10, poll=0.02).error_code == 502
    assert (first.run_status, second.run_status) == ("FAIL", "FAIL")
    assert first.error is not None
    assert second.error is not None
    assert first.error["errorMessage"] == "the instance exited with status 3"
    assert second.error["errorMessage"] == "the instance was killed by SIGKILL"
    # The next run gets a fresh instance and succeeds.
    fgs_mock.register("exits", path=HANDLERS, handler="index.echo")
    assert fgs_mock.wait(invoke(fgs_mock, exits)).run_status == "SUCCESS"


def test_going_over_the_memory_limit_kills_the_instance(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "hog", "index.hog", memory=64, timeout=20)
    started = time.monotonic()
    ended = fgs_mock.wait(invoke(fgs_mock, urn))
    assert time.monotonic() - started < 15  # stopped by the limit, not the timeout
    assert ended.run_status == "FAIL"
    assert ended.error is not None
    assert ended.error["errorMessage"] == "the instance went over its memory of 64 MB"
    assert fgs_mock.backend.invocations.run(ended.request_id or "").error_code == 507  # type: ignore[union-attr]


def test_a_memory_error_counts_as_out_of_memory(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "memory-error", "index.memory_error")
    request_id = invoke(fgs_mock, urn)
    ended = fgs_mock.wait(request_id)
    assert ended.error is not None
    assert ended.error["errorType"] == "MemoryError"
    with fgs_mock.client() as client:
        assert client.wait(urn, request_id, timeout=10, poll=0.02).error_code == 507


def test_module_state_is_kept_across_runs_of_a_warm_instance(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "echo", "index.echo")
    results = [fgs_mock.wait(invoke(fgs_mock, urn)).result for _ in range(3)]
    assert [r["runs"] for r in results] == [1, 2, 3]
    assert fgs_mock.backend.engine.runtime.started == 1


def test_reset_stops_every_instance_so_no_state_leaks(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "echo", "index.echo")
    assert fgs_mock.wait(invoke(fgs_mock, urn)).result["runs"] == 1
    old = fgs_mock.backend.engine.runtime
    assert old.instances() == 1
    fgs_mock.reset()
    assert old.instances() == 0
    urn = code(fgs_mock, "echo", "index.echo")
    assert fgs_mock.wait(invoke(fgs_mock, urn)).result["runs"] == 1


def test_a_handler_in_a_subfolder_imports_its_siblings(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "deep", "sub/dir/deep.handler")
    assert fgs_mock.wait(invoke(fgs_mock, urn)).result == "sub/dir"


def test_runs_beyond_concurrency_wait(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "sleepy", "index.sleep", concurrency=2, timeout=30)
    ids = [invoke(fgs_mock, urn) for _ in range(3)]
    deadline = time.monotonic() + 20
    while fgs_mock.backend.invocations.status_counts().get("RUNNING", 0) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)  # would a third start? it must not
    statuses = sorted(fgs_mock.backend.invocations.run(i).status for i in ids)  # type: ignore[union-attr]
    assert statuses == ["RUNNING", "RUNNING", "WAIT"]
    assert fgs_mock.backend.engine.runtime.instances() == 2


def test_a_large_event_reaches_the_handler_whole(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "measures", "index.measures")
    event = {"blob": "z" * 3_000_000}
    assert fgs_mock.run(urn, event) == 3_000_000
    assert fgs_mock.wait(invoke(fgs_mock, urn, event)).result == 3_000_000


def test_what_a_run_printed_before_a_timeout_or_crash_is_kept(fgs_mock: MockEndpoint) -> None:
    hangs = code(fgs_mock, "hangs", "index.prints_then_sleeps", timeout=0.3)
    exits = code(fgs_mock, "exits", "index.prints_then_exits")
    timed_out, crashed = (fgs_mock.wait(invoke(fgs_mock, urn)) for urn in (hangs, exits))
    assert (timed_out.run_status, timed_out.logs) == ("FAIL", "before the hang\n")
    assert (crashed.run_status, crashed.logs) == ("FAIL", "last words\n")


def test_the_memory_of_processes_a_handler_starts_counts_and_they_die_with_it(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "child-hog", "index.child_hog", memory=64, timeout=30)
    started = time.monotonic()
    ended = fgs_mock.wait(invoke(fgs_mock, urn))
    assert time.monotonic() - started < 25  # the limit, not the timeout
    assert ended.error is not None
    assert ended.error["errorMessage"] == "the instance went over its memory of 64 MB"
    child = int(ended.logs.split()[0])
    deadline = time.monotonic() + 10
    while is_alive(child):
        assert time.monotonic() < deadline, "the handler's child outlived the instance"
        time.sleep(0.02)

"""Initializers, retries per the async config, destination records and cancel, with real handler code."""

from __future__ import annotations

import json
import time
from pathlib import Path

import fgs
from contract_tests.runtime.support import code, invoke, seen_over_http
from fgs_mock.testing import MockEndpoint


def _config(mock: MockEndpoint, urn: str, **options: object) -> None:
    with mock.client() as client:
        client.put_async_config(urn, fgs.AsyncConfig(**options))  # type: ignore[arg-type]


def test_the_initializer_runs_once_per_instance_before_its_first_run(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "initialized", "init/index.handler", initializer="init/index.init")
    results = [fgs_mock.wait(invoke(fgs_mock, urn)).result for _ in range(2)]
    assert results == [{"ready": "initialized for initialized", "inits": 1}] * 2


def test_a_failing_initializer_is_tried_on_3_instances_then_the_run_fails(
    fgs_mock: MockEndpoint, tmp_path: Path
) -> None:
    urn = code(
        fgs_mock,
        "uninitialized",
        "init/index.handler",
        initializer="init/index.broken_init",
        user_data={"TRIES_DIR": str(tmp_path)},
    )
    request_id = invoke(fgs_mock, urn)
    ended = fgs_mock.wait(request_id)
    assert (tmp_path / "tries").read_text() == "xxx"
    assert fgs_mock.backend.engine.runtime.started == 3
    assert ended.run_status == "FAIL"
    assert ended.error is not None
    assert ended.error["errorType"] == "RuntimeError"
    with fgs_mock.client() as client:
        run = client.wait(urn, request_id, timeout=10, poll=0.02)
    assert run.error_code == 503
    assert run.error_message == "the initializer failed 3 times: no database"


def test_an_initializer_past_its_timeout_fails_the_run(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "slow-init", "init/index.handler", initializer="init/index.slow_init", initializer_timeout=0.2)
    ended = fgs_mock.wait(invoke(fgs_mock, urn))
    assert ended.run_status == "FAIL"
    assert ended.error is not None
    assert "the initializer timed out after 0.2 s" in ended.error["errorMessage"]


def test_without_an_async_config_a_function_error_is_not_retried(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "fail", "index.fail")
    ended = fgs_mock.wait(invoke(fgs_mock, urn))
    assert (ended.run_status, ended.attempts) == ("FAIL", 1)


def test_failures_are_retried_as_the_async_config_says(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "fail", "index.fail")
    _config(fgs_mock, urn, max_retry_attempts=2)
    ended = fgs_mock.wait(invoke(fgs_mock, urn, {"order": 1}))
    assert (ended.run_status, ended.attempts) == ("FAIL", 3)
    assert seen_over_http(fgs_mock, ended.request_id or "")["attempts"] == 3


def test_timeouts_crashes_and_running_out_of_memory_count_as_attempts_too(fgs_mock: MockEndpoint) -> None:
    sleepy = code(fgs_mock, "sleepy", "index.sleep", timeout=0.2)
    exits = code(fgs_mock, "exits", "index.exits")
    oom = code(fgs_mock, "oom", "index.memory_error")
    for urn in (sleepy, exits, oom):
        _config(fgs_mock, urn, max_retry_attempts=1)
    assert [fgs_mock.wait(invoke(fgs_mock, urn)).attempts for urn in (sleepy, exits, oom)] == [2, 2, 2]


def test_a_retried_run_can_succeed_and_keeps_its_attempt_count(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "flaky", "index.flaky")
    _config(fgs_mock, urn, max_retry_attempts=1)
    ended = fgs_mock.wait(invoke(fgs_mock, urn))
    assert (ended.run_status, ended.attempts, ended.result) == ("SUCCESS", 2, {"runs": 2})
    assert "first run fails" not in ended.logs  # an exception is not printed: it is the run's error


def test_destinations_get_a_record_and_a_function_graph_one_runs_with_it(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "fail", "index.fail")
    sink = code(fgs_mock, "sink", "index.returns_event")
    on_failure = fgs.Destination(fgs.DestinationKind.FUNCTIONGRAPH, {"func_urn": sink})
    _config(fgs_mock, urn, max_retry_attempts=1, on_failure=on_failure)
    request_id = invoke(fgs_mock, urn, {"order": 9})
    fgs_mock.wait(request_id)
    deadline = time.monotonic() + 20
    while not fgs_mock.notifications:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    (sent,) = fgs_mock.notifications
    assert sent.delivered_as is not None
    record = fgs_mock.wait(sent.delivered_as).result
    assert record == json.loads(sent.record or "")
    assert record["request_id"] == request_id
    assert record["function_urn"] == urn
    assert (record["status"], record["attempts"]) == ("FAIL", 2)
    assert record["request_payload"] == {"order": 9}
    assert record["response_payload"] is None
    assert (record["error"]["errorType"], record["error"]["errorMessage"]) == ("ValueError", "bad order 9")
    assert (record["error_code"], record["error_message"]) == (500, "ValueError: bad order 9")


def test_an_on_success_destination_gets_the_response_payload(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "echo", "index.echo")
    on_success = fgs.Destination(fgs.DestinationKind.OBS, {"bucket": "b", "prefix": "p"})
    _config(fgs_mock, urn, max_retry_attempts=0, on_success=on_success)
    request_id = invoke(fgs_mock, urn, {"k": "v"})
    fgs_mock.wait(request_id)
    deadline = time.monotonic() + 20
    while not fgs_mock.notifications:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    record = json.loads(fgs_mock.notifications[0].record or "")
    assert (record["status"], record["attempts"], record["error"]) == ("SUCCESS", 1, None)
    assert record["response_payload"] == {"event": {"k": "v"}, "runs": 1}


def test_cancel_kills_a_running_handler_and_its_functions_other_runs(fgs_mock: MockEndpoint) -> None:
    urn = code(fgs_mock, "sleepy", "index.sleep", concurrency=2, timeout=60)
    client = fgs_mock.client()
    ids = [client.invoke_async(urn, {}) for _ in range(2)]
    deadline = time.monotonic() + 20
    while fgs_mock.backend.engine.runtime.instances() < 2 or any(
        fgs_mock.backend.invocations.run(i).status != "RUNNING"  # type: ignore[union-attr]
        for i in ids
    ):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    started = time.monotonic()
    client.cancel_invocation(urn, ids[0])
    for request_id in ids:
        run = client.wait(urn, request_id, timeout=10, poll=0.02)
        assert (run.status, run.error_code) == (fgs.InvocationStatus.FAIL, 4208)
    while fgs_mock.backend.engine.runtime.instances() > 0:  # both instances are killed
        assert time.monotonic() - started < 10
        time.sleep(0.01)
    for request_id in ids:
        assert fgs_mock.wait(request_id).error == {
            "errorMessage": "function invocation canceled",
            "errorType": "Canceled",
            "stackTrace": [],
        }

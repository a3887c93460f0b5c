"""What the lifecycle and credentials work added to the mock, through the test double: function
behaviours, the engine behind `running()` and the fixture, key pairs, IAM users, notifications, and an
in-process AsyncClient."""

from __future__ import annotations

import asyncio
import time

import pytest

import fgs
from fgs_mock import Behaviour
from fgs_mock.behaviour import TIMEOUT_CODE
from fgs_mock.testing import MockEndpoint, running


def test_behaviour_constructors_are_the_emulators_type() -> None:
    assert Behaviour.succeed(after=0.3) == Behaviour("succeed", duration=0.3)
    assert Behaviour.fail(4001, after=0.1, concurrency=2) == Behaviour("fail", duration=0.1, code=4001, concurrency=2)
    assert Behaviour.times_out(after=0.1) == Behaviour("timeout", timeout=0.1)
    with pytest.raises(ValueError, match="duration"):
        Behaviour.succeed(after=-1)


def test_a_registered_failing_function_ends_fail_with_its_code(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("billing:charge", Behaviour.fail(code=4001, after=0.01))
    client = fgs_mock.client()
    request_id = client.invoke_async(urn, {"order_id": 1})
    ended = client.wait(urn, request_id, timeout=10, poll=0.02)
    assert (ended.status, ended.error_code) == (fgs.InvocationStatus.FAIL, 4001)
    (call,) = fgs_mock.invocations
    assert call.run_status == "FAIL"


def test_a_timing_out_function_fails_with_the_mocks_timeout_code(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("slow", Behaviour.times_out(after=0.01))
    client = fgs_mock.client()
    ended = client.wait(urn, client.invoke_async(urn, {}), timeout=10, poll=0.02)
    assert (ended.status, ended.error_code) == (fgs.InvocationStatus.FAIL, TIMEOUT_CODE)


def test_invocations_show_where_each_run_is(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("busy", Behaviour.succeed(after=30, concurrency=1))
    client = fgs_mock.client()
    _, second = (client.invoke_async(urn, {"n": n}) for n in (1, 2))
    deadline = time.monotonic() + 5
    while fgs_mock.invocations[0].run_status != "RUNNING" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [c.run_status for c in fgs_mock.invocations] == ["RUNNING", "WAIT"]
    client.cancel_invocation(urn, second)
    assert [c.run_status for c in fgs_mock.invocations] == ["RUNNING", "FAIL"]


def test_the_engine_of_a_reset_mock_runs_the_fresh_state(fgs_mock_server: MockEndpoint) -> None:
    fgs_mock_server.reset()
    old = fgs_mock_server.backend
    fgs_mock_server.reset()
    assert fgs_mock_server.backend is not old
    client = fgs_mock_server.client()
    urn = fgs_mock_server.function_urn
    assert client.wait(urn, client.invoke_async(urn, {}), timeout=10, poll=0.02).status == fgs.InvocationStatus.SUCCESS


def test_an_access_key_pair_signs_calls_of_the_tenant(fgs_mock: MockEndpoint) -> None:
    secret = "sk-fixture-secret"
    credentials = fgs_mock.add_access_key("AK-FIXTURE", secret)
    assert secret not in repr(credentials)
    assert fgs_mock.client(credentials=credentials).invoke_async(fgs_mock.function_urn, {})
    wrong = fgs.AccessKey("AK-FIXTURE", "not-the-secret")
    with pytest.raises(fgs.ApiError) as refused:
        fgs_mock.client(credentials=wrong, retry=None).invoke_async(fgs_mock.function_urn, {})
    assert refused.value.status == 401
    assert secret not in str(refused.value)


def test_an_iam_user_logs_in_for_a_token_of_the_tenant(fgs_mock: MockEndpoint) -> None:
    login = fgs_mock.add_iam_user("my-domain", "ci-user", "pw-fixture")
    assert "pw-fixture" not in repr(login)
    assert fgs_mock.client(credentials=login).invoke_async(fgs_mock.function_urn, {})
    assert login.refreshes == 1
    assert [c.status for c in fgs_mock.invocations] == [202]


def test_notifications_show_what_a_destination_was_sent(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("notifying", Behaviour.fail(code=4002, after=0.01))
    sink = fgs_mock.register("sink")
    client = fgs_mock.client()
    on_failure = fgs.Destination(fgs.DestinationKind.FUNCTIONGRAPH, {"func_urn": sink})
    client.put_async_config(urn, fgs.AsyncConfig(max_retry_attempts=0, on_failure=on_failure))
    request_id = client.invoke_async(urn, {})
    assert client.wait(urn, request_id, timeout=10, poll=0.02).status == fgs.InvocationStatus.FAIL
    (sent,) = fgs_mock.notifications
    assert (sent.request_id, sent.status, sent.destination) == (request_id, "FAIL", "FunctionGraph")
    assert [c.status for c in fgs_mock.invocations] == [202]  # a destination's call is not a client's


def test_an_in_process_mock_serves_an_async_client_with_no_socket() -> None:
    async def follow(mock: MockEndpoint) -> fgs.Invocation:
        urn = mock.register("broken", Behaviour.fail(code=4003, after=0.01))
        async with mock.async_client() as client:
            request_id = await client.invoke_async(urn, {"k": "v"})
            return await client.wait(urn, request_id, timeout=10, poll=0.02)

    with running(in_process=True) as mock:
        assert mock.endpoint == "http://fgs-mock.in-process"
        mock.fail(503, next=1)
        ended = asyncio.run(follow(mock))
        assert (ended.status, ended.error_code) == (fgs.InvocationStatus.FAIL, 4003)
        assert [(c.status, c.body) for c in mock.invocations] == [(503, {"k": "v"}), (202, {"k": "v"})]


def test_an_in_process_sync_client_follows_runs_too() -> None:
    with running(in_process=True) as mock:
        client = mock.client()
        urn = mock.function_urn
        assert (
            client.wait(urn, client.invoke_async(urn, {}), timeout=10, poll=0.02).status == fgs.InvocationStatus.SUCCESS
        )

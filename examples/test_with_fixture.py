"""Testing your own code that calls FunctionGraph, with the `fgs_mock` fixture (pip install 'fgs-async-contract[mock]').

Copy this file into your project and run `pytest`: the fixture comes with the package, nothing to import.
"""

from __future__ import annotations

import pytest

import fgs
from fgs_mock import Behaviour
from fgs_mock.testing import MockEndpoint


def send_order(client: fgs.Client, function_urn: str, order_id: int) -> str | None:
    """The code under test: queue one run per order; None when FunctionGraph is overloaded."""
    try:
        return client.invoke_async(function_urn, {"order_id": order_id})
    except fgs.RateLimitError:
        return None


def test_the_order_reaches_the_function(fgs_mock: MockEndpoint) -> None:
    request_id = send_order(fgs_mock.client(), fgs_mock.function_urn, 42)
    (call,) = fgs_mock.invocations
    assert (call.body, call.status, call.request_id) == ({"order_id": 42}, 202, request_id)


def test_a_429_is_retried_after_what_retry_after_asks(fgs_mock: MockEndpoint) -> None:
    fgs_mock.fail(429, next=1, retry_after=1)
    assert send_order(fgs_mock.client(), fgs_mock.function_urn, 7) is not None
    assert [call.status for call in fgs_mock.invocations] == [429, 202]


def test_overload_is_reported_not_raised(fgs_mock: MockEndpoint) -> None:
    fgs_mock.fail(429)  # every call
    assert send_order(fgs_mock.client(retry=None), fgs_mock.function_urn, 7) is None


def test_a_dropped_connection_is_not_sent_twice(fgs_mock: MockEndpoint) -> None:
    fgs_mock.drop(next=1)
    with pytest.raises(fgs.TransportError):
        send_order(fgs_mock.client(), fgs_mock.function_urn, 7)
    assert len(fgs_mock.invocations) == 1  # the call may have started a run: never resent


def test_a_slow_endpoint_times_out(fgs_mock: MockEndpoint) -> None:
    fgs_mock.delay(2)
    with pytest.raises(fgs.RequestTimeoutError):
        send_order(fgs_mock.client(timeout=0.2), fgs_mock.function_urn, 7)


def test_another_function(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("billing:charge")  # package:name; a full URN names a version or alias too
    assert send_order(fgs_mock.client(), urn, 1) is not None
    assert fgs_mock.invocations[0].function_urn == urn


def test_a_failing_function_ends_fail_with_its_code(fgs_mock: MockEndpoint) -> None:
    urn = fgs_mock.register("billing:refund", Behaviour.fail(code=4001, after=0.05))
    client = fgs_mock.client()
    request_id = send_order(client, urn, 3)
    assert request_id is not None
    run = client.wait(urn, request_id, poll=0.05)
    assert (run.status, run.error_code) == (fgs.InvocationStatus.FAIL, 4001)

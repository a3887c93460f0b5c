"""Each planned fault, met by the real fgs clients: over a loopback socket, and in process for Client.

The README's retry story: 429 with Retry-After and 503 are retried; 500, a dropped connection and a
timeout are not, since the call may have started a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

import httpx
import pytest

import fgs
from fgs_mock.testing import MockEndpoint, running


@pytest.fixture(scope="module", params=["socket", "in-process"])
def served(request: pytest.FixtureRequest) -> Iterator[MockEndpoint]:
    with running(in_process=request.param == "in-process") as mock:
        yield mock


@pytest.fixture
def mock(served: MockEndpoint) -> Iterator[MockEndpoint]:
    served.reset()
    yield served
    served.close_clients()


def statuses(mock: MockEndpoint) -> list[int | None]:
    return [call.status for call in mock.invocations]


def test_429_with_retry_after_is_retried_after_at_least_that_long(mock: MockEndpoint) -> None:
    slept: list[float] = []
    mock.fail(429, next=1, retry_after=3)
    request_id = mock.client(sleep=slept.append).invoke_async(mock.function_urn, {"k": "v"})
    assert statuses(mock) == [429, 202]
    assert mock.invocations[1].request_id == request_id
    assert mock.invocations[0].error_code == "FSS.0429"
    assert len(slept) == 1
    assert slept[0] >= 3


def test_503_is_retried(mock: MockEndpoint) -> None:
    mock.fail(503, next=2)
    mock.client(sleep=lambda _: None).invoke_async(mock.function_urn, {"n": 1})
    assert statuses(mock) == [503, 503, 202]
    assert [call.body for call in mock.invocations] == [{"n": 1}] * 3


def test_500_is_not_retried(mock: MockEndpoint) -> None:
    mock.fail(500, next=1)
    with pytest.raises(fgs.ServerError) as caught:
        mock.client(sleep=lambda _: None).invoke_async(mock.function_urn, {"n": 1})
    assert (caught.value.status, caught.value.attempts, caught.value.error_code) == (500, 1, "FSS.0500")
    assert statuses(mock) == [500]


def test_a_dropped_connection_is_not_retried(mock: MockEndpoint) -> None:
    mock.drop(next=1)
    client = mock.client(sleep=lambda _: None)
    with pytest.raises(fgs.TransportError) as caught:
        client.invoke_async(mock.function_urn, {"n": 1})
    assert caught.value.attempts == 1
    assert caught.value.status is None
    assert "RemoteProtocolError" in str(caught.value)
    assert client.invoke_async(mock.function_urn, {"n": 2})
    assert statuses(mock) == [None, 202]


def test_a_delay_within_the_timeout_is_waited_out(mock: MockEndpoint) -> None:
    mock.delay(0.3)
    started = time.monotonic()
    mock.client(timeout=5).invoke_async(mock.function_urn, {"n": 1})
    assert time.monotonic() - started >= 0.3
    assert statuses(mock) == [202]


@pytest.mark.parametrize("fault", ["delay", "stall"])
def test_a_delay_or_stall_past_the_timeout_is_a_request_timeout(mock: MockEndpoint, fault: str) -> None:
    if fault == "delay":
        mock.delay(5, next=1)
    else:
        mock.stall(next=1)
    started = time.monotonic()
    with pytest.raises(fgs.RequestTimeoutError) as caught:
        mock.client(timeout=0.3).invoke_async(mock.function_urn, {"n": 1})
    assert time.monotonic() - started < 2
    assert caught.value.attempts == 1
    assert statuses(mock) == [None]  # the client left; nothing was accepted
    assert len(mock.backend.invocations) == 0


def test_a_share_of_calls_fails(mock: MockEndpoint) -> None:
    mock.backend.faults.set(status=503, share=0.5, seed=3)
    client = mock.client(retry=None)
    for n in range(40):
        with contextlib.suppress(fgs.ServerError):
            client.invoke_async(mock.function_urn, {"n": n})
    assert 8 < statuses(mock).count(503) < 32
    mock.recover()
    client.invoke_async(mock.function_urn, {"n": 41})
    assert statuses(mock)[-1] == 202


def test_the_async_client_meets_the_same_faults() -> None:
    async def scenario(mock: MockEndpoint) -> None:
        slept: list[float] = []

        async def sleep(seconds: float) -> None:
            slept.append(seconds)

        async with mock.async_client(sleep=sleep, timeout=0.5) as client:
            mock.fail(429, next=1, retry_after=2)
            await client.invoke_async(mock.function_urn, {"n": 1})
            assert slept[0] >= 2
            mock.drop(next=1)
            with pytest.raises(fgs.TransportError):
                await client.invoke_async(mock.function_urn, {"n": 2})
            mock.stall(next=1)
            with pytest.raises(fgs.RequestTimeoutError):
                await client.invoke_async(mock.function_urn, {"n": 3})
        assert statuses(mock) == [429, 202, None, None]

    with running() as mock:
        asyncio.run(scenario(mock))


def test_the_control_route_plans_each_fault_and_refuses_nonsense() -> None:
    with running() as mock, httpx.Client(base_url=mock.endpoint) as http:
        plans = {
            '{"status": 429, "retry_after": 7, "next": 1}': {"status": 429, "next": 1, "share": 0.0, "retry_after": 7},
            '{"delay": 0.25, "share": 1}': {"status": None, "next": 0, "share": 1.0, "delay": 0.25},
            '{"drop": true, "next": 2}': {"status": None, "next": 2, "share": 0.0, "drop": True},
            '{"stall": true, "delay": 1}': {"status": None, "next": 0, "share": 0.0, "delay": 1.0, "stall": True},
            '{"next": 1}': {"status": 503, "next": 1, "share": 0.0},
        }
        for body, plan in plans.items():
            assert http.post("/_mock/faults", content=body).status_code == 204, body
            assert http.get("/_mock/faults").json() == plan
        refused = [
            '{"status": 500, "retry_after": 1}',  # Retry-After goes with 429 or 503
            '{"status": 503, "drop": true}',  # one effect at a time
            '{"drop": true, "stall": true}',
            '{"delay": -1}',
            '{"delay": 3601}',
            '{"drop": 1}',
            '{"status": 502}',
            '{"status": null}',
            '{"retry_after": 86401, "status": 429}',
            '{"latency": 1}',  # unknown keys
        ]
        for body in refused:
            answer = http.post("/_mock/faults", content=body)
            assert answer.status_code == 400, body
            assert answer.json()["error_code"] == "FSS.0400"
        http.post("/_mock/faults", content='{"status": 429, "retry_after": 7, "next": 1}')
        token = {"X-Auth-Token": mock.token, "Content-Type": "application/json"}
        path = f"/v2/{mock.project_id}/fgs/functions/{mock.function_urn}/invocations-async"
        answer = http.post(path, headers=token, content=b"{}")
        assert (answer.status_code, answer.headers["retry-after"]) == (429, "7")


def test_an_asgi_server_without_the_drop_extension_fails_loudly() -> None:
    from fgs_mock.inprocess import InProcessTransport
    from fgs_mock.responses import Receive, Scope, Send

    with running(in_process=True) as mock:
        mock.drop()
        app = mock.app

        async def no_extensions(scope: Scope, receive: Receive, send: Send) -> None:
            scope["extensions"] = {}
            await app(scope, receive, send)

        with (
            httpx.Client(transport=InProcessTransport(no_extensions), base_url=mock.endpoint) as http,
            pytest.raises(RuntimeError, match=r"fgs_mock\.drop"),
        ):
            http.post(
                f"/v2/{mock.project_id}/fgs/functions/{mock.function_urn}/invocations-async",
                headers={"X-Auth-Token": mock.token, "Content-Type": "application/json"},
                content=b"{}",
            )

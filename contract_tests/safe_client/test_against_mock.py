"""The safe client against the embedded mock over real HTTP, including its deliberate failures."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import threading
from collections.abc import Iterator

import pytest

import fgs
from contract_tests.safe_client.conftest import FAST_RETRY
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


@pytest.fixture
def backend(mock: tuple[str, Backend]) -> Iterator[Backend]:
    mock[1].faults.clear()
    yield mock[1]
    mock[1].faults.clear()


@pytest.fixture
def client(mock: tuple[str, Backend]) -> Iterator[fgs.Client]:
    with fgs.Client(mock[0], DEFAULT_PROJECT_ID, DEFAULT_TOKEN, retry=FAST_RETRY) as client:
        yield client


def test_accepted_call_is_recorded_by_the_mock(client: fgs.Client, backend: Backend) -> None:
    request_id = client.invoke_async(DEFAULT_FUNCTION_URN, {"body": {"k": "v"}})
    stored = backend.invocations.get(request_id)
    assert stored is not None
    assert stored.body == b'{"body":{"k":"v"}}'


def test_503s_are_ridden_out(client: fgs.Client, backend: Backend) -> None:
    before = len(backend.invocations)
    backend.faults.set(status=503, next_count=2)
    assert client.invoke_async(DEFAULT_FUNCTION_URN, {})
    assert len(backend.invocations) == before + 1


def test_a_500_is_raised_at_once(client: fgs.Client, backend: Backend) -> None:
    backend.faults.set(status=500, next_count=1)
    with pytest.raises(fgs.ServerError) as caught:
        client.invoke_async(DEFAULT_FUNCTION_URN, {})
    assert (caught.value.status, caught.value.error_code, caught.value.attempts) == (500, "FSS.0500", 1)
    assert client.invoke_async(DEFAULT_FUNCTION_URN, {})  # the fault was used up by exactly one call


def test_persistent_503_exhausts_the_attempts(client: fgs.Client, backend: Backend) -> None:
    backend.faults.set(status=503, share=1.0)
    with pytest.raises(fgs.ServerError) as caught:
        client.invoke_async(DEFAULT_FUNCTION_URN, {})
    assert (caught.value.status, caught.value.error_code, caught.value.attempts) == (503, "FSS.0503", 3)


def test_documented_refusals_over_http(mock: tuple[str, Backend]) -> None:
    with fgs.Client(mock[0], DEFAULT_PROJECT_ID, "wrong-token", retry=FAST_RETRY) as client:
        with pytest.raises(fgs.AuthenticationError) as caught:
            client.invoke_async(DEFAULT_FUNCTION_URN, {})
        assert caught.value.error_code == "FSS.0401"
        client.set_token(DEFAULT_TOKEN)
        with pytest.raises(fgs.NotFoundError):
            client.invoke_async("no-such-function", {})
        assert client.invoke_async(DEFAULT_FUNCTION_URN, {})


def test_async_client_with_many_calls_in_flight(mock: tuple[str, Backend], backend: Backend) -> None:
    async def burst() -> list[str]:
        # The timeout covers waiting for one of the pool's connections; on a loaded machine 200 calls queue.
        patient = dataclasses.replace(FAST_RETRY, max_total=60.0)
        async with fgs.AsyncClient(mock[0], DEFAULT_PROJECT_ID, DEFAULT_TOKEN, retry=patient, timeout=60.0) as client:
            return await asyncio.gather(*(client.invoke_async(DEFAULT_FUNCTION_URN, {"n": i}) for i in range(200)))

    # The first 20 sends fail; all 200 first attempts go out before any retry, so each retry succeeds.
    backend.faults.set(status=503, next_count=20)
    before = len(backend.invocations)
    ids = asyncio.run(burst())
    assert len(backend.invocations) == before + 200
    assert len(set(ids)) == 200
    assert all(backend.invocations.get(i) is not None for i in ids)


def test_a_silent_server_times_out_without_a_retry() -> None:
    # Accepts the connection, reads the request, never answers: the call may have been taken.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    try:
        client = fgs.Client(url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, timeout=0.3, retry=FAST_RETRY)
        with client, pytest.raises(fgs.RequestTimeoutError) as caught:
            client.invoke_async(DEFAULT_FUNCTION_URN, {})
        assert caught.value.attempts == 1
        assert len(accepted) == 1
    finally:
        listener.close()
        for conn in accepted:
            conn.close()


def test_a_refused_connection_is_retried_then_raised() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: nothing listens there
    client = fgs.Client(f"http://127.0.0.1:{port}", DEFAULT_PROJECT_ID, DEFAULT_TOKEN, retry=FAST_RETRY)
    with client, pytest.raises(fgs.TransportError) as caught:
        client.invoke_async(DEFAULT_FUNCTION_URN, {})
    assert caught.value.attempts == 3
    assert not isinstance(caught.value, fgs.RequestTimeoutError)

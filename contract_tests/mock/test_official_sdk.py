"""The official SDK drives the five lifecycle operations against the mock and parses every answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_handler import HttpHandler
from huaweicloudsdkfunctiongraph.v2 import (
    AsyncInvokeFunctionRequest,
    CancelAsyncInvocationRequest,
    CancelAsyncInvocationRequestBody,
    DeleteFunctionAsyncInvokeConfigRequest,
    FuncAsyncDestinationConfig,
    FuncDestinationConfig,
    FunctionGraphClient,
    ListAsyncInvocationsRequest,
    ShowFunctionAsyncInvokeConfigRequest,
    UpdateFunctionAsyncInvokeConfigRequest,
    UpdateFunctionAsyncInvokeConfigRequestBody,
)

from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread
from fgs_mock.behaviour import Behaviour

P = DEFAULT_PROJECT_ID
OK = f"urn:fss:eu-de:{P}:function:default:ok:latest"
SLOW = f"urn:fss:eu-de:{P}:function:default:slow:latest"


@pytest.fixture(scope="module")
def sdk() -> Iterator[Any]:
    backend = Backend.with_defaults(speed=20)
    backend.register_function(OK, behaviour=Behaviour(duration=0.1))
    backend.register_function(SLOW, behaviour=Behaviour(duration=60, concurrency=1))

    def add_token(request: Any, **_: Any) -> None:
        request.header_params["X-Auth-Token"] = DEFAULT_TOKEN

    with serve_in_thread(create_app(backend)) as url:
        # The SDK signs every request with AK/SK; dummy keys keep it from looking for a metadata service.
        yield (
            FunctionGraphClient.new_builder()
            .with_credentials(BasicCredentials("MOCKAK" * 3, "MOCKSK" * 6, P))
            .with_endpoints([url])
            .with_http_handler(HttpHandler().add_request_handler(add_token))
            .build()
        )


def _invoke(sdk: Any, urn: str) -> str:
    request_id: str = sdk.async_invoke_function(AsyncInvokeFunctionRequest(function_urn=urn, body={})).request_id
    return request_id


def _list(sdk: Any, urn: str, **filters: Any) -> Any:
    return sdk.list_async_invocations(ListAsyncInvocationsRequest(function_urn=urn, **filters))


def test_list_async_invocations_parses_runs_and_their_times(sdk: Any) -> None:
    request_id = _invoke(sdk, OK)
    deadline = time.monotonic() + 2
    while (run := _list(sdk, OK, request_id=request_id).invocations[0]).status != "SUCCESS":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    # The SDK reads start_time as a datetime and end_time as a string (see the README).
    assert isinstance(run.start_time, datetime)
    assert isinstance(run.end_time, str)
    assert (run.error_code, run.error_message) == (0, "")
    # Naive UTC datetimes without microseconds serialise as the page's YYYY-MM-DDTHH:mm:ss.
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    window = _list(sdk, OK, query_begin_time=now - timedelta(minutes=5), query_end_time=now + timedelta(minutes=1))
    assert request_id in [r.request_id for r in window.invocations]
    first = _list(sdk, OK, limit="1")
    assert (len(first.invocations), first.count) == (1, window.count)


def test_cancel_async_invocation_stops_a_waiting_run(sdk: Any) -> None:
    _invoke(sdk, SLOW)
    waiting = _invoke(sdk, SLOW)
    body = CancelAsyncInvocationRequestBody(request_id=waiting, type="force")
    sdk.cancel_async_invocation(CancelAsyncInvocationRequest(function_urn=SLOW, body=body))
    [run] = _list(sdk, SLOW, request_id=waiting).invocations
    assert (run.status, run.error_code) == ("FAIL", 4208)
    body = CancelAsyncInvocationRequestBody(request_id="no-such-id")
    with pytest.raises(ClientRequestException) as refused:
        sdk.cancel_async_invocation(CancelAsyncInvocationRequest(function_urn=SLOW, body=body))
    assert (refused.value.status_code, refused.value.error_code) == (400, "FSS.0400")


def test_the_async_invoke_config_round_trips_through_the_sdk(sdk: Any) -> None:
    target = FuncDestinationConfig(destination="FunctionGraph", param=f'{{"func_urn": "{OK}"}}')
    body = UpdateFunctionAsyncInvokeConfigRequestBody(
        max_async_event_age_in_seconds=120,
        max_async_retry_attempts=2,
        destination_config=FuncAsyncDestinationConfig(on_failure=target),
        enable_async_status_log=True,
        log_group_id="ignored-by-the-mock",  # an SDK field the pages do not list
    )
    put = sdk.update_function_async_invoke_config(UpdateFunctionAsyncInvokeConfigRequest(function_urn=OK, body=body))
    shown = sdk.show_function_async_invoke_config(ShowFunctionAsyncInvokeConfigRequest(function_urn=OK))
    for answer in (put, shown):
        assert (answer.func_urn, answer.max_async_event_age_in_seconds, answer.max_async_retry_attempts) == (OK, 120, 2)
        assert answer.destination_config.on_failure.destination == "FunctionGraph"
        assert answer.enable_async_status_log is True
        assert isinstance(answer.created_time, str)
    sdk.delete_function_async_invoke_config(DeleteFunctionAsyncInvokeConfigRequest(function_urn=OK))
    with pytest.raises(ClientRequestException) as gone:
        sdk.show_function_async_invoke_config(ShowFunctionAsyncInvokeConfigRequest(function_urn=OK))
    assert gone.value.status_code == 404

"""The generated lifecycle operations send what the spec describes and parse each documented status."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import respx
from fgs_client import AuthenticatedClient
from fgs_client.api.async_config import (
    delete_function_async_invoke_config,
    show_function_async_invoke_config,
    update_function_async_invoke_config,
)
from fgs_client.api.invocation import cancel_async_invocation, list_async_invocations
from fgs_client.models import (
    AsyncInvocationList,
    AsyncInvokeConfig,
    AsyncInvokeConfigRequest,
    CancelRequest,
    ErrorResponse,
    FuncAsyncDestinationConfig,
    FuncDestinationConfig,
)

from contract_tests.generated_client.conftest import BASE, TOKEN, make_client
from contract_tests.support.identities import PROJECT, URN, route
from contract_tests.support.page_answers import DESTINATION, PAGE_CONFIG, PAGE_LIST

CONFIG_BODY = AsyncInvokeConfigRequest.from_dict(
    {"max_async_event_age_in_seconds": 10, "max_async_retry_attempts": 3, "enable_async_status_log": True}
)
CANCEL_BODY = CancelRequest.from_dict({"request_id": "r-1"})


def _call(module: Any, **kwargs: Any) -> Callable[[AuthenticatedClient], Any]:
    return lambda client: module.sync_detailed(project_id=PROJECT, function_urn=URN, client=client, **kwargs)


# operation -> (HTTP method, path tail, a call, its documented error statuses, including the extension ones)
OPERATIONS: dict[str, tuple[str, str, Callable[[AuthenticatedClient], Any], list[int]]] = {
    "list": ("GET", "async-invocations", _call(list_async_invocations), [400, 401, 403, 404, 500]),
    "cancel": ("POST", "cancel", _call(cancel_async_invocation, body=CANCEL_BODY), [400, 401, 403, 404, 500]),
    "put": (
        "PUT",
        "async-invoke-config",
        _call(update_function_async_invoke_config, body=CONFIG_BODY),
        [400, 401, 403, 404],
    ),
    "get": ("GET", "async-invoke-config", _call(show_function_async_invoke_config), [400, 401, 403, 404]),
    "delete": ("DELETE", "async-invoke-config", _call(delete_function_async_invoke_config), [400, 401, 403, 404]),
}


# Each operation's documented success, as its page shows it.
NULL: dict[str, Any] = {"content": b"null", "headers": {"Content-Type": "application/json"}}
SUCCESS: dict[str, tuple[int, dict[str, Any]]] = {
    "list": (200, {"json": PAGE_LIST}),
    "cancel": (200, NULL),
    "put": (200, {"json": PAGE_CONFIG}),
    "get": (200, {"json": PAGE_CONFIG}),
    "delete": (204, {}),
}


def _answer(name: str, status: int, **answer: Any) -> tuple[respx.Route, Any]:
    method, tail, call, _ = OPERATIONS[name]
    with respx.mock(base_url=BASE) as mock:
        route_ = mock.route(method=method, path__regex=route(tail)).respond(status, **answer)
        response = call(make_client())
    return route_, response


@pytest.mark.parametrize("name", OPERATIONS)
def test_each_operation_sends_its_method_path_and_token(name: str) -> None:
    method, tail, _, _ = OPERATIONS[name]
    status, answer = SUCCESS[name]
    route_, _ = _answer(name, status, **answer)
    request = route_.calls.last.request
    assert request.method == method
    assert request.url.raw_path.decode().split("?")[0] == f"/v2/{PROJECT}/fgs/functions/{quote(URN, safe='')}/{tail}"
    assert request.headers["X-Auth-Token"] == TOKEN


@pytest.mark.parametrize(
    ("name", "status"), [(name, status) for name, (_, _, _, statuses) in OPERATIONS.items() for status in statuses]
)
def test_each_error_status_parses_into_error_response(name: str, status: int) -> None:
    _, response = _answer(name, status, json={"error_code": "FSS.0404", "error_msg": "can not find function"})
    assert response.status_code == status
    assert isinstance(response.parsed, ErrorResponse)
    assert (response.parsed.error_code, response.parsed.error_msg) == ("FSS.0404", "can not find function")


def test_list_sends_its_filters_and_the_documented_defaults(client: AuthenticatedClient) -> None:
    with respx.mock(base_url=BASE) as mock:
        route_ = mock.get(path__regex=route("async-invocations")).respond(200, json=PAGE_LIST)
        list_async_invocations.sync_detailed(
            project_id=PROJECT,
            function_urn=URN,
            client=client,
            request_id="r-1",
            status="FAIL",
            query_begin_time="2019-10-25T15:00:00",
            query_end_time="2019-10-25T16:00:00",
        )
    params = dict(route_.calls.last.request.url.params)
    # marker and limit go out with the page's defaults even when the caller leaves them out.
    assert params == {
        "request_id": "r-1",
        "status": "FAIL",
        "query_begin_time": "2019-10-25T15:00:00",
        "query_end_time": "2019-10-25T16:00:00",
        "marker": "0",
        "limit": "100",
    }


def test_list_parses_the_pages_example_and_a_run_with_no_outcome_yet() -> None:
    waiting = {"request_id": "r-2", "status": "WAIT", "end_time": None, "error_code": None}
    _, response = _answer(
        "list",
        200,
        json={**PAGE_LIST, "count": 2, "next_marker": 2, "invocations": [*PAGE_LIST["invocations"], waiting]},
    )
    parsed = response.parsed
    assert isinstance(parsed, AsyncInvocationList)
    done, wait = parsed.invocations
    assert (done.request_id, done.status, done.error_code, done.error_message) == (
        "403fcbd6-ec41-401f-9fa7-386f3d3d****",
        "SUCCESS",
        0,
        "",
    )
    assert (done.start_time, done.end_time) == ("2019-10-25T15:37:27", "2019-10-25T15:37:27")  # strings, not parsed
    assert (wait.status, wait.end_time, wait.error_code) == ("WAIT", None, None)
    assert (parsed.count, parsed.next_marker) == (2, 2)


def test_list_refuses_a_status_outside_the_enum() -> None:
    # The generated model raises a bare TypeError: the safe client must turn it into an FgsError.
    with pytest.raises(TypeError, match="CANCELLED"):
        _answer("list", 200, json={"invocations": [{"request_id": "r", "status": "CANCELLED"}]})


def test_cancel_sends_its_body_and_parses_the_null_answer(client: AuthenticatedClient) -> None:
    with respx.mock(base_url=BASE) as mock:
        route_ = mock.post(path__regex=route("cancel")).respond(200, **NULL)
        response = cancel_async_invocation.sync_detailed(
            project_id=PROJECT,
            function_urn=URN,
            client=client,
            body=CancelRequest.from_dict({"request_id": "r-1", "type": "force"}),
        )
    request = route_.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"request_id": "r-1", "type": "force"}
    assert (response.status_code, response.parsed) == (200, None)


def test_put_sends_the_nested_destinations(client: AuthenticatedClient) -> None:
    body = {
        "max_async_retry_attempts": 2,
        "destination_config": {"on_success": DESTINATION, "on_failure": {"destination": "OBS"}},
    }
    with respx.mock(base_url=BASE) as mock:
        route_ = mock.put(path__regex=route("async-invoke-config")).respond(200, json=PAGE_CONFIG)
        update_function_async_invoke_config.sync_detailed(
            project_id=PROJECT, function_urn=URN, client=client, body=AsyncInvokeConfigRequest.from_dict(body)
        )
    request = route_.calls.last.request
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == body


@pytest.mark.parametrize("name", ["put", "get"])
def test_config_answer_parses_with_both_timestamp_shapes(name: str) -> None:
    _, response = _answer(name, 200, json=PAGE_CONFIG)
    parsed = response.parsed
    assert isinstance(parsed, AsyncInvokeConfig)
    assert (parsed.max_async_event_age_in_seconds, parsed.max_async_retry_attempts) == (60, 1)
    destinations = parsed.destination_config
    assert isinstance(destinations, FuncAsyncDestinationConfig)
    assert isinstance(destinations.on_success, FuncDestinationConfig)
    assert isinstance(destinations.on_failure, FuncDestinationConfig)
    assert destinations.on_success.destination == "FunctionGraph"
    assert isinstance(destinations.on_failure.param, str)
    assert json.loads(destinations.on_failure.param)["func_urn"].endswith(":testPython:latest")
    assert (parsed.created_time, parsed.last_modified) == ("2021-03-04T14:50:02+08:00", "2021-03-04 14:50:02")
    assert parsed.to_dict() == PAGE_CONFIG


def test_delete_204_has_nothing_to_parse() -> None:
    _, response = _answer("delete", 204)
    assert (response.status_code, response.parsed, response.content) == (204, None, b"")

"""The generated client sends what the spec describes and parses each documented status into its model."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote

import pytest
import respx
from fgs_client.api.invocation import invoke_function_async
from fgs_client.models import ErrorResponse, InvocationAccepted, InvocationEvent

from contract_tests.generated_client.conftest import BASE, TOKEN
from contract_tests.generated_client.conftest import make_client as _client
from contract_tests.support.identities import PROJECT, ROUTE, URN


def test_request_matches_the_spec() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post(path__regex=ROUTE).respond(202, json={"request_id": "r-1"})
        invoke_function_async.sync(
            project_id=PROJECT, function_urn=URN, client=_client(), body=InvocationEvent.from_dict({"body": {"k": "v"}})
        )
    request = route.calls.last.request
    # The URN is one path segment: every colon is percent-encoded.
    assert request.url.raw_path.decode() == f"/v2/{PROJECT}/fgs/functions/{quote(URN, safe='')}/invocations-async"
    assert ":" not in request.url.raw_path.decode().split("/")[5]
    assert request.headers["X-Auth-Token"] == TOKEN
    assert "authorization" not in request.headers
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"body": {"k": "v"}}


def test_202_parses_into_invocation_accepted() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post(path__regex=ROUTE).respond(202, json={"request_id": "1167bf8c-87b0-43ab-8f5f-26b16c64f252"})
        response = invoke_function_async.sync_detailed(
            project_id=PROJECT, function_urn=URN, client=_client(), body=InvocationEvent.from_dict({})
        )
    assert response.status_code == 202
    assert isinstance(response.parsed, InvocationAccepted)
    assert response.parsed.request_id == "1167bf8c-87b0-43ab-8f5f-26b16c64f252"


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "FSS.0400"), (401, "FSS.0401"), (403, "FSS.0403"), (404, "FSS.1051"), (500, "FSS.0500"), (503, "FSS.0503")],
)
def test_each_error_status_parses_into_error_response(status: int, code: str) -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post(path__regex=ROUTE).respond(status, json={"error_code": code, "error_msg": "m", "extra": 1})
        response = invoke_function_async.sync_detailed(
            project_id=PROJECT, function_urn=URN, client=_client(), body=InvocationEvent.from_dict({})
        )
    assert response.status_code == status
    assert isinstance(response.parsed, ErrorResponse)
    assert (response.parsed.error_code, response.parsed.error_msg) == (code, "m")
    assert response.parsed.additional_properties == {"extra": 1}


def test_async_variant_sends_the_same_request() -> None:
    with respx.mock(base_url=BASE) as mock:
        route = mock.post(path__regex=ROUTE).respond(202, json={"request_id": "r-2"})
        parsed = asyncio.run(
            invoke_function_async.asyncio(
                project_id=PROJECT, function_urn=URN, client=_client(), body=InvocationEvent.from_dict({"a": 1})
            )
        )
    assert isinstance(parsed, InvocationAccepted)
    assert route.calls.last.request.headers["X-Auth-Token"] == TOKEN


def test_undocumented_status_is_not_parsed() -> None:
    with respx.mock(base_url=BASE) as mock:
        mock.post(path__regex=ROUTE).respond(418, json={})
        response = invoke_function_async.sync_detailed(
            project_id=PROJECT, function_urn=URN, client=_client(), body=InvocationEvent.from_dict({})
        )
    assert response.parsed is None

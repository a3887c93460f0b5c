"""The official SDK's five lifecycle calls against the scripted fake: it parses the pages' answers, and
where its models read them otherwise than the pages (noted in the README, "Following an invocation")."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import huaweicloudsdkfunctiongraph.v2 as sdk
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.http.http_handler import HttpHandler

from contract_tests.safe_client.lifecycle_fake import BASE_TIME, TOKEN, Fake, Stage, fixtures, run
from contract_tests.support.identities import PROJECT, URN
from contract_tests.support.page_answers import PAGE_CONFIG, PAGE_RUN
from fgs.models import TIMESTAMP

stage, fake = fixtures()


@pytest.fixture
def client(stage: tuple[Stage, str]) -> Any:
    def add_token(request: Any, **_: Any) -> None:
        request.header_params["X-Auth-Token"] = TOKEN

    # The SDK always signs with AK/SK as well; dummy keys keep it from looking for a metadata service.
    return (
        sdk.FunctionGraphClient.new_builder()
        .with_credentials(BasicCredentials("LIFECYCLEAK" * 2, "LIFECYCLESK" * 4, PROJECT))
        .with_endpoints([stage[1]])
        .with_http_handler(HttpHandler().add_request_handler(add_token))
        .build()
    )


def test_the_sdk_lists_runs_reading_start_time_as_local_time_and_end_time_as_text(client: Any, fake: Fake) -> None:
    fake.runs = [dict(PAGE_RUN)]
    answer = client.list_async_invocations(sdk.ListAsyncInvocationsRequest(function_urn=URN, status="SUCCESS"))

    (record,) = answer.invocations
    assert (record.request_id, record.status, record.error_code) == (PAGE_RUN["request_id"], "SUCCESS", 0)
    # The page says these times are UTC; the SDK attaches the machine's zone to one and leaves the other a string.
    assert record.start_time.replace(tzinfo=None) == datetime(2019, 10, 25, 15, 37, 27)
    assert type(record.start_time.tzinfo).__name__ == "tzlocal"
    assert record.end_time == "2019-10-25T15:37:27"
    assert (answer.count, answer.next_marker) == (1, None)
    assert fake.seen[0].query == {"status": "SUCCESS"}  # no marker or limit unless set


def test_the_sdk_sends_query_times_with_an_offset_the_page_does_not_show(client: Any, fake: Fake) -> None:
    fake.runs = [run("r-1", "SUCCESS", BASE_TIME)]
    request = sdk.ListAsyncInvocationsRequest(function_urn=URN, query_begin_time=datetime(2026, 11, 30, tzinfo=UTC))
    client.list_async_invocations(request)

    sent = fake.seen[0].query["query_begin_time"]
    assert sent == "2026-11-30T00:00:00+00:00"
    assert not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}", sent)  # the page's format
    assert TIMESTAMP.match(sent)


def test_the_sdk_cancels_and_reads_the_null_answer(client: Any, fake: Fake) -> None:
    fake.runs = [run("r-1", "RUNNING", BASE_TIME)]
    body = sdk.CancelAsyncInvocationRequestBody(request_id="r-1")
    answer = client.cancel_async_invocation(sdk.CancelAsyncInvocationRequest(function_urn=URN, body=body))

    assert answer.status_code == 200
    assert json.loads(fake.seen[0].body) == {"request_id": "r-1"}
    assert fake.runs[0]["error_code"] == 4208


def test_the_sdk_reads_and_writes_the_config_and_deletes_it(client: Any, fake: Fake) -> None:
    fake.configs[URN] = PAGE_CONFIG
    shown = client.show_function_async_invoke_config(sdk.ShowFunctionAsyncInvokeConfigRequest(function_urn=URN))
    body = sdk.UpdateFunctionAsyncInvokeConfigRequestBody(max_async_retry_attempts=2, max_async_event_age_in_seconds=10)
    request = sdk.UpdateFunctionAsyncInvokeConfigRequest(function_urn=URN, body=body)
    updated = client.update_function_async_invoke_config(request)
    deleted = client.delete_function_async_invoke_config(sdk.DeleteFunctionAsyncInvokeConfigRequest(function_urn=URN))

    assert shown.destination_config.on_success.destination == "FunctionGraph"
    assert (shown.created_time, shown.last_modified) == ("2021-03-04T14:50:02+08:00", "2021-03-04 14:50:02")
    assert (updated.max_async_retry_attempts, updated.max_async_event_age_in_seconds) == (2, 10)
    assert json.loads(fake.seen[1].body) == {"max_async_event_age_in_seconds": 10, "max_async_retry_attempts": 2}
    assert deleted.status_code == 204
    assert [(s.method, s.headers["x-auth-token"]) for s in fake.seen] == [
        ("GET", TOKEN),
        ("PUT", TOKEN),
        ("DELETE", TOKEN),
    ]

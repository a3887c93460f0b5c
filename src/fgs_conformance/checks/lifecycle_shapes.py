"""Every answer of the five lifecycle operations has its documented status and shape, errors included."""

from __future__ import annotations

import pytest

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import TERMINAL, Lifecycle
from fgs_conformance.target import urn_of_missing_function

# Each is refused before it could change anything (no function, or no token): safe on a live endpoint,
# except that a cancel waits for --allow-cancel, as every cancel does: one let through stops running requests.
ALL = (
    ("listAsyncInvocations", None),
    ("showFunctionAsyncInvokeConfig", None),
    ("cancelAsyncInvocation", {"request_id": "fgs-conformance-no-such-run"}),
    ("updateFunctionAsyncInvokeConfig", {"max_async_retry_attempts": 1}),
    ("deleteFunctionAsyncInvokeConfig", None),
)


def test_a_query_with_every_filter_answers_a_documented_page(lifecycle: Lifecycle) -> None:
    lifecycle.query(
        request_id="fgs-conformance-no-such-run",
        status="SUCCESS",
        limit="10",
        marker="0",
        query_begin_time="2020-01-01T00:00:00",
        query_end_time="2020-01-01T01:00:00",
    )


def test_a_run_is_listed_in_the_documented_shape_while_pending_and_once_ended(lifecycle: Lifecycle) -> None:
    # Each record the query lists passes the spec's schema and its times parse: "" only for a time not there yet.
    (request_id,) = lifecycle.runs(1)
    seen, _ = lifecycle.history(request_id)
    if seen[-1] not in TERMINAL:
        timeout = lifecycle.target.settings.lifecycle_timeout
        pytest.skip(f"the run did not end within {timeout:g} s: its final record was not seen")


def test_the_config_answers_with_a_documented_shape(lifecycle: Lifecycle) -> None:
    response, _ = lifecycle.call("showFunctionAsyncInvokeConfig")
    # 404: none is configured for the function, as after a DELETE.
    if response.status_code not in (200, 404):
        raise ContractBreak(f"reading the config was answered {response.status_code}")


@pytest.mark.parametrize(("operation_id", "body"), ALL, ids=[op for op, _ in ALL])
def test_a_missing_function_is_404_on_every_operation(
    lifecycle: Lifecycle, operation_id: str, body: dict[str, object] | None
) -> None:
    if operation_id == "cancelAsyncInvocation":
        lifecycle.target.cancels_or_skip()
    missing = urn_of_missing_function(lifecycle.target.settings.function_urn)
    response, _ = lifecycle.call(operation_id, body=body, function_urn=missing)
    if response.status_code != 404:
        raise ContractBreak(f"{operation_id} on a missing function was answered {response.status_code}, not 404")


@pytest.mark.parametrize(("operation_id", "body"), ALL, ids=[op for op, _ in ALL])
def test_no_token_is_refused_on_every_operation(
    lifecycle: Lifecycle, operation_id: str, body: dict[str, object] | None
) -> None:
    if operation_id == "cancelAsyncInvocation":
        lifecycle.target.cancels_or_skip()
    response, _ = lifecycle.call(operation_id, body=body, token=None)
    if response.status_code not in (401, 403):
        raise ContractBreak(f"{operation_id} without a token was answered {response.status_code}")


def test_a_cancel_without_request_id_is_refused(lifecycle: Lifecycle) -> None:
    lifecycle.target.cancels_or_skip()
    response, _ = lifecycle.call("cancelAsyncInvocation", body={})
    if response.status_code != 400:
        raise ContractBreak(f"a cancel body without request_id was answered {response.status_code}, not 400")

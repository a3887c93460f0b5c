"""The lifecycle operations: contradictions recorded, answers as wide as the pages allow, links declared."""

from __future__ import annotations

from typing import Any, cast

import pytest
import requests
import schemathesis
from openapi_schema_validator import OAS30Validator
from schemathesis.generation.stateful.state_machine import StepOutput
from schemathesis.specs.openapi.stateful import OpenAPIStateMachine

from contract_tests.conftest import SPEC_PATH
from fgs_conformance.expectations import DOCUMENTED

INVOKE = "/v2/{project_id}/fgs/functions/{function_urn}/invocations-async"
LIST = "/v2/{project_id}/fgs/functions/{function_urn}/async-invocations"
CANCEL = "/v2/{project_id}/fgs/functions/{function_urn}/cancel"


def _valid(spec: dict[str, Any], schema: str, instance: object) -> bool:
    root = {"components": spec["components"], "$ref": f"#/components/schemas/{schema}"}
    return bool(OAS30Validator(root).is_valid(instance))


def _conflicts(node: object, where: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "x-doc-conflict":
                found[where] = value
            found |= _conflicts(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found |= _conflicts(value, f"{where}/{value.get('name', index) if isinstance(value, dict) else index}")
    return found


def test_each_contradiction_of_the_pages_records_its_choice(spec: dict[str, Any]) -> None:
    conflicts = _conflicts(spec)
    assert sorted(conflicts) == [
        "/components/schemas/CancelRequest/properties/type",
        "/components/schemas/RunTime",
        "/components/schemas/Timestamp",
        "/paths//v2/{project_id}/fgs/functions/{function_urn}/async-invocations/get/parameters/limit",
    ]
    config = spec["components"]["schemas"]["AsyncInvokeConfig"]["properties"]
    # The ranges differ between the request and answer tables: the answers say why they are wider.
    assert all(
        "x-range-reason" in config[name] for name in ("max_async_event_age_in_seconds", "max_async_retry_attempts")
    )


@pytest.mark.parametrize(
    ("schema", "answer"),
    [
        # Each reading of the answer tables: retries up to 8, ages from 1 (GET) or 60 (PUT) up to a day.
        ("AsyncInvokeConfig", {"max_async_retry_attempts": 8, "max_async_event_age_in_seconds": 1}),
        ("AsyncInvokeConfig", {"max_async_retry_attempts": 3, "max_async_event_age_in_seconds": 86400}),
        # The three timestamp shapes on the pages, and none at all (the example omits enable_async_status_log).
        ("AsyncInvokeConfig", {"created_time": "2021-03-04T14:50:02+08:00", "last_modified": "2021-03-04 14:50:02"}),
        ("AsyncInvocation", {"request_id": "r", "status": "SUCCESS", "start_time": "2019-10-25T15:37:27"}),
        ("AsyncInvocation", {"request_id": "r", "status": "SUCCESS", "end_time": "2019-10-25T15:37:27.123Z"}),
        # A run still waiting has no outcome yet: fields absent or null.
        ("AsyncInvocation", {"request_id": "r", "status": "WAIT", "end_time": None, "error_code": None}),
        # Or the empty string, the pages' own way of writing a value that is not there.
        (
            "AsyncInvocation",
            {"request_id": "r", "status": "WAIT", "start_time": "", "end_time": "", "error_message": ""},
        ),
        (
            "AsyncInvocation",
            {"request_id": "r", "status": "RUNNING", "start_time": "2019-10-25 15:37:27", "end_time": ""},
        ),
        # A run may end without starting (discarded, or stopped while it waited).
        (
            "AsyncInvocation",
            {"request_id": "r", "status": "DISCARD", "start_time": "", "end_time": "2019-10-25T15:37:27"},
        ),
        ("AsyncInvocation", {"request_id": "r", "status": "SUCCESS", "error_message": "", "error_code": 0}),
        ("AsyncInvocationList", {"invocations": []}),
        ("CancelAccepted", None),
        ("CancelRequest", {"request_id": "r", "type": "force"}),
        ("CancelRequest", {"request_id": "r", "recursive": False, "force": True}),  # the prose's reading
    ],
)
def test_every_documented_reading_is_valid(spec: dict[str, Any], schema: str, answer: object) -> None:
    assert _valid(spec, schema, answer)


@pytest.mark.parametrize(
    ("schema", "answer"),
    [
        ("AsyncInvokeConfig", {"max_async_retry_attempts": 9}),
        ("AsyncInvokeConfig", {"max_async_event_age_in_seconds": 0}),
        ("AsyncInvokeConfig", {"created_time": "yesterday"}),
        ("AsyncInvokeConfigRequest", {"max_async_retry_attempts": 4}),
        ("AsyncInvocation", {"request_id": "r", "status": "CANCELLED"}),
        ("AsyncInvocation", {"status": "SUCCESS"}),
        ("AsyncInvocation", {"request_id": "r", "status": "FAIL", "error_code": "FSS.4208"}),
        ("AsyncInvocation", {"request_id": "r", "status": "FAIL", "error_code": ""}),
        # A final run has ended: "" cannot stand for its end_time.
        *(
            ("AsyncInvocation", {"request_id": "r", "status": s, "end_time": ""})
            for s in ("SUCCESS", "FAIL", "DISCARD")
        ),
        ("AsyncInvocation", {"request_id": "r", "status": "WAIT", "start_time": " "}),
        ("AsyncInvocation", {"request_id": "r", "status": "RUNNING", "start_time": "0"}),
        ("AsyncInvocation", {"request_id": "r", "status": "WAIT", "end_time": "yesterday"}),
        # The config's times always exist: no empty string there.
        ("AsyncInvokeConfig", {"created_time": ""}),
        ("AsyncInvokeConfig", {"last_modified": ""}),
        ("AsyncInvocationList", {"count": 0}),
        ("CancelAccepted", {}),
        ("CancelRequest", {"type": "force"}),
        ("FuncDestinationConfig", {"destination": "DIS"}),
    ],
)
def test_what_no_page_allows_is_invalid(spec: dict[str, Any], schema: str, answer: object) -> None:
    assert not _valid(spec, schema, answer)


def test_limit_takes_the_texts_values_and_the_rows_length(spec: dict[str, Any]) -> None:
    params = spec["paths"]["/v2/{project_id}/fgs/functions/{function_urn}/async-invocations"]["get"]["parameters"]
    limit = next(p for p in params if p.get("name") == "limit")["schema"]
    valid = OAS30Validator(limit).is_valid
    assert all(valid(v) for v in ("0", "64", "65", "100", "500"))
    assert not any(valid(v) for v in ("501", "-1", "1e2", "064", "abc", ""))


def test_marker_is_a_decimal_number_or_empty(spec: dict[str, Any]) -> None:
    params = spec["paths"]["/v2/{project_id}/fgs/functions/{function_urn}/async-invocations"]["get"]["parameters"]
    marker = next(p for p in params if p.get("name") == "marker")["schema"]
    valid = OAS30Validator(marker).is_valid
    assert all(valid(v) for v in ("", "0", "100", "9" * 64))
    assert not any(valid(v) for v in ("x", "-1", "1e2", " 1", "9" * 65))


def test_429_is_declared_on_every_operation_with_the_error_body(spec: dict[str, Any]) -> None:
    operations = [op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert len(operations) == 6
    for op in operations:
        assert op["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}, op["operationId"]
    answer = spec["components"]["responses"]["TooManyRequests"]
    assert "x-extension-reason" in answer
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def _extracted(transition: Any) -> dict[str, Any]:
    values = {
        f"{where}.{name}": param.value.ok()
        for where, params in transition.parameters.items()
        for name, param in params.items()
    }
    if transition.request_body is not None:
        values["body"] = transition.request_body.value.ok()
    return values


def test_links_from_the_202_reach_query_and_cancel() -> None:
    # Schemathesis 4.32 infers no link from a body field to a query parameter: the spec must declare them.
    schema = schemathesis.openapi.from_path(SPEC_PATH)
    # Building the machine fails on a link to a missing operation or with a bad expression.
    machine = cast(type[OpenAPIStateMachine], schema.as_state_machine())
    invoke = schema[INVOKE]["POST"]
    # Schemathesis has no public list of a machine's transitions; this is the one its rules are built from.
    links = {link.name: link for link in machine._transitions.operations[invoke.label].outgoing}
    assert {name: link.target.label for name, link in links.items()} == {
        "QueryByRequestId": f"GET {LIST}",
        "CancelByRequestId": f"POST {CANCEL}",
    }
    case = invoke.Case(path_parameters={"project_id": "p-1", "function_urn": "f-1"}, body={})
    request = requests.Request("POST", "http://127.0.0.1/").prepare()
    answer = schemathesis.Response(
        202, {"content-type": ["application/json"]}, b'{"request_id": "r-1"}', request, 0.0, True
    )
    output = StepOutput(answer, case)
    path = {"path_parameters.project_id": "p-1", "path_parameters.function_urn": "f-1"}
    assert _extracted(links["QueryByRequestId"].extract(output)) == {**path, "query.request_id": "r-1"}
    assert _extracted(links["CancelByRequestId"].extract(output)) == {**path, "body": {"request_id": "r-1"}}


def test_the_suites_documented_statuses_are_the_invocations(spec: dict[str, Any]) -> None:
    documented = spec["paths"][INVOKE]["post"]["responses"]
    assert {int(status) for status in documented} == DOCUMENTED

"""Deliberate breaks of a copy of the spec, for showing that the doc check and the drift check notice.

`BY_PAGE` pairs each edit with the page whose facts it contradicts, so every page has edits that bite.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from contract_tests.support.contract_facts import OPERATION
from contract_tests.support.vendor_docs import OPERATION_PAGES

PATH, METHOD = OPERATION
LIST = "/v2/{project_id}/fgs/functions/{function_urn}/async-invocations"
CANCEL = "/v2/{project_id}/fgs/functions/{function_urn}/cancel"
CONFIG = "/v2/{project_id}/fgs/functions/{function_urn}/async-invoke-config"
Edit = Callable[[dict[str, Any]], None]


def _schemas(spec: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = spec["components"]["schemas"]
    return schemas


def _query(spec: dict[str, Any], name: str) -> dict[str, Any]:
    params: list[dict[str, Any]] = spec["paths"][LIST]["get"]["parameters"]
    return next(p for p in params if p.get("name") == name)


def drop_status(spec: dict[str, Any]) -> None:
    del spec["paths"][PATH][METHOD]["responses"]["503"]


def rename_field(spec: dict[str, Any]) -> None:
    props = _schemas(spec)["ErrorResponse"]["properties"]
    props["error_message"] = props.pop("error_msg")


def optional_path_param(spec: dict[str, Any]) -> None:
    spec["components"]["parameters"]["FunctionUrn"]["required"] = False


def retype_field(spec: dict[str, Any]) -> None:
    _schemas(spec)["InvocationAccepted"]["properties"]["request_id"]["type"] = "integer"


def token_optional(spec: dict[str, Any]) -> None:
    spec["paths"][PATH][METHOD]["security"].append({})


def undocumented_status(spec: dict[str, Any]) -> None:
    op = spec["paths"][PATH][METHOD]
    op["responses"]["429"] = copy.deepcopy(op["responses"]["503"])


def body_optional(spec: dict[str, Any]) -> None:
    spec["paths"][PATH][METHOD]["requestBody"]["required"] = False


def moved_operation(spec: dict[str, Any]) -> None:
    spec["paths"][LIST.replace("async-invocations", "async-invocation")] = spec["paths"].pop(LIST)


def limit_read_as_500(spec: dict[str, Any]) -> None:
    _query(spec, "limit")["schema"]["maxLength"] = 500


def status_filter_loses_a_value(spec: dict[str, Any]) -> None:
    _query(spec, "status")["schema"]["enum"].remove("DISCARD")


def undocumented_query_param(spec: dict[str, Any]) -> None:
    spec["paths"][LIST]["get"]["parameters"].append({"name": "offset", "in": "query", "schema": {"type": "integer"}})


def error_code_as_string(spec: dict[str, Any]) -> None:
    _schemas(spec)["AsyncInvocation"]["properties"]["error_code"]["type"] = "string"


def run_status_closed_differently(spec: dict[str, Any]) -> None:
    _schemas(spec)["AsyncInvocation"]["properties"]["status"]["enum"].append("CANCELLED")


def list_content_type_dropped(spec: dict[str, Any]) -> None:
    del spec["paths"][LIST]["get"]["x-content-type"]


def cancel_id_optional(spec: dict[str, Any]) -> None:
    _schemas(spec)["CancelRequest"]["required"] = []


def cancel_type_as_booleans(spec: dict[str, Any]) -> None:
    _schemas(spec)["CancelRequest"]["properties"]["type"]["enum"] = [True, False]


def cancel_without_400(spec: dict[str, Any]) -> None:
    del spec["paths"][CANCEL]["post"]["responses"]["400"]


def retries_range_of_the_answer(spec: dict[str, Any]) -> None:
    _schemas(spec)["AsyncInvokeConfigRequest"]["properties"]["max_async_retry_attempts"]["maximum"] = 8


def event_age_default_changed(spec: dict[str, Any]) -> None:
    _schemas(spec)["AsyncInvokeConfigRequest"]["properties"]["max_async_event_age_in_seconds"]["default"] = 60


def nested_field_renamed(spec: dict[str, Any]) -> None:
    props = _schemas(spec)["FuncDestinationConfig"]["properties"]
    props["params"] = props.pop("param")


def destination_enum_grows(spec: dict[str, Any]) -> None:
    _schemas(spec)["FuncDestinationConfig"]["properties"]["destination"]["enum"].append("DIS")


def answer_range_without_reason(spec: dict[str, Any]) -> None:
    del _schemas(spec)["AsyncInvokeConfig"]["properties"]["max_async_retry_attempts"]["x-range-reason"]


def func_urn_unbounded(spec: dict[str, Any]) -> None:
    del _schemas(spec)["AsyncInvokeConfig"]["properties"]["func_urn"]["maxLength"]


def config_read_without_404(spec: dict[str, Any]) -> None:
    del spec["paths"][CONFIG]["get"]["responses"]["404"]


def delete_answers_200(spec: dict[str, Any]) -> None:
    responses = spec["paths"][CONFIG]["delete"]["responses"]
    responses["200"] = responses.pop("204")


def delete_content_type_dropped(spec: dict[str, Any]) -> None:
    del spec["paths"][CONFIG]["delete"]["x-content-type"]


def delete_token_optional(spec: dict[str, Any]) -> None:
    spec["paths"][CONFIG]["delete"]["security"].append({})


INVOKE, QUERY, STOP, CONFIGURE, SHOW, DELETE = OPERATION_PAGES
BY_PAGE: list[tuple[Edit, str]] = [
    (drop_status, INVOKE),
    (rename_field, INVOKE),
    (optional_path_param, INVOKE),
    (retype_field, INVOKE),
    (token_optional, INVOKE),
    (undocumented_status, INVOKE),
    (body_optional, INVOKE),
    (moved_operation, QUERY),
    (limit_read_as_500, QUERY),
    (status_filter_loses_a_value, QUERY),
    (undocumented_query_param, QUERY),
    (error_code_as_string, QUERY),
    (run_status_closed_differently, QUERY),
    (list_content_type_dropped, QUERY),
    (optional_path_param, QUERY),
    (rename_field, STOP),
    (cancel_id_optional, STOP),
    (cancel_type_as_booleans, STOP),
    (cancel_without_400, STOP),
    (retries_range_of_the_answer, CONFIGURE),
    (event_age_default_changed, CONFIGURE),
    (nested_field_renamed, CONFIGURE),
    (destination_enum_grows, CONFIGURE),
    (answer_range_without_reason, CONFIGURE),
    (func_urn_unbounded, SHOW),
    (nested_field_renamed, SHOW),
    (config_read_without_404, SHOW),
    (answer_range_without_reason, SHOW),
    (delete_answers_200, DELETE),
    (delete_content_type_dropped, DELETE),
    (delete_token_optional, DELETE),
]

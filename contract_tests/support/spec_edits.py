"""Deliberate breaks of a copy of the spec, for showing that the doc check and the drift check notice."""

from __future__ import annotations

import copy
from typing import Any

from contract_tests.support.contract_facts import OPERATION

PATH, METHOD = OPERATION


def drop_status(spec: dict[str, Any]) -> None:
    del spec["paths"][PATH][METHOD]["responses"]["503"]


def rename_field(spec: dict[str, Any]) -> None:
    props = spec["components"]["schemas"]["ErrorResponse"]["properties"]
    props["error_message"] = props.pop("error_msg")


def optional_path_param(spec: dict[str, Any]) -> None:
    spec["components"]["parameters"]["FunctionUrn"]["required"] = False


def retype_field(spec: dict[str, Any]) -> None:
    spec["components"]["schemas"]["InvocationAccepted"]["properties"]["request_id"]["type"] = "integer"


def token_optional(spec: dict[str, Any]) -> None:
    spec["paths"][PATH][METHOD]["security"].append({})


def undocumented_status(spec: dict[str, Any]) -> None:
    op = spec["paths"][PATH][METHOD]
    op["responses"]["429"] = copy.deepcopy(op["responses"]["503"])


def body_optional(spec: dict[str, Any]) -> None:
    spec["paths"][PATH][METHOD]["requestBody"]["required"] = False


ALL = [
    drop_status,
    rename_field,
    optional_path_param,
    retype_field,
    token_optional,
    undocumented_status,
    body_optional,
]

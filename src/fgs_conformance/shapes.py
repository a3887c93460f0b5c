"""Answers of the lifecycle operations held to the spec: a documented status, and that status's schema."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import httpx
from openapi_schema_validator import OAS30Validator

from fgs_conformance import spec
from fgs_conformance.expectations import ContractBreak, check_error_body, json_body


@cache
def _operations() -> dict[str, tuple[str, str, dict[str, Any]]]:
    found = {}
    for path, item in spec.load()["paths"].items():
        for method, operation in item.items():
            found[operation["operationId"]] = (method.upper(), path, operation)
    return found


def route(operation_id: str) -> tuple[str, str]:
    """The operation's method and path template."""
    method, path, _ = _operations()[operation_id]
    return method, path


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        found: Any = spec.load()
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        node = found
    return node


@cache
def _validator(operation_id: str, status: str) -> OAS30Validator | None:
    answer = _resolve(_operations()[operation_id][2]["responses"][status])
    content = answer.get("content", {}).get("application/json")
    if content is None:
        return None
    # The components ride along so that the schema's $refs resolve inside this one document.
    return OAS30Validator({"allOf": [content["schema"]], "components": spec.load()["components"]})


def check_shape(operation_id: str, response: httpx.Response) -> Any:
    """The answer's JSON body (None for a bodiless answer), once its status and shape are documented."""
    documented = _operations()[operation_id][2]["responses"]
    status = str(response.status_code)
    if status not in documented:
        raise ContractBreak(
            f"{operation_id} answered {status}, which it does not document ({', '.join(documented)}): "
            f"{response.text[:200]!r}"
        )
    validator = _validator(operation_id, status)
    if validator is None:
        return None
    body = json_body(response)
    error = next(iter(sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the body"
        message = error.message
        ruled_out = error.validator_value if error.validator == "not" else None
        if isinstance(ruled_out, dict) and "description" in ruled_out:
            # The schema says what it rules out; jsonschema would only quote both.
            message = f"{ruled_out['description']} Got {json.dumps(error.instance)[:200]}"
        raise ContractBreak(f"{operation_id} {status} answer is not the documented shape at {where}: {message}")
    if response.status_code >= 400:
        check_error_body(response)
    return body

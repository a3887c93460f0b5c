"""Valid calls are accepted with a fresh request_id each time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contract_tests.endpoint.conftest import Target
from contract_tests.endpoint.expectations import check_accepted


def test_the_documented_example_request_is_accepted(target: Target, spec: dict[str, Any]) -> None:
    operation = spec["paths"]["/v2/{project_id}/fgs/functions/{function_urn}/invocations-async"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    check_accepted(target.send(content=json.dumps(example).encode(), costs_invocation=True))


def test_request_ids_are_unique(target: Target) -> None:
    ids = [check_accepted(target.send(content=b'{"n": %d}' % i, costs_invocation=True)) for i in range(3)]
    assert len(set(ids)) == 3


def test_json_with_charset_parameter_is_accepted(target: Target) -> None:
    response = target.send(content=b'{"k": "v"}', content_type="application/json; charset=utf-8", costs_invocation=True)
    check_accepted(response)


def test_accepted_calls_are_recorded_by_the_embedded_mock(target: Target) -> None:
    if target.backend is None:
        pytest.skip("a live endpoint keeps its own books")
    before = len(target.backend.invocations)
    request_id = check_accepted(target.send(content=b'{"recorded": true}', costs_invocation=True))
    assert len(target.backend.invocations) == before + 1
    stored = target.backend.invocations.get(request_id)
    assert stored is not None
    assert stored.body == b'{"recorded": true}'

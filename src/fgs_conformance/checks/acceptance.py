"""Valid calls are accepted with a fresh request_id each time."""

from __future__ import annotations

import pytest

from fgs_conformance import spec
from fgs_conformance.expectations import check_accepted
from fgs_conformance.report import NOT_APPLICABLE
from fgs_conformance.target import Target


def test_the_documented_example_request_is_accepted(target: Target) -> None:
    check_accepted(target.send(content=spec.example_body(), costs_invocation=True))


def test_consecutive_calls_get_different_request_ids(target: Target) -> None:
    ids = [check_accepted(target.send(content=b'{"n": %d}' % i, costs_invocation=True)) for i in range(2)]
    assert ids[0] != ids[1]


def test_json_with_charset_parameter_is_accepted(target: Target) -> None:
    response = target.send(content=b'{"k": "v"}', content_type="application/json; charset=utf-8", costs_invocation=True)
    check_accepted(response)


def test_accepted_calls_are_recorded_by_the_embedded_mock(target: Target) -> None:
    backend = target.run.backend
    if backend is None:
        pytest.skip(f"{NOT_APPLICABLE}: a live endpoint keeps its own books")
    before = len(backend.invocations)
    request_id = check_accepted(target.send(content=b'{"recorded": true}', costs_invocation=True))
    assert len(backend.invocations) == before + 1
    stored = backend.invocations.get(request_id)
    assert stored is not None
    assert stored.body == b'{"recorded": true}'

"""The body must be a JSON object. Broken bodies are refused; odd but valid ones never cause a 5xx."""

from __future__ import annotations

import json

import pytest

from fgs_conformance.expectations import DOCUMENTED_4XX, check_response
from fgs_conformance.target import Target

ACCEPTED_OR_REFUSED = DOCUMENTED_4XX | {202}
# Over the largest body an endpoint is known to take (the mock's 6 MiB); the docs set no maximum.
OVERSIZED = 6 * 1024 * 1024 + 1024


def test_missing_body_is_refused(target: Target) -> None:
    response = target.send(content=None)
    target.run.profile.answer("missing-body", response)
    check_response(response, DOCUMENTED_4XX)


INVALID_JSON = {
    "truncated": b"{",
    "missing-value": b'{"k": }',
    "single-quotes": b"{'k': 'v'}",
    "not-utf8": b"\xff\xfe{}",
    "nan": b'{"k": NaN}',
    "two-documents": b"{}{}",
}
NOT_OBJECTS = {
    "empty-array": b"[]",
    "array-of-object": b'[{"k": "v"}]',
    "string": b'"text"',
    "number": b"42",
    "boolean": b"true",
    "null": b"null",
}


@pytest.mark.parametrize("content", INVALID_JSON.values(), ids=INVALID_JSON.keys())
def test_invalid_json_is_refused(target: Target, content: bytes) -> None:
    response = target.send(content=content)
    target.run.profile.answer("invalid-json", response)
    check_response(response, DOCUMENTED_4XX)


@pytest.mark.parametrize("content", NOT_OBJECTS.values(), ids=NOT_OBJECTS.keys())
def test_json_that_is_not_an_object_is_refused(target: Target, content: bytes) -> None:
    response = target.send(content=content)
    target.run.profile.answer("not-an-object", response)
    check_response(response, DOCUMENTED_4XX)


def test_large_object_is_accepted_or_refused_cleanly(target: Target) -> None:
    content = json.dumps({"blob": "x" * (100 * 1024), "n": list(range(100))}).encode()
    assert len(content) >= 100 * 1024
    response = target.send(content=content, costs_invocation=True)
    target.run.profile.body(size=len(content), response=response)
    check_response(response, ACCEPTED_OR_REFUSED)


def test_oversized_object_is_accepted_or_refused_cleanly(target: Target) -> None:
    content = json.dumps({"blob": "x" * OVERSIZED}).encode()
    response = target.send(content=content, costs_invocation=True)
    target.run.profile.body(size=len(content), response=response)
    check_response(response, ACCEPTED_OR_REFUSED)


def test_deeply_nested_object_is_accepted_or_refused_cleanly(target: Target) -> None:
    depth = 64
    content = ('{"k":' * depth + "{}" + "}" * depth).encode()
    response = target.send(content=content, costs_invocation=True)
    target.run.profile.body(depth=depth + 1, response=response)
    check_response(response, ACCEPTED_OR_REFUSED)


def test_very_deeply_nested_object_never_causes_a_server_error(target: Target) -> None:
    # Deep enough to overflow a naive recursive parser, small enough (60 KB) to pass any size limit.
    depth = 10_000
    content = ('{"k":' * depth + "{}" + "}" * depth).encode()
    response = target.send(content=content, costs_invocation=True)
    target.run.profile.body(depth=depth + 1, response=response)
    check_response(response, ACCEPTED_OR_REFUSED)


def test_non_ascii_object_is_accepted_or_refused_cleanly(target: Target) -> None:
    event = {"grüße": "日本語 ✓", "emoji": "\U0001f680", "rtl": "\u05e9\u05dc\u05d5\u05dd", "nul": "\u0000"}
    content = json.dumps(event, ensure_ascii=False).encode()
    check_response(target.send(content=content, costs_invocation=True), ACCEPTED_OR_REFUSED)


def test_body_with_wrong_media_type_is_refused_or_tolerated(target: Target) -> None:
    # Content-Type is mandatory and JSON; an endpoint may refuse another type or read the JSON anyway.
    response = target.send(content=b"{}", content_type="text/plain", costs_invocation=True)
    target.run.profile.answer("wrong-media-type", response)
    check_response(response, ACCEPTED_OR_REFUSED)

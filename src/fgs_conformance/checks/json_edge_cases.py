"""JSON that RFC 8259 allows, in odd shapes: each is accepted or refused with a documented 4xx, never a 5xx."""

from __future__ import annotations

import json

import pytest

from fgs_conformance.expectations import DOCUMENTED_4XX, check_response
from fgs_conformance.target import Target

ACCEPTED_OR_REFUSED = DOCUMENTED_4XX | {202}

# Each stays under 64 KiB, so a size limit cannot be why an endpoint turns it away.
EDGE_CASES = {
    # 5,000 digits: past the 4,300 that Python's int() converts by default.
    "very-long-number": b'{"n": ' + b"9" * 5000 + b"}",
    "long-strings": json.dumps({f"k{i}": "s" * 2000 for i in range(25)}).encode(),
    "duplicate-keys": b'{"k": 1, "k": 2, "k": {"k": 3}}',
    "escaped-surrogate-pair": b'{"rocket": "\\ud83d\\ude80", "\\ud834\\udd1e": "clef"}',
    "empty-object": b"{}",
    "large-array": json.dumps({"items": list(range(10_000))}).encode(),
}


@pytest.mark.parametrize("content", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_json_edge_case_is_accepted_or_refused_cleanly(target: Target, content: bytes) -> None:
    assert len(content) < 64 * 1024
    check_response(target.send(content=content, costs_invocation=True), ACCEPTED_OR_REFUSED)

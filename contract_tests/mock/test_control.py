"""The /_mock/ control routes: any JSON in gives 2xx or 400, never 5xx, and never a partial change."""

from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests.mock.asgi import call
from fgs_mock import DEFAULT_PROJECT_ID, Backend, create_app

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
FAULT_KEYS = st.sampled_from(["status", "next", "share", "seed", "other"])
FAULT_VALUES = st.one_of(
    st.sampled_from([429, 500, 503, 0, 1, 2.9, True, False, None, -1, 1.0, 0.5, 2**31, 2**31 - 1, "503"]),
    st.floats(),
    st.integers(),
    JSON_VALUES,
)
FAULT_BODIES = st.one_of(st.dictionaries(FAULT_KEYS, FAULT_VALUES, max_size=4), JSON_VALUES)
FUNCTION_BODIES = st.one_of(
    st.dictionaries(
        st.sampled_from(["urn", "project_id", "x"]),
        st.one_of(st.sampled_from(["world", "pkg:world", f"{DEFAULT_PROJECT_ID}:p:w:v1", "a:b:c", ""]), JSON_VALUES),
        max_size=3,
    ),
    JSON_VALUES,
)


def _encode(value: object) -> bytes:
    # json.dumps writes NaN and Infinity, which are not JSON: the mock must refuse them like any junk.
    return json.dumps(value).encode()


def _faults_as_sent(body: object) -> dict[str, object] | None:
    """What a valid fault plan body sets, or None when the whole body must be refused."""
    if not isinstance(body, dict) or set(body) - {"status", "next", "share", "seed"}:
        return None
    status, count, share, seed = (body.get("status", 503), body.get("next", 0), body.get("share", 0), body.get("seed"))
    if type(status) is not int or status not in (429, 500, 503):
        return None
    if type(count) is not int or not 0 <= count < 2**31:
        return None
    if type(share) not in (int, float) or not math.isfinite(share) or not 0 <= share <= 1:
        return None
    if seed is not None and (type(seed) is not int or not -(2**63) <= seed < 2**63):
        return None
    return {"status": status, "next": count, "share": float(share)}


@settings(max_examples=300, deadline=None, database=None)
@given(body=FAULT_BODIES)
def test_a_fault_plan_applies_whole_or_not_at_all(body: object) -> None:
    backend = Backend.with_defaults()
    app = create_app(backend)
    backend.faults.set(status=500, next_count=7, share=0.125)
    before = backend.faults.snapshot()
    answer = call(app, "POST", "/_mock/faults", [], _encode(body))
    expected = _faults_as_sent(body)
    assert answer.status == (400 if expected is None else 204)
    assert backend.faults.snapshot() == (before if expected is None else expected)
    if answer.status == 400:
        assert json.loads(answer.body)["error_code"] == "FSS.0400"


@settings(max_examples=200, deadline=None, database=None)
@given(body=FUNCTION_BODIES)
def test_a_registration_applies_whole_or_not_at_all(body: object) -> None:
    backend = Backend.with_defaults()
    app = create_app(backend)
    before = backend.functions()
    answer = call(app, "POST", "/_mock/functions", [], _encode(body))
    assert answer.status in (201, 400)
    after = backend.functions()
    if answer.status == 400:
        assert after == before
    else:
        created = json.loads(answer.body)["function"]
        # One function: the version or alias asked for, and its `latest`, which every function has.
        function = created.rsplit(":", 1)[0]
        assert set(after) - set(before) <= {created, f"{function}:latest"}
        assert created in after
        assert isinstance(body, dict)
        assert isinstance(body["urn"], str)


@settings(max_examples=200, deadline=None, database=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"]),
    name=st.sampled_from(["faults", "functions", "invocations", "invocations?limit=5", "other", ""]),
    body=st.one_of(st.binary(max_size=64), JSON_VALUES.map(_encode)),
)
def test_no_control_request_answers_5xx(method: str, name: str, body: bytes) -> None:
    answer = call(create_app(), method, f"/_mock/{name}", [], body)
    assert answer.status < 500
    assert answer.status in (200, 201, 204, 400, 404)

"""Property: whatever comes back (status, body, headers, or a failure instead), only FgsError escapes.

Run with -p no:schemathesis (make test does) so that Hypothesis prints the failing example.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fgs
from contract_tests.safe_client.conftest import ENDPOINT, Sleeps, make_invoker
from contract_tests.support.identities import ROUTE

TRANSPORT_FAILURES = [
    httpx.ConnectError("x"),
    httpx.ConnectTimeout("x"),
    httpx.ReadTimeout("x"),
    httpx.WriteTimeout("x"),
    httpx.PoolTimeout("x"),
    httpx.ReadError("x"),
    httpx.WriteError("x"),
    httpx.RemoteProtocolError("x"),
    httpx.LocalProtocolError("x"),
    httpx.ProxyError("x"),
    httpx.UnsupportedProtocol("x"),
    httpx.DecodingError("x"),
    httpx.TooManyRedirects("x"),
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
BODIES = st.one_of(
    st.binary(max_size=100),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries(
        {},
        optional={"request_id": JSON_VALUES, "error_code": JSON_VALUES, "error_msg": JSON_VALUES},
    ).map(lambda v: json.dumps(v).encode()),
)
HEADERS = st.dictionaries(
    st.sampled_from(["Content-Type", "Retry-After", "Content-Encoding", "X-Other"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)
ANSWERS = st.one_of(
    st.builds(lambda s, b, h: ("response", s, b, h), st.integers(100, 599), BODIES, HEADERS),
    st.sampled_from(TRANSPORT_FAILURES).map(lambda e: ("raise", e)),
)


def _answer(answer: tuple[Any, ...]) -> httpx.Response | Exception:
    if answer[0] == "raise":
        failure: Exception = type(answer[1])(str(answer[1]))
        return failure
    _, status, body, headers = answer
    return httpx.Response(status, content=body, headers=headers)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["sync", "async"]), answers=st.lists(ANSWERS, min_size=3, max_size=3))
def test_only_package_errors_escape(kind: str, answers: list[tuple[Any, ...]]) -> None:
    invoke, _ = make_invoker(kind, Sleeps())
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as api:
        api.post(path__regex=ROUTE).mock(side_effect=[_answer(a) for a in answers])
        outcome: str | fgs.FgsError
        try:
            outcome = invoke()
        except fgs.FgsError as error:
            outcome = error
    if isinstance(outcome, fgs.FgsError):
        assert outcome.status is None or 100 <= outcome.status <= 599
        assert outcome.attempts >= 1
    else:
        assert outcome.strip()

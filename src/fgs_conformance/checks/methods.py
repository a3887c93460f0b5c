"""Methods the operation does not declare, and routes beside it, are refused: never run, echoed or a crash."""

from __future__ import annotations

import uuid

import httpx
import pytest

from fgs_conformance.expectations import ContractBreak, check_error_body
from fgs_conformance.target import Target

WITHOUT_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS", "TRACE"})
# RFC 9110 section 15.6.2: 501 is the answer for a method the server does not recognise at all.
EXTENSION_METHOD = "FGSPROBE"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", EXTENSION_METHOD])
def test_undeclared_method_is_refused(target: Target, method: str) -> None:
    marker = f"probe-{uuid.uuid4().hex}"
    response = target.send(
        method=method,
        content=None if method in WITHOUT_BODY else b'{"marker": "%s"}' % marker.encode(),
        extra_headers={"X-Conformance-Probe": marker},
    )
    target.run.profile.answer("undeclared-method", response)
    _refused(response, method)
    if marker.encode() in response.content or marker in str(response.headers):
        raise ContractBreak(f"{method} answered {response.status_code} and echoed the request")


def test_unknown_route_is_refused(target: Target) -> None:
    # A sibling of the operation that nothing publishes: a refusal, whoever gives it (service or gateway).
    response = target.send(operation="fgs-conformance-no-such-route")
    target.run.profile.answer("unknown-route", response)
    if not 400 <= response.status_code < 500:
        raise ContractBreak(f"an unknown route was answered {response.status_code}, expected a refusal (4xx)")


def _refused(response: httpx.Response, method: str) -> None:
    status = response.status_code
    if not (400 <= status < 500 or (status == 501 and method == EXTENSION_METHOD)):
        raise ContractBreak(f"{method} answered {status}, expected a refusal (4xx)")
    if status == 405:
        # Which 4xx is the endpoint's choice; 405 must then say what is allowed (RFC 9110 section 15.5.6).
        allowed = {m.strip().upper() for m in response.headers.get("allow", "").split(",")}
        if "POST" not in allowed:
            raise ContractBreak(f"405 without POST in Allow: {response.headers.get('allow')!r}")
    elif method in {"GET", "PUT", "PATCH", "DELETE"} and status in (400, 401, 403, 404):
        # Refusals at the HTTP layer (HEAD, TRACE, unknown methods) may come before any JSON is written.
        check_error_body(response)

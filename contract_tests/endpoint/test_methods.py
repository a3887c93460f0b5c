"""Methods the operation does not declare are refused, never run, never crash the endpoint."""

from __future__ import annotations

import pytest

from contract_tests.endpoint.conftest import Target
from contract_tests.endpoint.expectations import ContractBreak, check_error_body


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "HEAD"])
def test_undeclared_method_is_refused(target: Target, method: str) -> None:
    response = target.send(method=method, content=None if method in ("GET", "HEAD", "DELETE") else b"{}")
    # Which 4xx is the endpoint's choice; 405 must then say what is allowed (RFC 9110 section 15.5.6).
    if not 400 <= response.status_code < 500:
        raise ContractBreak(f"{method} answered {response.status_code}, expected a refusal (4xx)")
    if response.status_code == 405:
        allowed = {m.strip().upper() for m in response.headers.get("allow", "").split(",")}
        if "POST" not in allowed:
            raise ContractBreak(f"405 without POST in Allow: {response.headers.get('allow')!r}")
    elif method != "HEAD" and response.status_code in (400, 401, 403, 404):
        check_error_body(response)

"""One valid call before any check: if it cannot get through, there is nothing to test (exit 3)."""

from __future__ import annotations

import json

import httpx

from fgs_conformance import spec
from fgs_conformance.context import Run
from fgs_conformance.expectations import ContractBreak, check_accepted
from fgs_conformance.target import operation_path, send


class CannotTest(Exception):
    """The endpoint is unreachable, or refuses the given credentials or function."""


# Sent instead of the example when the budget allows no invocation: a correct endpoint refuses it with
# 400 after it has accepted the credentials, so the call still tells a wrong token apart, for free.
REFUSED_BODY = b"[]"


def preflight(run: Run, timeout: float = 10.0) -> str:
    """Send the documented example once; say what came back. Costs at most one invocation."""
    settings = run.settings
    free = not run.budget.allows()
    body = REFUSED_BODY if free else spec.example_body()
    url = run.base_url + operation_path(settings.project_id, settings.function_urn)
    headers = {"Content-Type": "application/json"}
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0)) as client:
            # A quoted token is noted in the run; the reflection check reports it.
            response = send(client, settings, "POST", url, headers=headers, content=body, quoted_token_breaks=False)
    except httpx.HTTPError as exc:
        # The exception's own text may quote the URL only; its type says what failed.
        raise CannotTest(f"{run.base_url} is unreachable: {type(exc).__name__}") from None
    if free and response.status_code == 400:
        return "preflight: 400 to a body that must be refused (the budget allows no invocation)"
    if 400 <= response.status_code < 600:
        code = _error_code(response)
        if response.status_code < 500:
            raise CannotTest(f"the credentials or function were refused: {response.status_code} {code}".rstrip())
        raise CannotTest(f"the endpoint failed a valid call: {response.status_code} {code}".rstrip())
    if response.status_code != 202:
        # Reached and authenticated, yet not 202: a contract break the checks will report.
        return f"preflight: {response.status_code} (not 202; the checks will say more)"
    try:
        return f"preflight: 202, request_id {check_accepted(response)}"
    except ContractBreak as exc:
        return f"preflight: 202, but {exc}"


def _error_code(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    code = body.get("error_code") if isinstance(body, dict) else None
    return str(code) if isinstance(code, str | int) else ""

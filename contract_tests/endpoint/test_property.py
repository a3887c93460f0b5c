"""Property tests generated from spec/openapi.yaml by schemathesis, positive and negative.

The token and both path parameters are pinned, so positive cases reach a real function and must be
accepted. Statuses that the docs leave to the endpoint are configured as sets, not single values.
"""

from __future__ import annotations

from typing import Any

import httpx
import schemathesis
from hypothesis import settings
from schemathesis import Case

from contract_tests.conftest import SPEC_PATH
from contract_tests.endpoint import expectations
from contract_tests.endpoint.conftest import BUDGET, RECORDER, SETTINGS, Target

FUZZ_EXAMPLES = 25 if SETTINGS.live else 60


@schemathesis.check
def documented_error_bodies(ctx: object, response: schemathesis.Response, case: Case[Any]) -> bool | None:
    """Every error carries {error_code, error_msg}; a listed code matches its status; 202 ids are unique."""
    RECORDER.saw(response.status_code)
    headers = [(name, value) for name, values in response.headers.items() for value in values]
    as_httpx = httpx.Response(response.status_code, headers=headers, content=response.content)
    if response.status_code == 202:
        expectations.check_accepted(as_httpx)
    elif response.status_code in expectations.DOCUMENTED - {202}:
        expectations.check_error_body(as_httpx)
    return None


schema = schemathesis.openapi.from_path(
    SPEC_PATH,
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES},
            "auth": {"openapi": {"XAuthToken": {"api_key": SETTINGS.token}}},
            "parameters": {"project_id": SETTINGS.project_id, "function_urn": SETTINGS.function_urn},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx"]},
                "negative_data_rejection": {"expected-statuses": [str(s) for s in expectations.DOCUMENTED_4XX]},
                "missing_required_header": {"expected-statuses": ["400", "401", "403"]},
                # test_methods.py checks undeclared methods: the docs allow any refusal, not only 405.
                "unsupported_method": {"enabled": False},
            },
        }
    ),
)


# Only the invocation: the lifecycle operations are in the spec before the mock serves them (issue 10).
@schema.include(operation_id="invokeFunctionAsync").parametrize()
@settings(deadline=None, database=None)
def test_operation_keeps_the_contract(case: Case[Any], target: Target) -> None:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.method.upper() == "POST" and not BUDGET.take():
        return  # live budget spent: a further accepted case would start one more real run
    case.call_and_validate(base_url=target.base_url)

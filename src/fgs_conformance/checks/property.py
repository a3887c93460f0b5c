"""Property tests generated from the spec by schemathesis, positive and negative.

The token and both path parameters are pinned, so positive cases reach a real function and must be
accepted. With an access key, each case that carries `X-Auth-Token` is sent signed instead, and a case
without it (a negative one) is sent with no credential. Statuses that the docs leave to the endpoint
are configured as sets, not single values.
Only the invocation operation is tested: the spec documents more operations than this suite holds
endpoints to.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import seed, settings
from schemathesis import Case

from fgs_conformance import expectations
from fgs_conformance.context import current
from fgs_conformance.schemathesis_glue import SignInsteadOfToken, observed
from fgs_conformance.spec import OPERATION_ID, spec_path
from fgs_conformance.target import Target

RUN = current()
FUZZ_EXAMPLES = 25 if RUN.settings.live else 60


@schemathesis.check
def documented_error_bodies(ctx: object, response: schemathesis.Response, case: Case[Any]) -> bool | None:
    """Every answer is observed; errors carry {error_code, error_msg}; a 202's request_id is new to the run."""
    as_httpx = observed(response)
    if response.status_code == 202:
        expectations.check_accepted(as_httpx)
    elif response.status_code in expectations.DOCUMENTED - {202}:
        expectations.check_error_body(as_httpx)
    return None


schema = schemathesis.openapi.from_path(
    spec_path(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "max-examples": FUZZ_EXAMPLES},
            **({"auth": {"openapi": {"XAuthToken": {"api_key": RUN.settings.token}}}} if RUN.settings.token else {}),
            "parameters": {"project_id": RUN.settings.project_id, "function_urn": RUN.settings.function_urn},
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx"]},
                "negative_data_rejection": {"expected-statuses": [str(s) for s in expectations.DOCUMENTED_4XX]},
                "missing_required_header": {"expected-statuses": ["400", "401", "403"]},
                # The methods check covers undeclared methods: the docs allow any refusal, not only 405.
                "unsupported_method": {"enabled": False},
            },
        }
    ),
).include(operation_id=OPERATION_ID)


AUTH = None if RUN.settings.token else SignInsteadOfToken()


def _seeded(test: Any) -> Any:
    return test if RUN.seed is None else seed(RUN.seed)(test)


@schema.parametrize()
@_seeded
@settings(deadline=None, database=None)
def test_operation_keeps_the_contract(case: Case[Any], target: Target) -> None:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.method.upper() == "POST" and not RUN.budget.allows():
        return  # live budget spent: a further accepted case would start one more real run
    case.call_and_validate(base_url=target.base_url, auth=AUTH)

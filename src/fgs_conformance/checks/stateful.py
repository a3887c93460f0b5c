"""Schemathesis follows the spec's links: a 202's request_id into the query, and into a cancel.

Bounded in examples, steps and invocations. Once this check has started its share of runs (or the
budget is spent), a further invocation step replays this check's last real 202 instead of sending, so
the sequence still goes on from a real request_id. Live, cancels are left out unless --allow-cancel is
given: the stop page says a cancel stops the function's other concurrent requests too.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis import Case

from fgs_conformance.context import current
from fgs_conformance.report import BUDGET_SKIP
from fgs_conformance.schemathesis_glue import SignInsteadOfToken, observed
from fgs_conformance.shapes import check_shape
from fgs_conformance.spec import OPERATION_ID, spec_path

RUN = current()
CANCELS = not RUN.settings.live or RUN.settings.allow_cancel
LINKED = [OPERATION_ID, "listAsyncInvocations", *(["cancelAsyncInvocation"] if CANCELS else [])]
AUTH = None if RUN.settings.token else SignInsteadOfToken()
EXAMPLES, STEPS, INVOCATIONS = (4, 4, 2) if RUN.settings.live else (10, 5, 10)

schema = schemathesis.openapi.from_path(
    spec_path(),
    config=schemathesis.Config.from_dict(
        {
            # Positive data only: the property check sends the negative cases; here the links are the point.
            "generation": {"mode": "positive"},
            # With an access key, AUTH signs each call instead (see the property check).
            **({"auth": {"openapi": {"XAuthToken": {"api_key": RUN.settings.token}}}} if RUN.settings.token else {}),
            "checks": {
                # The property check's own check, global once it is imported: here after_call does that work,
                # and it would count a replayed 202 a second time.
                "documented_error_bodies": {"enabled": False},
                # Its replay with a made-up token would be signed by AUTH, so it says nothing when signing;
                # the auth and signatures checks hold credentials to the contract.
                "ignored_auth": {"enabled": bool(RUN.settings.token)},
                # Valid by the schema is not always valid by the page: a cancel of a run that has ended,
                # or a window whose dates do not exist, is refused with the documented 400.
                "positive_data_acceptance": {"expected-statuses": ["2xx", "400"]},
            },
        }
    ),
).include(operation_id=LINKED)


def _operation_id(case: Case[Any]) -> str:
    return str(case.operation.definition.raw["operationId"])


class Linked(schema.as_state_machine()):  # type: ignore[misc]
    accepted: ClassVar[list[schemathesis.Response]] = []  # this check's real 202s
    replayed = False

    def before_call(self, case: Case[Any]) -> None:
        # The state machine does not apply configured parameters: the endpoint knows this function only.
        case.path_parameters = {"project_id": RUN.settings.project_id, "function_urn": RUN.settings.function_urn}

    def call(self, case: Case[Any], **kwargs: Any) -> schemathesis.Response:
        invokes = _operation_id(case) == OPERATION_ID
        spent = len(self.accepted) >= INVOCATIONS or not RUN.budget.allows()
        self.replayed = invokes and bool(self.accepted) and spent
        if self.replayed:
            return self.accepted[-1]
        response: schemathesis.Response = case.call(base_url=RUN.base_url, auth=AUTH, **kwargs)
        if invokes and response.status_code == 202:
            self.accepted.append(response)
        return response

    def after_call(self, response: schemathesis.Response, case: Case[Any]) -> None:
        super().after_call(response, case)
        if not self.replayed:  # a replayed answer was observed when it was real
            check_shape(_operation_id(case), observed(response))


def test_linked_sequences_keep_the_contract() -> None:
    if not RUN.budget.allows():
        pytest.skip(f"{BUDGET_SKIP} (max invocations {RUN.settings.max_invocations})")
    Linked.accepted.clear()
    options = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        phases=[Phase.generate],  # no shrinking: a failure is reported as found, within the time bound
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    if RUN.seed is not None:
        seed(RUN.seed)(Linked)  # hypothesis reads a state machine's seed from its class; a bound run() takes none
    Linked.run(settings=options)

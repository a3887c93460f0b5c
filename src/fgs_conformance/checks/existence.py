"""A well-formed URN of a function that does not exist is 404; a malformed one is refused."""

from __future__ import annotations

import pytest

from fgs_conformance.expectations import DOCUMENTED_4XX, check_response
from fgs_conformance.target import Target, urn_of_missing_function


def test_missing_function_is_404(target: Target) -> None:
    response = target.send(function_urn=urn_of_missing_function(target.settings.function_urn))
    target.run.profile.answer("unknown-function", response)
    check_response(response, frozenset({404}))


def test_missing_function_in_full_form_is_404(target: Target) -> None:
    urn = f"urn:fss:eu-de:{target.settings.project_id}:function:default:fgs-contract-missing:latest"
    check_response(target.send(function_urn=urn), frozenset({404}))


@pytest.mark.parametrize(
    "urn",
    ["a:b:c:d:e", "urn:fss:eu-de:p:function:default", "urn:xyz:eu-de:{project}:function:default:hello:latest", "::"],
)
def test_malformed_urn_is_refused(target: Target, urn: str) -> None:
    # Which 4xx is the endpoint's choice: "invalid URN" (400) and "no such function" (404) both fit.
    response = target.send(function_urn=urn.format(project=target.settings.project_id))
    target.run.profile.answer("malformed-urn", response)
    check_response(response, DOCUMENTED_4XX)

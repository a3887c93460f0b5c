"""Credentials are never reflected: no answer of the whole run, header or body, quotes a token it was sent."""

from __future__ import annotations

import secrets

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.target import Target


def test_a_refused_token_is_not_quoted_back(target: Target) -> None:
    # Random, so that quoting it back cannot be a coincidence; sending it passes it through observe().
    target.send(token=f"conformance-{secrets.token_hex(16)}")


def test_the_valid_token_is_not_quoted_back_in_an_error(target: Target) -> None:
    target.send(content=b'{"broken": ')


def test_no_answer_of_the_run_quoted_a_token(target: Target) -> None:
    found = target.run.reflections
    if found:
        raise ContractBreak(f"{len(found)} answers quoted a token; first: {found[0]}")

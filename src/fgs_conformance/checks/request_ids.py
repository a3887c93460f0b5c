"""request_id is unique across the whole run: every 202 of every check, the property cases included."""

from __future__ import annotations

import pytest

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.target import Target


def test_no_request_id_was_handed_out_twice_in_the_run(target: Target) -> None:
    run = target.run
    if not run.request_ids:
        pytest.skip("no call of this run was accepted, so there is no request_id to compare")
    if run.repeats:
        raise ContractBreak(f"{len(run.repeats)} repeated request_ids; first: {run.repeats[0]}")

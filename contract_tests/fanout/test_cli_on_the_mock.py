"""The whole lifecycle from a shell: `fgs invoke`, then `status`, `wait`, `cancel` and `list` on the mock.

test_cli_lifecycle.py stages every answer with a scripted fake; here the mock's engine runs the calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from contract_tests.fanout.cli_harness import URN, Mock, fgs, mock
from fgs_mock import DEFAULT_PROJECT_ID, Behaviour

SLOW = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:slow:latest"
FAILING = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:broken:latest"


@pytest.fixture(scope="module")
def served() -> Iterator[Mock]:
    with mock() as m:
        m.backend.register_function(SLOW, behaviour=Behaviour.succeed(after=60))
        m.backend.register_function(FAILING, behaviour=Behaviour.fail(code=4301, after=0.05))
        yield m


def invoke(served: Mock, urn: str) -> str:
    done = fgs(["invoke", urn, "--data", '{"k": "v"}'], served.env())
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout.strip()


def test_a_call_is_followed_from_invoke_to_success(served: Mock) -> None:
    request_id = invoke(served, URN)
    waited = fgs(["wait", URN, request_id, "--timeout", "20", "--poll", "0.05"], served.env())
    status = fgs(["status", URN, request_id, "--json"], served.env())
    listed = fgs(["list", URN, "--status", "SUCCESS", "--json"], served.env())

    assert (waited.returncode, waited.stderr) == (0, "")
    assert waited.stdout.split("\t")[:2] == [request_id, "SUCCESS"]
    assert json.loads(status.stdout)["status"] == "SUCCESS"
    assert request_id in [json.loads(line)["request_id"] for line in listed.stdout.splitlines()]


def test_a_failing_function_makes_wait_exit_1_with_its_error_code(served: Mock) -> None:
    request_id = invoke(served, FAILING)
    waited = fgs(["wait", FAILING, request_id, "--timeout", "20", "--poll", "0.05"], served.env())

    assert waited.returncode == 1
    fields = waited.stdout.rstrip("\n").split("\t")
    assert fields[:2] == [request_id, "FAIL"]
    assert "4301" in fields


def test_a_cancelled_run_ends_fail_and_an_unknown_one_is_the_documented_400(served: Mock) -> None:
    request_id = invoke(served, SLOW)
    cancelled = fgs(["cancel", SLOW, request_id], served.env())
    unknown = fgs(["cancel", SLOW, "no-such-request"], served.env())
    waited = fgs(["wait", SLOW, request_id, "--timeout", "20", "--poll", "0.05"], served.env())

    assert (cancelled.returncode, cancelled.stdout, cancelled.stderr) == (0, "", "")
    assert (unknown.returncode, unknown.stderr) == (1, "fgs: HTTP 400 FSS.0400: Invalid RequestId\n")
    assert waited.returncode == 1
    assert waited.stdout.split("\t")[:2] == [request_id, "FAIL"]

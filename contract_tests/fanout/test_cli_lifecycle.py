"""`fgs status`, `fgs wait`, `fgs cancel` and `fgs list` in child processes, against the scripted fake."""

from __future__ import annotations

import json
import os
from collections import deque

import pytest

from contract_tests.fanout.cli_harness import fgs
from contract_tests.safe_client.lifecycle_fake import BASE_TIME, TOKEN, Fake, Stage, error, fixtures, run
from contract_tests.support.identities import PROJECT, URN

stage, fake = fixtures()


@pytest.fixture
def env(stage: tuple[Stage, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")}
    return clean | {"FGS_ENDPOINT": stage[1], "FGS_PROJECT_ID": PROJECT, "FGS_AUTH_TOKEN": TOKEN}


def one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_status_prints_one_tab_separated_line_or_json(fake: Fake, env: dict[str, str]) -> None:
    fake.runs = [run("r-1", "FAIL", BASE_TIME, error_code=4208, error_message="function\tinvocation canceled")]
    plain = fgs(["status", URN, "r-1"], env)
    as_json = fgs(["status", URN, "r-1", "--json"], env)

    assert (plain.returncode, plain.stderr) == (0, "")
    assert plain.stdout == (
        "r-1\tFAIL\t2026-11-30T10:00:00+00:00\t2026-11-30T10:00:02+00:00\t4208\tfunction invocation canceled\n"
    )
    assert json.loads(as_json.stdout) == {
        "request_id": "r-1",
        "status": "FAIL",
        "start_time": "2026-11-30T10:00:00+00:00",
        "end_time": "2026-11-30T10:00:02+00:00",
        "error_code": 4208,
        "error_message": "function\tinvocation canceled",
    }


def test_status_of_an_unknown_id_is_one_line_and_exit_1(fake: Fake, env: dict[str, str]) -> None:
    done = fgs(["status", URN, "nope"], env)
    assert done.returncode == 1
    assert one_line_error(done.stderr) == "fgs: no asynchronous invocation 'nope' in the query's answer"


@pytest.mark.parametrize(("ending", "exit_status"), [("SUCCESS", 0), ("FAIL", 1), ("DISCARD", 1)])
def test_wait_exits_by_how_the_run_ended(fake: Fake, env: dict[str, str], ending: str, exit_status: int) -> None:
    fake.runs = [run("r-1", "WAIT", BASE_TIME)]
    fake.statuses["r-1"] = deque(["WAIT", "RUNNING", ending])
    done = fgs(["wait", URN, "r-1", "--poll", "0.01"], env)

    assert (done.returncode, done.stderr) == (exit_status, "")
    assert done.stdout.split("\t")[:2] == ["r-1", ending]
    assert len(fake.seen) == 3


def test_wait_that_runs_out_of_time_exits_124_with_the_last_status(fake: Fake, env: dict[str, str]) -> None:
    fake.runs = [run("r-1", "RUNNING", BASE_TIME)]
    done = fgs(["wait", URN, "r-1", "--timeout", "0.2", "--poll", "0.05"], env)
    assert (done.returncode, done.stdout) == (124, "")
    assert one_line_error(done.stderr).endswith("last status: RUNNING")


def test_cancel_is_silent_on_success_and_reports_the_documented_400(fake: Fake, env: dict[str, str]) -> None:
    fake.runs = [run("r-1", "RUNNING", BASE_TIME)]
    done = fgs(["cancel", URN, "r-1"], env)
    again = fgs(["cancel", URN, "r-1"], env)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert json.loads(fake.seen[0].body) == {"request_id": "r-1"}
    assert again.returncode == 1
    assert one_line_error(again.stderr) == "fgs: HTTP 400 FSS.0400: Invalid RequestId"


def test_list_prints_every_page_and_sends_the_filters(fake: Fake, env: dict[str, str]) -> None:
    ids = fake.add_runs(70, status="FAIL")  # more than one page of 64
    fake.add_runs(3, status="SUCCESS", start=70)
    done = fgs(
        ["list", URN, "--status", "FAIL", "--since", "2026-11-30T10:00:00", "--until", "2026-11-30T13:10+02:00"], env
    )
    as_json = fgs(["list", URN, "--status", "FAIL", "--json"], env)

    assert (done.returncode, done.stderr) == (0, "")
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == ids
    assert [json.loads(line)["request_id"] for line in as_json.stdout.splitlines()] == ids
    query = fake.seen[0].query
    assert (query["status"], query["query_begin_time"], query["query_end_time"]) == (
        "FAIL",
        "2026-11-30T10:00:00",
        "2026-11-30T11:10:00",
    )
    assert [s.query["marker"] for s in fake.seen[:2]] == ["0", "64"]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["list", URN, "--since", "yesterday"], "argument --since: 'yesterday' is not an ISO 8601 time"),
        (["list", URN, "--status", "DONE"], "argument --status: invalid choice: 'DONE'"),
        (["wait", URN, "r", "--timeout", "0"], "argument --timeout: '0' is not a positive float"),
        (["status", URN, "a b"], "fgs: request_id must be 1 to 64 visible ASCII characters"),
        (["cancel", "..", "r"], "fgs: function_urn '..' would change the request path"),
        (["status", URN], "the following arguments are required: REQUEST_ID"),
    ],
)
def test_usage_errors_are_one_line_exit_2_and_nothing_is_sent(
    fake: Fake, env: dict[str, str], args: list[str], says: str
) -> None:
    done = fgs(args, env)
    assert done.returncode == 2
    assert says in one_line_error(done.stderr)
    assert fake.seen == []


def test_a_refusal_is_one_line_without_the_token(fake: Fake, env: dict[str, str]) -> None:
    fake.answers.append((401, error("FSS.0401", f"invalid token {TOKEN}")))
    done = fgs(["list", URN], env)
    assert done.returncode == 1
    assert one_line_error(done.stderr) == "fgs: HTTP 401 FSS.0401: invalid token <redacted>"
    assert TOKEN not in done.stdout + done.stderr

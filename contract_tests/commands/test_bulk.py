"""`fgs` for bulk work, in child processes against the mock: events from stdin, the journal as JSON lines,
a wrong credential stops the run, refused lines are resent when asked, a refused connection is not an
unknown outcome, the async config, and `fgs wait` on an id the endpoint refuses."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract_tests.fanout.cli_harness import URN, Mock, command, fgs, mock, write_events
from fgs_mock import DEFAULT_PROJECT_ID

EVENTS = 40


@pytest.fixture
def served() -> Iterator[Mock]:
    with mock() as m:
        yield m


def _journal(path: Path, env: dict[str, str]) -> list[dict[str, object]]:
    shown = fgs(["journal", str(path)], env)
    assert shown.returncode == 0, shown.stderr
    return [json.loads(line) for line in shown.stdout.splitlines()]


def test_events_from_stdin_and_the_journal_as_json_lines(served: Mock, tmp_path: Path) -> None:
    journal = tmp_path / "run.journal"
    lines = "".join(json.dumps({"seq": n}) + "\n" for n in range(3))
    result = subprocess.run(
        command("invoke-many", URN, "-", "--journal", str(journal)),
        input=lines,
        env=served.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    ids = served.request_ids()
    assert _journal(journal, served.env()) == [
        {"line": n + 1, "state": "accepted", "status": 202, "request_id": ids[n], "error": None} for n in range(3)
    ]
    refused = fgs(["invoke-many", URN, "-"], served.env())
    assert (refused.returncode, refused.stderr) == (
        2,
        "fgs: events from stdin (-) need --journal: a rerun finds what was sent there\n",
    )
    missing = fgs(["journal", str(tmp_path / "none")], served.env())
    assert (missing.returncode, missing.stderr) == (2, f"fgs: no such journal: {tmp_path / 'none'}\n")


def test_a_wrong_token_stops_the_run_and_retry_failed_resends_after_the_fix(served: Mock, tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl", EVENTS)
    wrong = fgs(["invoke-many", URN, str(events), "--concurrency", "2"], served.env(FGS_AUTH_TOKEN="wrong-token"))
    assert wrong.returncode == 1
    assert "fgs: stopped: the first answers refused the credentials (HTTP 401)" in wrong.stderr
    assert "wrong-token" not in wrong.stderr + wrong.stdout
    refused_calls = httpx.get(f"{served.url}/_mock/invocations").json()["answered"].get("401", 0)
    assert 0 < refused_calls < EVENTS // 2  # the calls in flight when the first 401 came, not every line
    rows = _journal(events.with_name("events.jsonl.journal"), served.env())
    refused = [int(str(row["line"])) for row in rows if row["state"] == "failed"]
    assert refused
    assert all(row["status"] == 401 for row in rows if row["state"] == "failed")
    again = fgs(["invoke-many", URN, str(events)], served.env())
    assert again.returncode == 1  # the refused lines stay failed until asked
    assert served.seqs().keys() & {line - 1 for line in refused} == set()
    fixed = fgs(["invoke-many", URN, str(events), "--retry-failed"], served.env())
    assert fixed.returncode == 0, fixed.stderr
    assert sorted(served.seqs().items()) == [(n, 1) for n in range(EVENTS)]


def test_a_refused_connection_is_recorded_as_not_sent_and_sent_on_the_rerun(served: Mock, tmp_path: Path) -> None:
    events = write_events(tmp_path / "events.jsonl", 5)
    journal = tmp_path / "j"
    dead = served.env(FGS_ENDPOINT="http://127.0.0.1:9")
    first = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], dead)
    assert first.returncode == 1
    assert "unknown outcome" not in first.stderr
    assert "5 not sent" in first.stdout
    assert {row["state"] for row in _journal(journal, dead)} == {"pending"}
    rerun = fgs(["invoke-many", URN, str(events), "--journal", str(journal)], served.env())
    assert rerun.returncode == 0, rerun.stderr
    assert sorted(served.seqs().items()) == [(n, 1) for n in range(5)]


def test_config_get_put_delete(served: Mock) -> None:
    env = served.env()
    put = fgs(
        ["config", "put", URN, "--data", '{"max_async_retry_attempts": 2, "max_async_event_age_in_seconds": 600}'], env
    )
    assert put.returncode == 0, put.stderr
    stored = json.loads(put.stdout)
    assert (stored["max_async_retry_attempts"], stored["max_async_event_age_in_seconds"]) == (2, 600)
    got = fgs(["config", "get", URN], env)
    assert json.loads(got.stdout) == stored
    assert fgs(["config", "delete", URN], env).returncode == 0
    gone = fgs(["config", "get", URN], env)
    assert gone.returncode == 1
    assert gone.stderr.startswith("fgs: HTTP 404 FSS.0404")
    bad = fgs(["config", "put", URN, "--data", '{"max_async_retry_attempts": 4}'], env)
    assert bad.returncode == 2
    assert "max_retry_attempts must be within 0..3" in bad.stderr


def test_wait_on_an_id_the_endpoint_refuses_fails_at_once(served: Mock) -> None:
    missing_function = f"urn:fss:eu-de:{DEFAULT_PROJECT_ID}:function:default:nothing:latest"
    # --timeout 600: the subprocess bound (120 s) fails the test if wait polls instead of failing.
    result = fgs(["wait", missing_function, "0" * 32, "--timeout", "600"], served.env(), timeout=120)
    assert result.returncode == 1
    assert result.stderr.startswith("fgs: HTTP 404 FSS.1051")

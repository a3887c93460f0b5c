"""The schemathesis CLI, run as a user would run it against `fgs-mock`, finds nothing that is not argued.

`schemathesis run` with every check and all four phases (examples, coverage, fuzzing, stateful), the
path parameters pinned to the mock's tenant by contract_tests/schemathesis.toml, and a pinned seed. Its
NDJSON report is read finding by finding: each one must be a false positive argued in
docs/contract-choices.md ("False positives of the schemathesis CLI"), with its premise checked here.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from contract_tests.conftest import ROOT, SPEC_PATH
from contract_tests.support.processes import fgs_mock_on_free_port
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID

BIN = Path(sys.executable).parent  # the environment running the tests has both commands
CONFIG = ROOT / "contract_tests" / "schemathesis.toml"
SEED = 20261206
# About 20 s on a quiet machine, 60 to 115 s while six other test runs share its two cores. Past this
# bound it is taken to hang, and is stopped.
BOUND = 180.0
PHASES = {"examples", "coverage", "fuzzing", "stateful"}
LIST = "GET /v2/{project_id}/fgs/functions/{function_urn}/async-invocations"
CANCEL = "POST /v2/{project_id}/fgs/functions/{function_urn}/cancel"
QUERY_TIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$")  # the spec's pattern


@dataclass(frozen=True)
class Finding:
    """One failed check of one case, with the exchange that failed it."""

    check: str
    code: str
    operation: str
    method: str
    uri: str
    body: Any
    status: int | None
    answer: Any

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.uri).query, keep_blank_values=True))

    def __str__(self) -> str:
        sent = f"{self.method} {self.uri} {self.body!r:.300}"
        return f"{self.code} {self.check} on {self.operation}: {sent} -> {self.status} {self.answer!r:.300}"


def _not_a_date(finding: Finding, accepted: frozenset[str]) -> bool:
    """A query time of the spec's shape that names no date (month 00, day 31 of April): the page's 400."""
    times = [v for k, v in finding.query().items() if k in ("query_begin_time", "query_end_time")]
    return (
        finding.operation == LIST
        and finding.check == "positive_data_acceptance"
        and finding.status == 400
        and any(QUERY_TIME.match(t) and not _real(t) for t in times)
    )


def _real(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


def _no_such_run(finding: Finding, accepted: frozenset[str]) -> bool:
    """A cancel naming no run the mock ever accepted (the page's "xxxx", or a made-up id): the page's 400."""
    request_id = finding.body.get("request_id") if isinstance(finding.body, dict) else None
    return (
        finding.operation == CANCEL
        and finding.check == "positive_data_acceptance"
        and finding.status == 400
        and finding.answer == {"error_code": "FSS.0400", "error_msg": "Invalid RequestId"}
        and request_id not in accepted
    )


# The argued false positives, each explained in docs/contract-choices.md under the same name.
ARGUED: dict[str, Callable[[Finding, frozenset[str]], bool]] = {
    "a query time that names no date": _not_a_date,
    "a cancel of a run that does not exist": _no_such_run,
}


def unargued(findings: list[Finding], accepted: frozenset[str]) -> list[Finding]:
    """The findings no argument covers; `accepted` holds the request_id of every run the mock accepted."""
    return [f for f in findings if not any(argued(f, accepted) for argued in ARGUED.values())]


def _decoded(payload: dict[str, Any] | None) -> Any:
    if not payload:
        return None
    raw = base64.b64decode(payload["$base64"]) if "$base64" in payload else str(payload.get("string", "")).encode()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def read_report(ndjson: Path) -> tuple[list[Finding], set[str], list[str]]:
    """The findings, the phases that ran a scenario, and the errors the run reported."""
    findings: list[Finding] = []
    phases: set[str] = set()
    errors: list[str] = []
    for line in ndjson.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if "NonFatalError" in event or "FatalError" in event:
            errors.append(json.dumps(event)[:500])
        scenario = event.get("ScenarioFinished")
        if scenario is None:
            continue
        phases.add(scenario["phase"])
        recorder = scenario.get("recorder") or {}
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] != "failure":
                    continue
                failure = check["failure_info"]["failure"]
                exchange = recorder.get("interactions", {}).get(case_id, {})
                request, response = exchange.get("request", {}), exchange.get("response") or {}
                findings.append(
                    Finding(
                        check=check["name"],
                        code=failure.get("code", ""),
                        operation=failure["operation"],
                        method=request.get("method", ""),
                        uri=request.get("uri", ""),
                        body=_decoded(request.get("body")),
                        status=response.get("status_code"),
                        answer=_decoded(response.get("content")),
                    )
                )
    return findings, phases, errors


@pytest.fixture(scope="module")
def tenant() -> dict[str, str]:
    # A token of this run's own, so that the test can look for it in everything schemathesis wrote.
    return {
        "FGS_AUTH_TOKEN": f"st-cli-{secrets.token_hex(12)}",
        "FGS_PROJECT_ID": DEFAULT_PROJECT_ID,
        "FGS_FUNCTION_URN": DEFAULT_FUNCTION_URN,
    }


@pytest.fixture(scope="module")
def fgs_mock(tenant: dict[str, str]) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | tenant
    with fgs_mock_on_free_port(BIN / "fgs-mock", env) as base_url:
        yield base_url


@dataclass
class Run:
    returncode: int
    output: str
    reports: Path
    accepted: frozenset[str]  # request_ids of the runs the mock accepted during it


def _accepted(base_url: str) -> frozenset[str]:
    found: set[str] = set()
    marker: object = None
    while True:
        params = {"limit": "1000", **({"marker": str(marker)} if marker is not None else {})}
        page = httpx.get(f"{base_url}/_mock/invocations", params=params, timeout=10).json()
        found.update(call["request_id"] for call in page["invocations"])
        marker = page.get("next_marker")
        if marker is None or not page["invocations"]:
            return frozenset(found)


@pytest.fixture(scope="module")
def run(fgs_mock: str, tenant: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Run:
    home = tmp_path_factory.mktemp("schemathesis")  # its working folder: any cache it writes stays there
    command = [
        str(BIN / "schemathesis"),
        "--config-file",
        str(CONFIG),
        "run",
        str(SPEC_PATH),
        "--url",
        fgs_mock,
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--no-color",
        "--report",
        "ndjson,junit",
        "--report-dir",
        str(home / "reports"),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | tenant
    try:
        done = subprocess.run(command, cwd=home, env=env, capture_output=True, text=True, timeout=BOUND, check=False)
    except subprocess.TimeoutExpired as expired:
        tail = (expired.stdout or b"").decode(errors="replace")[-3000:]
        pytest.fail(f"schemathesis did not finish within {BOUND:g} s and was stopped; its output ended:\n{tail}")
    return Run(done.returncode, done.stdout + done.stderr, home / "reports", _accepted(fgs_mock))


def test_every_finding_of_the_cli_is_an_argued_false_positive(run: Run) -> None:
    # 0: nothing found; 1: findings (each checked below). Anything else is a usage or schema error.
    assert run.returncode in (0, 1), run.output[-4000:]
    (ndjson,) = run.reports.glob("*.ndjson")
    findings, phases, errors = read_report(ndjson)
    assert phases == PHASES, f"phases that ran a scenario: {sorted(phases)}\n{run.output[-3000:]}"
    assert errors == [], errors
    assert run.accepted  # the cancel argument below rests on this list
    left = unargued(findings, run.accepted)
    assert left == [], "findings no argument covers:\n" + "\n".join(str(f) for f in left)
    assert (run.returncode == 1) == bool(findings), run.output[-3000:]


def test_the_stateful_phase_followed_both_declared_links(run: Run) -> None:
    assert re.search(r"API Links:\s+2 covered / 2 selected / 2 total", run.output), run.output[-3000:]


def test_the_token_is_in_no_output_or_report(run: Run, tenant: dict[str, str]) -> None:
    token = tenant["FGS_AUTH_TOKEN"]
    assert "[Filtered]" in "".join(p.read_text(encoding="utf-8") for p in run.reports.iterdir())
    for text in (run.output, *(p.read_text(encoding="utf-8") for p in run.reports.iterdir())):
        assert token not in text


def _finding(
    operation: str, uri: str, status: int, answer: Any, check: str = "positive_data_acceptance", body: Any = None
) -> Finding:
    method = operation.split()[0]
    return Finding(check, "ST202", operation, method, uri, body, status, answer)


INVALID_ID = {"error_code": "FSS.0400", "error_msg": "Invalid RequestId"}
ACCEPTED = frozenset({"1167bf8c-87b0-43ab-8f5f-26b16c64f252"})
XXXX, REAL = {"request_id": "xxxx"}, {"request_id": "1167bf8c-87b0-43ab-8f5f-26b16c64f252"}


@pytest.mark.parametrize(
    "finding",
    [
        _finding(LIST, "http://h/p?query_begin_time=0000-00-00T00%3A00%3A00", 400, {}),
        _finding(LIST, "http://h/p?limit=5&query_end_time=2026-04-31T10%3A00%3A00", 400, {}),
        _finding(CANCEL, "http://h/p", 400, INVALID_ID, body=XXXX),
    ],
)
def test_the_argued_findings_are_recognised(finding: Finding) -> None:
    assert unargued([finding], ACCEPTED) == []


@pytest.mark.parametrize(
    "finding",
    [
        # The same symptoms without the argued premise are real findings.
        _finding(LIST, "http://h/p?query_begin_time=2026-04-30T10%3A00%3A00", 400, {}),
        _finding(LIST, "http://h/p?query_begin_time=0000-00-00T00%3A00%3A00", 500, {}),
        _finding(LIST, "http://h/p?query_begin_time=0000-00-00T00%3A00%3A00", 400, {}, check="not_a_server_error"),
        _finding(CANCEL, "http://h/p", 400, INVALID_ID, body=REAL),  # a run the mock accepted
        _finding(CANCEL, "http://h/p", 400, {"error_code": "FSS.0400", "error_msg": "Invalid parameter."}, body=XXXX),
        _finding(CANCEL, "http://h/p", 404, INVALID_ID, body=XXXX),
        _finding("PUT /v2/{project_id}/fgs/functions/{function_urn}/async-invoke-config", "http://h/p", 400, {}),
        _finding(CANCEL, "http://h/p", 200, None, check="negative_data_rejection", body=XXXX),
    ],
)
def test_anything_else_is_a_finding(finding: Finding) -> None:
    assert unargued([finding], ACCEPTED) == [finding]

"""The suite fails every deliberately broken endpoint and passes every correct one, however configured.

Each case runs the whole endpoint suite in a child pytest against a server this process starts.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from contract_tests.mock.harness import SuiteRun, run_endpoint_suite, run_suite
from contract_tests.mock.mutants import BROKEN, CORRECT, Known, Variant, accepts_any_token, echoes_the_token
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID

KNOWN = Known(token="tok-" + "a1b2c3d4" * 4, project_id=DEFAULT_PROJECT_ID, function_urn=DEFAULT_FUNCTION_URN)
CANARY = "CANARY-token-7f3a9c51e2d84b06"
CANARY_ENDPOINT = Variant("accepts-any-token-and-echoes-it", before=accepts_any_token, after=echoes_the_token)
BUDGET = 8


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    jobs: dict[str, tuple[Variant, Known, dict[str, str], bool]] = {
        **{v.name: (v, KNOWN, {}, False) for v in CORRECT},
        **{v.name: (v, KNOWN, {}, True) for v in BROKEN},
        # Live budget: a correct endpoint, a small budget; the run must pass and stay within it.
        "budget": (CORRECT[0], KNOWN, {"FGS_MAX_INVOCATIONS": str(BUDGET)}, False),
        # A broken endpoint that quotes a recognisable token in its answers, which the failure reports
        # quote in turn: the token must be scrubbed from all of them.
        "canary": (CANARY_ENDPOINT, KNOWN._replace(token=CANARY), {}, False),
    }
    folders = {name: tmp_path_factory.mktemp(name) for name in jobs}

    def one(name: str) -> tuple[str, SuiteRun]:
        variant, known, env, first_failure = jobs[name]
        return name, run_suite(variant, known, folders[name], env=env, first_failure=first_failure)

    # Each child run mostly waits on loopback round trips; three at a time fill two cores.
    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(one, jobs))


@pytest.mark.parametrize("variant", [v.name for v in CORRECT])
def test_suite_passes_a_correct_endpoint(runs: dict[str, SuiteRun], variant: str) -> None:
    run = runs[variant]
    assert run.returncode == 0, run.output[-4000:]
    summary = (run.reports / "contract-summary.md").read_text()
    assert "failed" not in summary
    assert (run.reports / "junit.xml").is_file()


@pytest.mark.parametrize("variant", [v.name for v in BROKEN])
def test_suite_fails_a_broken_endpoint(runs: dict[str, SuiteRun], variant: str) -> None:
    run = runs[variant]
    # Exit code 1 is "tests failed"; anything else would be the suite itself breaking.
    assert run.returncode == 1, run.output[-4000:]
    assert run.failed_checks, run.output[-4000:]


def test_live_run_stays_within_its_invocation_budget(runs: dict[str, SuiteRun]) -> None:
    run = runs["budget"]
    assert run.returncode == 0, run.output[-4000:]
    assert 0 < len(run.backend.invocations) <= BUDGET
    assert f"of {BUDGET}; skipped for budget:" in (run.reports / "contract-summary.md").read_text()


def test_token_never_appears_in_output_or_reports(runs: dict[str, SuiteRun]) -> None:
    run = runs["canary"]
    assert run.returncode == 1, run.output[-4000:]
    assert len(run.failed_checks) >= 3
    assert "[REDACTED]" in run.output  # failure reports did quote the token, and were scrubbed
    for text in (run.output, *(p.read_text() for p in run.reports.iterdir() if p.is_file())):
        assert CANARY not in text


def test_live_mode_without_its_variables_is_a_clear_error(tmp_path: Path) -> None:
    result = run_endpoint_suite({"FGS_ENDPOINT": "http://127.0.0.1:9", "FGS_REPORTS_DIR": str(tmp_path)})
    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    assert "missing: FGS_PROJECT_ID, FGS_AUTH_TOKEN, FGS_FUNCTION_URN" in result.stderr

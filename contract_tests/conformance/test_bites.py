"""fgs-conformance fails every deliberately broken endpoint and passes every correct one, however configured.

Each case runs the tool in a child process against a server this process starts. A broken endpoint is
checked only by the checks that must catch it: more checks could only add failures. The broken mocks of
broken.py are run once, by the installed command, in package/test_conformance_wheel.py: what it shows of
the wheel built from this checkout holds for the checkout.
"""

from __future__ import annotations

import re

import pytest

from contract_tests.auth.keys import SK
from contract_tests.conformance.broken_lifecycle import BROKEN_LIFECYCLE
from contract_tests.conformance.broken_tenant import BROKEN_TENANT, MEANT_FOR
from contract_tests.conformance.busy import (
    BUSY,
    NO_PROGRESS,
    NO_PROGRESS_SAYS,
    RATE,
    RETRY_AFTER,
    Busy,
    TooManyRequests,
    stop_feeding,
)
from contract_tests.conformance.gateway import API_GATEWAY
from contract_tests.conformance.lifecycle_endpoint import EMPTY_STRING_READINGS, OTHER_LIFECYCLE_READINGS
from contract_tests.conformance.signed import CORRECT_SIGNED, SignedVariant, credentials_env
from contract_tests.mock.harness import Job, SuiteRun, run_many
from contract_tests.mock.mutants import (
    CORRECT,
    REFUSES_VALID_TOKENS,
    Known,
    Variant,
    accepts_any_token,
    echoes_the_token,
)
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID

KNOWN = Known(token="tok-" + "a1b2c3d4" * 4, project_id=DEFAULT_PROJECT_ID, function_urn=DEFAULT_FUNCTION_URN)
CANARY = "CANARY-token-7f3a9c51e2d84b06"
CANARY_ENDPOINT = Variant("accepts-any-token-and-echoes-it", before=accepts_any_token, after=echoes_the_token)
SMALL_BUDGET = 8
DEFAULT_BUDGET = CORRECT[0].name  # the plain mock: its run has the default budget (the others 200)
ALL_CORRECT = [*CORRECT, API_GATEWAY, OTHER_LIFECYCLE_READINGS, EMPTY_STRING_READINGS, *CORRECT_SIGNED, BUSY]
# Live, the config and cancel checks run only when asked; a lost run is waited for this long, not the default 30 s.
LIFECYCLE_ENV = {"FGS_ALLOW_CONFIG_CHANGES": "1", "FGS_ALLOW_CANCEL": "1", "FGS_LIFECYCLE_TIMEOUT": "2"}
# The busy function once more, with one page per listing: too few to list the suite's own window. That
# window spans 3 to 5 s (whole seconds around the suite's runs): at twice the rate it always holds more
# than a page of 64, however quickly the suite's runs follow each other.
BUSY_ONE_PAGE = Busy("busy-function-one-page", caught_by=("pagination", "filters"), rate=2 * RATE)
# Correct, and refuses each later page once with 429 and Retry-After (run with the checks that page).
ASKS_TO_WAIT = TooManyRequests()
RATE_LIMITED = Variant("answers-429-with-retry-after", after=ASKS_TO_WAIT, caught_by=("pagination",))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    jobs: dict[str, Job] = {
        **{v.name: (v, KNOWN, credentials_env(v) | LIFECYCLE_ENV) for v in ALL_CORRECT},
        **{v.name: (v, KNOWN, LIFECYCLE_ENV) for v in (*BROKEN_LIFECYCLE, *BROKEN_TENANT, *NO_PROGRESS)},
        BUSY_ONE_PAGE.name: (BUSY_ONE_PAGE, KNOWN, LIFECYCLE_ENV | {"FGS_MAX_PAGES": "1", "FGS_FAIL_ON_SKIP": "1"}),
        RATE_LIMITED.name: (RATE_LIMITED, KNOWN, LIFECYCLE_ENV),
        REFUSES_VALID_TOKENS.name: (REFUSES_VALID_TOKENS, KNOWN, {}),
        # Live budgets on a correct endpoint: the default must cover every check that needs an
        # invocation, the opt-in ones included (the plain mock's run above, with the default budget for
        # 200: it passes like every correct endpoint); a small one must hold, and say what it left out.
        DEFAULT_BUDGET: (CORRECT[0], KNOWN, {**LIFECYCLE_ENV, "FGS_MAX_INVOCATIONS": ""}),
        "small-budget": (CORRECT[0], KNOWN, {"FGS_MAX_INVOCATIONS": str(SMALL_BUDGET)}),
        # Quotes a recognisable token in its answers, which failure reports would quote in turn.
        "canary": (CANARY_ENDPOINT, KNOWN._replace(token=CANARY), {}),
    }
    try:
        return run_many(jobs, tmp_path_factory)
    finally:
        stop_feeding()  # their windows are over: later tests in this process see no busy function


@pytest.mark.parametrize("variant", [v.name for v in ALL_CORRECT])
def test_suite_passes_a_correct_endpoint(runs: dict[str, SuiteRun], variant: str) -> None:
    run = runs[variant]
    assert run.returncode == 0, run.output[-4000:]
    assert "\nconformant\n" in run.output
    assert "| failed" not in (run.reports / "report.md").read_text()
    assert (run.reports / "junit.xml").is_file()


def assert_caught(run: SuiteRun, variant: Variant) -> None:
    assert run.returncode == 1, run.output[-4000:]
    # The last check named is the one meant to catch it (earlier ones only produce the traffic).
    assert variant.caught_by[-1] in run.failed_checks, run.output[-4000:]


@pytest.mark.parametrize("variant", [*BROKEN_LIFECYCLE, *BROKEN_TENANT, *NO_PROGRESS], ids=lambda v: v.name)
def test_suite_fails_a_broken_endpoint(runs: dict[str, SuiteRun], variant: Variant) -> None:
    assert_caught(runs[variant.name], variant)


def test_the_empty_string_dialect_was_seen_pending(runs: dict[str, SuiteRun]) -> None:
    # Its pass means something only if the suite was shown "" where a run's time did not exist yet.
    assert runs[EMPTY_STRING_READINGS.name].returncode == 0
    assert EMPTY_STRING_READINGS.built[-1].pending_served > 0


def test_an_empty_end_time_of_a_final_run_is_named(runs: dict[str, SuiteRun]) -> None:
    output = runs["final-end-time-empty"].output
    assert "A final run has ended, so its end_time is not the empty string" in output, output[-4000:]


@pytest.mark.parametrize("variant", BROKEN_TENANT, ids=lambda v: v.name)
def test_a_tenant_break_fails_the_isolation_tests_meant_for_it_only(
    runs: dict[str, SuiteRun], variant: Variant
) -> None:
    output = runs[variant.name].output
    failed = {name.split(" [")[0] for name in re.findall(r"^  FAIL  isolation +(.+)$", output, re.MULTILINE)}
    meant = MEANT_FOR[variant.name]
    assert meant[0] in failed, output[-4000:]
    assert failed <= set(meant), output[-4000:]


def test_an_endpoint_refusing_the_valid_token_cannot_be_tested(runs: dict[str, SuiteRun]) -> None:
    run = runs[REFUSES_VALID_TOKENS.name]
    assert run.returncode == 3, run.output[-4000:]
    assert "cannot test: the credentials or function were refused: 401 FSS.0401" in run.output
    assert len(run.backend.invocations) <= 1


def test_the_default_live_budget_covers_every_check_that_needs_an_invocation(runs: dict[str, SuiteRun]) -> None:
    run = runs[DEFAULT_BUDGET]
    assert run.returncode == 0, run.output[-4000:]
    assert run.summary_number("invocations caused") == len(run.backend.invocations) <= 25
    assert "(0 for the invocation budget)" in run.output, run.output[-4000:]
    assert "left out for the budget" not in run.output
    # The lifecycle checks follow runs of their own, and the stateful run starts some: all of them ran.
    for check in ("isolation", "lifecycle", "pagination", "filters", "lifecycle-shapes", "async-config", "stateful"):
        assert re.search(rf"^  ok    {check} ", run.output, re.MULTILINE), run.output[-4000:]
        assert not re.search(rf"^  skip  {check} ", run.output, re.MULTILINE), run.output[-4000:]


def test_a_small_live_budget_holds_and_says_what_it_left_out(runs: dict[str, SuiteRun]) -> None:
    run = runs["small-budget"]
    assert run.returncode == 0, run.output[-4000:]
    assert 0 < len(run.backend.invocations) == run.summary_number("invocations caused") <= SMALL_BUDGET
    skipped_for_budget = re.search(r"(\d+) skipped \((\d+) for the invocation budget\)", run.output)
    assert skipped_for_budget is not None
    assert int(skipped_for_budget.group(2)) > 0  # counted as skipped, never as passed
    assert "invocation budget spent" in run.output
    assert "left out for the budget: " in run.output


def test_token_never_appears_in_output_or_reports(runs: dict[str, SuiteRun]) -> None:
    run = runs["canary"]
    assert run.returncode == 1, run.output[-4000:]
    assert len(run.failed_checks) >= 3
    assert "quoted a token it was sent" in run.output
    for text in (run.output, *(p.read_text() for p in run.reports.iterdir() if p.is_file())):
        assert CANARY not in text


def test_a_lost_run_is_waited_for_the_lifecycle_timeout_only(runs: dict[str, SuiteRun]) -> None:
    output = runs["loses-accepted-runs"].output
    assert f"was not listed within {LIFECYCLE_ENV['FGS_LIFECYCLE_TIMEOUT']} s" in output, output[-4000:]


def assert_no_secret_key(run: SuiteRun) -> None:
    for text in (run.output, *(p.read_text() for p in run.reports.iterdir() if p.is_file())):
        assert SK[:-1] not in text  # nor the near-miss secrets the check signs with


def test_the_secret_key_never_appears_in_output_or_reports(runs: dict[str, SuiteRun]) -> None:
    # Here the correct signed endpoints; the broken ones (failure reports) in test_conformance_wheel.py.
    signed = [v.name for v in ALL_CORRECT if isinstance(v, SignedVariant)]
    assert signed
    for name in signed:
        assert_no_secret_key(runs[name])


@pytest.mark.parametrize("variant", NO_PROGRESS, ids=lambda v: v.name)
def test_a_listing_that_makes_no_progress_is_a_break_named_as_such(runs: dict[str, SuiteRun], variant: Variant) -> None:
    run = runs[variant.name]
    assert run.returncode == 1, run.output[-4000:]
    assert NO_PROGRESS_SAYS[variant.name] in run.output, run.output[-4000:]
    assert "too busy" not in run.output


def test_a_busy_function_is_never_failed_and_its_too_busy_skips_are_counted(runs: dict[str, SuiteRun]) -> None:
    run = runs[BUSY_ONE_PAGE.name]
    # One page cannot hold the suite's own window on this function: skipped, counted, never failed.
    assert run.returncode == 4, run.output[-4000:]
    assert run.failed_checks == []
    assert "too busy to check: 1 page of 64 runs, still listing" in run.output
    counted = re.search(r"^skipped as too busy to check: (.+)$", run.output, re.MULTILINE)
    assert counted is not None, run.output[-4000:]
    by_check = dict(re.findall(r"(\S+) \((\d+)\)", counted.group(1)))
    busy_lines = re.findall(r"^  skip  (\S+) .*\n\s+too busy to check", run.output, re.MULTILINE)
    assert busy_lines
    assert {c: str(busy_lines.count(c)) for c in busy_lines} == by_check
    assert f"incomplete: {len(busy_lines)} tests could not conclude, and --fail-on-skip is set" in run.output
    # The reports carry the skips and the verdict too.
    assert "too busy to check: 1 page" in (run.reports / "report.md").read_text()
    assert 'name="verdict"' in (run.reports / "junit.xml").read_text()


def test_a_429_while_paging_is_waited_out_as_retry_after_asks(runs: dict[str, SuiteRun]) -> None:
    run = runs[RATE_LIMITED.name]
    assert run.returncode == 0, run.output[-4000:]
    assert "\nconformant\n" in run.output
    assert ASKS_TO_WAIT.refused, "no page was refused: the test proves nothing"
    assert ASKS_TO_WAIT.served_after.keys() == ASKS_TO_WAIT.refused.keys()  # each refused page was asked again
    for query, refused in ASKS_TO_WAIT.refused.items():
        assert ASKS_TO_WAIT.served_after[query] - refused >= RETRY_AFTER * 0.9, query
    assert re.search(
        r"^\| pagination \| pages list the filtered set once each \| passed \| .*429 \(\d+\)",
        (run.reports / "report.md").read_text(),
        re.MULTILINE,
    )

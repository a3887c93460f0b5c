"""The pytest side of fgs-conformance: fixtures, check order, token scrubbing, one line per test.

The command loads this plugin with pytest's own terminal output switched off, so what the user reads
is these lines and the command's summary; JUnit still comes from pytest.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import TextIO

import httpx
import pytest

from fgs_conformance.checks import check_of
from fgs_conformance.context import current
from fgs_conformance.lifecycle import Lifecycle
from fgs_conformance.report import Outcome, redact
from fgs_conformance.target import Target

# Checks that judge the whole run look at what every other check caused, so they go last; the property
# tests go before them but after the targeted checks, which must get their share of the live budget.
_LAST = {"stateful": 1, "property": 1, "reflection": 2, "request-ids": 2}
OUTPUT: TextIO = sys.stdout


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    run = current()
    with httpx.Client(base_url=run.base_url, timeout=httpx.Timeout(15.0)) as client:
        yield Target(run=run, client=client)


@pytest.fixture(scope="session")
def lifecycle(target: Target) -> Lifecycle:
    # One per run: the lifecycle checks share the runs they invoke, so the budget pays for them once.
    return Lifecycle(target)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: _LAST.get(check_of(item.nodeid), 0))


def pytest_runtest_setup(item: pytest.Item) -> None:
    current().recorder.current = item.nodeid


def _scrub(report: pytest.TestReport) -> None:
    """Blank every token of the run in whatever a report will print or write."""
    secrets = current().secrets
    if report.longrepr is not None and any(s in str(report.longrepr) for s in secrets):
        report.longrepr = redact(str(report.longrepr), secrets)
    report.sections = [(title, redact(text, secrets)) for title, text in report.sections]


def _reason(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = " / ".join(lines[:3]).removeprefix("fgs_conformance.expectations.").removeprefix("ContractBreak: ")
    return redact(first, current().secrets)[:300]  # redacted whole: a cut could leave part of a token


def _readable(nodeid: str) -> str:
    name = nodeid.split("::", 1)[-1]
    function, _, parameters = name.partition("[")
    readable = function.removeprefix("test_").replace("_", " ")
    return f"{readable} [{parameters}" if parameters else readable


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # First, before JUnit takes the report; the reason is read before scrubbing flattens the report.
    reason = _reason(report) if report.outcome != "passed" else ""
    _scrub(report)
    if not (report.when == "call" or (report.when == "setup" and report.outcome != "passed")):
        return
    outcome = Outcome(check_of(report.nodeid), _readable(report.nodeid), report.outcome, reason)
    current().recorder.outcomes[report.nodeid] = outcome
    mark = {"passed": "ok  ", "failed": "FAIL", "skipped": "skip"}[report.outcome]
    line = f"  {mark}  {outcome.check:<16} {outcome.name}"
    OUTPUT.write(f"{line}\n        {outcome.reason}\n" if outcome.reason else f"{line}\n")
    OUTPUT.flush()


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(report: pytest.TestReport) -> None:
    # Again, last: schemathesis rewrites a failed report's text here, after it was logged.
    _scrub(report)

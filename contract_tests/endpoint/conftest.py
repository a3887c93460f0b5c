"""The conformance suite's wiring: target endpoint, live budget, status recording, token redaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from contract_tests.endpoint import report as report_module
from contract_tests.endpoint.target import Budget, ConfigError, Settings, operation_path
from fgs_mock import Backend, create_app, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
SUMMARY_PATH = Path(os.environ.get("FGS_REPORTS_DIR", ROOT / "reports")) / "contract-summary.md"
RECORDER = report_module.Recorder()

try:
    SETTINGS = Settings.from_env()
except ConfigError as exc:
    raise pytest.UsageError(str(exc)) from None

BUDGET = Budget(SETTINGS.max_invocations)


@dataclass
class Target:
    base_url: str
    settings: Settings
    client: httpx.Client = field(repr=False)
    backend: Backend | None = None  # the embedded mock's state; None when live

    def send(
        self,
        *,
        method: str = "POST",
        project_id: str | None = None,
        function_urn: str | None = None,
        token: str | None = "valid",
        content: bytes | None = b"{}",
        content_type: str | None = "application/json",
        extra_headers: dict[str, str] | None = None,
        costs_invocation: bool = False,
    ) -> httpx.Response:
        """One request to the operation. token="valid" sends the real token; None sends none."""
        if costs_invocation and not BUDGET.take():
            pytest.skip(f"live invocation budget spent (FGS_MAX_INVOCATIONS={SETTINGS.max_invocations})")
        headers: dict[str, str] = {}
        if token is not None:
            headers["X-Auth-Token"] = self.settings.token if token == "valid" else token
        if content_type is not None:
            headers["Content-Type"] = content_type
        headers.update(extra_headers or {})
        path = operation_path(project_id or self.settings.project_id, function_urn or self.settings.function_urn)
        response = self.client.request(method, path, content=content, headers=headers)
        RECORDER.saw(response.status_code)
        return response


@pytest.fixture(scope="session")
def target() -> Iterator[Target]:
    with ExitStack() as stack:
        backend = None
        base_url = SETTINGS.endpoint
        if base_url is None:
            backend = Backend.with_defaults(
                token=SETTINGS.token, project_id=SETTINGS.project_id, function_urn=SETTINGS.function_urn
            )
            base_url = stack.enter_context(serve_in_thread(create_app(backend)))
        client = stack.enter_context(httpx.Client(base_url=base_url, timeout=httpx.Timeout(15.0)))
        yield Target(base_url=base_url, settings=SETTINGS, client=client, backend=backend)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Targeted checks first: in live mode they must get their share of the invocation budget.
    items.sort(key=lambda item: "test_property" in item.nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    RECORDER.current = item.nodeid


def _scrub(report: pytest.TestReport) -> None:
    """Blank the token in whatever a report will print or write."""
    secret = SETTINGS.token
    if report.longrepr is not None and secret in str(report.longrepr):
        report.longrepr = report_module.redact(str(report.longrepr), secret)
    report.sections = [(title, report_module.redact(text, secret)) for title, text in report.sections]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # First, before JUnit and the terminal take the report.
    _scrub(report)
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        RECORDER.outcomes[report.nodeid] = report.outcome


@pytest.hookimpl(trylast=True)
def pytest_exception_interact(report: pytest.TestReport) -> None:
    # Again, last: schemathesis rewrites a failed report's text here, after it was logged, and the
    # terminal prints that rewritten text at the end of the run.
    _scrub(report)


def _summary() -> str:
    where = SETTINGS.endpoint or "embedded mock"
    limit = "unlimited (mock)" if BUDGET.limit is None else str(BUDGET.limit)
    budget = f"Invocations caused: {BUDGET.spent} of {limit}; skipped for budget: {BUDGET.refused}"
    return RECORDER.summary(target=where, budget_line=budget)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if RECORDER.outcomes:
        report_module.write(SUMMARY_PATH, _summary())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RECORDER.outcomes:
        terminalreporter.write_sep("-", "contract summary")
        for line in _summary().splitlines():
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"summary written to {SUMMARY_PATH}")

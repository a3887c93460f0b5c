"""fgs-conformance as a command: flags, exit codes 2 and 3, what it prints, what it leaves out."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from xml.etree import ElementTree

import pytest

from contract_tests.conformance.broken import ALL_BROKEN
from contract_tests.conformance.broken_lifecycle import BROKEN_LIFECYCLE
from contract_tests.conftest import ROOT
from contract_tests.mock.harness import run_conformance
from fgs_conformance import checks, cli, context
from fgs_conformance.plugin import _reason
from fgs_conformance.settings import Settings
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread

LIVE = {"FGS_PROJECT_ID": DEFAULT_PROJECT_ID, "FGS_FUNCTION_URN": DEFAULT_FUNCTION_URN}
LIVE_AND_BUDGET = ("FGS_ENDPOINT", "FGS_PROJECT_ID", "FGS_AUTH_TOKEN", "FGS_FUNCTION_URN", "FGS_MAX_INVOCATIONS")
PAGING = ("FGS_MAX_PAGES", "FGS_FAIL_ON_SKIP")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*LIVE_AND_BUDGET, "FGS_LIFECYCLE_TIMEOUT", "FGS_ALLOW_CONFIG_CHANGES", "FGS_ALLOW_CANCEL", *PAGING):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--token", "x"], "unrecognized arguments: --token"),  # the token is never a flag
        (["--check", "nonesuch"], "no check named nonesuch"),
        (["--skip", "nonesuch"], "no check named nonesuch"),
        (["--check", "auth", "--skip", "auth-ish"], "no check named auth-ish"),
        (["--skip", *(a for n in checks.NAMES for a in ("--skip", n))][1:], "leave no check to run"),
        (["--endpoint", "http://127.0.0.1:9"], "missing: FGS_PROJECT_ID, FGS_FUNCTION_URN, FGS_AUTH_TOKEN (or"),
        (["--endpoint", "ftp://host"], "must be an http:// or https:// URL"),
        (["--max-invocations", "many"], "must be a whole number"),
        (["--lifecycle-timeout", "soon"], "lifecycle timeout must be a number of seconds"),
        (["--lifecycle-timeout", "0"], "more than 0 and at most 3600 seconds"),
        (["--seed", "x"], "invalid int value"),
        (["--max-pages", "lots"], "the page limit must be a whole number"),
        (["--max-pages", "0"], "the page limit must be at least 1"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        raise SystemExit(cli.main(argv))
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in out + err


def test_list_checks_names_every_check_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--list-checks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(checks.NAMES)
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_a_closed_port_exits_3_within_seconds_in_a_few_lines(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("FGS_AUTH_TOKEN", "some-token-value")
    started = time.monotonic()
    code = cli.main(["--endpoint", f"http://127.0.0.1:{closed_port()}", "--project-id", "p", "--function-urn", "f"])
    assert code == 3
    assert time.monotonic() - started < 10
    out, err = capsys.readouterr()
    assert "cannot test: " in err
    assert "is unreachable" in err
    assert len((out + err).splitlines()) <= 6


def test_a_wrong_token_exits_3_naming_status_and_code_without_running_checks(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as base_url:
        env.setenv("FGS_AUTH_TOKEN", "a-wrong-token-of-some-length")
        for name, value in LIVE.items():
            env.setenv(name, value)
        code = cli.main(["--endpoint", base_url])
    out, err = capsys.readouterr()
    assert code == 3
    assert "cannot test: the credentials or function were refused: 401 FSS.0401" in err
    assert len(backend.invocations) == 0
    assert len((out + err).splitlines()) <= 6
    assert "a-wrong-token-of-some-length" not in out + err


def test_a_failure_reason_is_redacted_before_it_is_shortened(env: pytest.MonkeyPatch) -> None:
    secret = "secret-token-0123456789abcdef"
    context.begin(context.Run(Settings.resolve({"FGS_AUTH_TOKEN": secret}), base_url="http://127.0.0.1:1"))
    report = pytest.TestReport("checks/auth.py::test_x", ("", 0, ""), {}, "failed", "x" * 290 + secret, "call")
    reason = _reason(report)
    assert secret[:5] not in reason
    assert reason.endswith("[REDACTED]"[: 300 - 290])


def test_a_seed_repeats_the_generated_cases(tmp_path: Path) -> None:
    def statuses(folder: str) -> str:
        report = tmp_path / folder / "report.md"
        result = run_conformance({}, "--check", "property", "--seed", "1234", "--report", str(report))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "seed 1234" in result.stdout
        return next(line for line in report.read_text().splitlines() if line.startswith("| property"))

    assert statuses("one") == statuses("two")


def test_the_embedded_mock_is_used_without_an_endpoint(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    result = run_conformance({"FGS_AUTH_TOKEN": DEFAULT_TOKEN}, "--check", "acceptance", "--junit-xml", str(junit))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "(embedded mock)" in result.stdout
    assert junit.is_file()
    assert "\nconformant\n" in result.stdout


def test_the_docs_document_every_check_exit_code_and_variable() -> None:
    page = (ROOT / "docs" / "conformance.md").read_text()
    ci = page[page.index("## Run the conformance suite in your CI") :]
    assert "pip install 'fgs-async-contract[conformance]'" in ci
    for code in range(4):
        assert f"\n| {code} | " in ci
    variables = ("FGS_ENDPOINT", "FGS_PROJECT_ID", "FGS_FUNCTION_URN", "FGS_AUTH_TOKEN", "FGS_MAX_INVOCATIONS")
    for variable in (*variables, "FGS_LIFECYCLE_TIMEOUT", "FGS_ALLOW_CONFIG_CHANGES", "FGS_ALLOW_CANCEL"):
        assert f"| `{variable}` |" in ci
    for name in checks.NAMES:
        assert f"\n| `{name}` | " in page
    assert f"{len(ALL_BROKEN)} copies of the mock with one defect each fail" in page
    assert f"{len(BROKEN_LIFECYCLE)} more have a defect in the lifecycle operations" in page


def test_a_zero_budget_preflight_costs_nothing_and_still_refuses_a_wrong_token(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as base_url:
        for name, value in LIVE.items():
            env.setenv(name, value)
        env.setenv("FGS_AUTH_TOKEN", "a-wrong-token-of-some-length")
        assert cli.main(["--endpoint", base_url, "--max-invocations", "0"]) == 3
        assert "refused: 401 FSS.0401" in capsys.readouterr().err
        env.setenv("FGS_AUTH_TOKEN", DEFAULT_TOKEN)
        result = run_conformance(
            {**LIVE, "FGS_ENDPOINT": base_url, "FGS_AUTH_TOKEN": DEFAULT_TOKEN, "FGS_MAX_INVOCATIONS": "0"},
            *("--check", "acceptance", "--check", "auth"),
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "preflight: 400 to a body that must be refused" in result.stdout
    assert "invocations caused: 0 of 0" in result.stdout
    assert len(backend.invocations) == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("FGS_MAX_PAGES", "-3", "the page limit must be at least 1"),
        ("FGS_FAIL_ON_SKIP", "maybe", "FGS_FAIL_ON_SKIP must be 1/true/yes or 0/false/no"),
    ],
)
def test_paging_variables_are_checked_like_their_flags(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], variable: str, value: str, message: str
) -> None:
    env.setenv(variable, value)
    assert cli.main(["--check", "acceptance"]) == 2
    assert message in capsys.readouterr().err


def test_max_pages_and_fail_on_skip_come_from_flag_or_environment(env: pytest.MonkeyPatch) -> None:
    assert (Settings.resolve({}).max_pages, Settings.resolve({}).fail_on_skip) == (60, False)
    from_env = Settings.resolve({"FGS_MAX_PAGES": "7", "FGS_FAIL_ON_SKIP": "yes"})
    assert (from_env.max_pages, from_env.fail_on_skip) == (7, True)
    # The command passes its flags as overrides of the same variables: a flag wins over the environment.
    flags = Settings.resolve({"FGS_MAX_PAGES": "7"}, {"FGS_MAX_PAGES": "9", "FGS_FAIL_ON_SKIP": "1"})
    assert (flags.max_pages, flags.fail_on_skip) == (9, True)
    live_env = {**LIVE, "FGS_ENDPOINT": "http://127.0.0.1:9", "FGS_AUTH_TOKEN": "t" * 12, "FGS_MAX_PAGES": "3"}
    live = Settings.resolve(live_env)
    assert live.max_pages == 3


def test_the_flags_reach_the_run() -> None:
    # The flag wins over FGS_MAX_PAGES; FGS_FAIL_ON_SKIP comes from the environment. The embedded mock's
    # own window holds a few runs: pages of two need more than the one page allowed.
    env = {"FGS_MAX_PAGES": "50", "FGS_FAIL_ON_SKIP": "1"}
    result = run_conformance(env, "--check", "pagination", "--max-pages", "1")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "too busy to check: 1 page of 2 runs, still listing" in result.stdout
    assert "\nskipped as too busy to check: pagination (1)\n" in result.stdout
    assert "\nincomplete: 1 tests could not conclude, and --fail-on-skip is set\n" in result.stdout


def _testsuite(junit: Path) -> ElementTree.Element | None:
    return ElementTree.parse(junit).getroot().find("testsuite")  # noqa: S314 - written by the run under test


def test_a_run_that_cannot_test_still_writes_both_reports_with_the_reason(
    env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("FGS_AUTH_TOKEN", "some-token-value")
    junit, markdown = tmp_path / "out" / "junit.xml", tmp_path / "out" / "report.md"
    junit.parent.mkdir()
    junit.write_text("<testsuites><testsuite tests='9'/></testsuites>")  # a stale one from an earlier run
    url = f"http://127.0.0.1:{closed_port()}"
    reports = ["--junit-xml", str(junit), "--report", str(markdown)]
    code = cli.main(["--endpoint", url, "--project-id", "p", "--function-urn", "f", *reports])
    assert code == 3
    capsys.readouterr()
    reason = f"cannot test: {url} is unreachable: ConnectError"
    assert reason in markdown.read_text()
    suite = _testsuite(junit)
    assert suite is not None
    assert (suite.get("tests"), suite.get("errors")) == ("1", "1")
    error = suite.find("testcase/error")
    assert error is not None
    assert error.get("message") == reason
    assert "some-token-value" not in markdown.read_text() + junit.read_text()


def test_a_usage_error_writes_both_reports_with_the_reason(env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    junit, markdown = tmp_path / "junit.xml", tmp_path / "report.md"
    assert cli.main(["--check", "nonesuch", "--junit-xml", str(junit), "--report", str(markdown)]) == 2
    assert "usage error: no check named nonesuch" in markdown.read_text()
    assert "usage error: no check named nonesuch" in junit.read_text()


def test_a_selection_that_tests_nothing_exits_3_and_its_reports_say_why(tmp_path: Path) -> None:
    junit, markdown = tmp_path / "junit.xml", tmp_path / "report.md"
    result = run_conformance(
        {"FGS_AUTH_TOKEN": DEFAULT_TOKEN}, "--check", "signatures", "--junit-xml", str(junit), "--report", str(markdown)
    )
    assert result.returncode == 3, result.stdout + result.stderr
    said = "nothing was tested: every test was skipped: does not apply: the run uses a token"
    assert f"\n{said}" in result.stdout
    assert "\nconformant\n" not in result.stdout
    assert said in markdown.read_text()
    suite = _testsuite(junit)
    assert suite is not None
    assert suite.get("skipped") == "6"  # pytest's own cases are kept, and the verdict is added to them
    error = suite.find("testcase[@name='verdict']/error")
    assert error is not None
    assert said in (error.get("message") or "")


def test_the_live_guide_documents_every_exit_code_and_the_paging_options() -> None:
    guide = (ROOT / "docs" / "conformance-live.md").read_text()
    codes = guide[guide.index("## Exit codes") :]
    for code in (cli.CONFORMANT, cli.BROKEN, cli.USAGE, cli.CANNOT_TEST, cli.INCOMPLETE):
        assert f"\n| {code} | " in codes
    for option in ("--max-pages", "FGS_MAX_PAGES", "--fail-on-skip", "FGS_FAIL_ON_SKIP", "Retry-After"):
        assert option in guide
    ci = (ROOT / "docs" / "conformance.md").read_text()
    assert f"\n| {cli.INCOMPLETE} | " in ci[ci.index("## Run the conformance suite in your CI") :]

"""`pip install 'fgs-async-contract[conformance]'` in a fresh venv gives a working `fgs-conformance`.

Exit 0 against a separately started `fgs-mock`, 1 against every broken mock, 3 against a closed port.
The broken mocks of broken.py are run here only (test_bites.py runs the rest): the installed command is
built from this checkout, so each is caught by the check meant for it in both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from contract_tests.conformance.broken import ALL_BROKEN
from contract_tests.conformance.signed import SignedVariant, credentials_env
from contract_tests.conformance.test_bites import KNOWN, assert_caught, assert_no_secret_key
from contract_tests.mock.harness import Job, SuiteRun, live_env, run_many
from contract_tests.mock.mutants import Variant
from contract_tests.package.conftest import Installed, clean_env
from contract_tests.support.processes import fgs_mock_on_free_port, free_port


@pytest.fixture(scope="module")
def tool(installed: Callable[..., Installed]) -> Installed:
    return installed("conformance")


@pytest.fixture(scope="module")
def fgs_mock(tool: Installed) -> Iterator[str]:
    """The installed `fgs-mock`, in its own process, configured with the known tenant."""
    env = clean_env(
        {"FGS_AUTH_TOKEN": KNOWN.token, "FGS_PROJECT_ID": KNOWN.project_id, "FGS_FUNCTION_URN": KNOWN.function_urn}
    )
    with fgs_mock_on_free_port(tool.bin("fgs-mock"), env, cwd=tool.home) as base_url:
        yield base_url


def test_the_installed_command_passes_a_separately_started_fgs_mock(tool: Installed, fgs_mock: str) -> None:
    result = tool.run("fgs-conformance", "--report", "report.md", env=live_env(fgs_mock, KNOWN))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "\nconformant\n" in result.stdout
    assert (tool.home / "report.md").is_file()
    accepted = httpx.get(f"{fgs_mock}/_mock/invocations").json()["accepted"]
    assert 0 < accepted <= 25


def test_python_dash_m_is_the_same_command(tool: Installed) -> None:
    listed = tool.run("python", "-m", "fgs_conformance", "--list-checks")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == tool.run("fgs-conformance", "--list-checks").stdout


def test_a_wrong_token_cannot_test(tool: Installed, fgs_mock: str) -> None:
    result = tool.run("fgs-conformance", env=live_env(fgs_mock, KNOWN._replace(token="not-the-token-at-all")))
    assert result.returncode == 3, result.stdout + result.stderr
    assert "the credentials or function were refused: 401 FSS.0401" in result.stderr


def test_a_closed_port_exits_3_within_10_seconds(tool: Installed) -> None:
    started = time.monotonic()
    result = tool.run("fgs-conformance", env=live_env(f"http://127.0.0.1:{free_port()}", KNOWN))
    assert result.returncode == 3, result.stdout + result.stderr
    assert time.monotonic() - started < 10
    assert len((result.stdout + result.stderr).splitlines()) <= 6


@pytest.fixture(scope="module")
def broken_runs(tool: Installed, tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    jobs: dict[str, Job] = {v.name: (v, KNOWN, credentials_env(v)) for v in ALL_BROKEN}
    # The installed package's command, forked warm from the venv's interpreter (the script is tested above).
    return run_many(jobs, tmp_path_factory, python=tool.bin("python"))


@pytest.mark.parametrize("variant", ALL_BROKEN, ids=lambda v: v.name)
def test_the_installed_command_fails_every_broken_mock(broken_runs: dict[str, SuiteRun], variant: Variant) -> None:
    assert_caught(broken_runs[variant.name], variant)


def test_accepted_near_misses_are_counted_against_the_budget(broken_runs: dict[str, SuiteRun]) -> None:
    run = broken_runs["accepts-token-one-char-off"]
    assert len(run.backend.invocations) > 1  # the preflight, and near-miss tokens it let through
    assert run.summary_number("invocations caused") == len(run.backend.invocations)


def test_the_secret_key_never_appears_in_output_or_reports(broken_runs: dict[str, SuiteRun]) -> None:
    signed = [v.name for v in ALL_BROKEN if isinstance(v, SignedVariant)]
    assert any(broken_runs[name].returncode == 1 for name in signed)  # failure reports were written too
    for name in signed:
        assert_no_secret_key(broken_runs[name])

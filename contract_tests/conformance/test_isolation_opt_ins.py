"""Live, the checks send cancels only with --allow-cancel and change the config only with --allow-config-changes.

Each run is the tool in a child process against a mock this process serves, which records every
request it is sent; without FGS_ENDPOINT the embedded mock runs every one of these checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from contract_tests.conformance.broken_tenant import BROKEN_TENANT
from contract_tests.conformance.test_bites import KNOWN
from contract_tests.conformance.test_config_changes import CONFIG, ORIGINAL, stored
from contract_tests.conftest import ROOT
from contract_tests.mock.harness import live_env, run_conformance
from contract_tests.mock.mutants import Exchange, Known, wrap
from fgs_mock import Backend, create_app, serve_in_thread

CHECKS = ("--check", "isolation", "--check", "lifecycle")
CANCEL_SKIP = "may stop the function's running requests: pass --allow-cancel (FGS_ALLOW_CANCEL=1)"
CONFIG_SKIP = "changes the function's async config: pass --allow-config-changes (FGS_ALLOW_CONFIG_CHANGES=1)"
# The tests that send a cancel, and those that change the config, as the tool prints them.
CANCEL_TESTS = 5  # the isolation check's three places and the run it follows, and the lifecycle check's one
CONFIG_TESTS = 6  # a PUT and a DELETE, in three places each


@contextmanager
def recorded() -> Iterator[tuple[str, httpx.Client, list[tuple[str, str]]]]:
    """A correct mock that notes each request's method and operation, and a client on the same state."""
    backend = Backend.with_defaults(token=KNOWN.token, project_id=KNOWN.project_id, function_urn=KNOWN.function_urn)
    seen: list[tuple[str, str]] = []

    def note(exchange: Exchange, known: Known) -> None:
        seen.append((exchange.scope["method"], exchange.scope["raw_path"].decode().rsplit("/", 1)[-1]))

    with (
        backend.engine.running(),
        serve_in_thread(wrap(create_app(backend), KNOWN, before=note)) as url,
        serve_in_thread(create_app(backend)) as bare,
        httpx.Client(base_url=bare, headers={"X-Auth-Token": KNOWN.token}) as client,
    ):
        yield url, client, seen


def lines(output: str, mark: str, reason: str) -> list[str]:
    return re.findall(rf"^  {mark}  (?:isolation|lifecycle) +(.+)\n        {re.escape(reason)}$", output, re.MULTILINE)


def test_without_the_opt_ins_no_cancel_or_config_change_is_sent_and_the_skips_say_why() -> None:
    with recorded() as (url, client, seen):
        client.put(CONFIG, json=ORIGINAL).raise_for_status()
        result = run_conformance(live_env(url, KNOWN), *CHECKS)
        assert stored(client) == ORIGINAL
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert len(lines(output, "skip", CANCEL_SKIP)) == CANCEL_TESTS, output
    assert len(lines(output, "skip", CONFIG_SKIP)) == CONFIG_TESTS, output
    changes = {("POST", "cancel"), ("PUT", "async-invoke-config"), ("DELETE", "async-invoke-config")}
    assert seen
    assert not [request for request in seen if request in changes]
    # The config is only read, and a read for another project is still checked.
    assert re.findall(r"^  ok    isolation +a config read naming another project is refused", output, re.MULTILINE)


def test_without_a_config_to_read_the_read_check_says_why_it_shows_nothing() -> None:
    with recorded() as (url, _, _):
        result = run_conformance(live_env(url, KNOWN), "--check", "isolation")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    reason = (
        "the function has no async config, so a 404 for another project shows nothing: "
        "pass --allow-config-changes (FGS_ALLOW_CONFIG_CHANGES=1) to set one for the check"
    )
    assert len(lines(output, "skip", reason)) == 3, output


@pytest.mark.parametrize(
    ("flags", "variables"),
    [
        (("--allow-cancel", "--allow-config-changes"), {}),
        ((), {"FGS_ALLOW_CANCEL": "1", "FGS_ALLOW_CONFIG_CHANGES": "yes"}),
    ],
    ids=["flags", "environment"],
)
def test_with_the_opt_ins_every_cancel_and_config_check_runs_and_the_config_is_restored(
    flags: tuple[str, ...], variables: dict[str, str]
) -> None:
    with recorded() as (url, client, seen):
        client.put(CONFIG, json=ORIGINAL).raise_for_status()
        result = run_conformance(live_env(url, KNOWN) | variables, *CHECKS, *flags)
        assert stored(client) == ORIGINAL
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "  skip  " not in output, output
    assert seen.count(("POST", "cancel")) >= 1 + 3 + 3  # the lifecycle check's, one per place, three on one run
    assert seen.count(("DELETE", "async-invoke-config")) >= 3


def test_the_embedded_mock_runs_every_cancel_and_config_check() -> None:
    result = run_conformance({}, *CHECKS)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "(embedded mock)" in output
    assert "  skip  " not in output, output
    assert len(re.findall(r"^  ok    isolation ", output, re.MULTILINE)) == 16, output


def test_a_malformed_opt_in_is_a_usage_error() -> None:
    result = run_conformance({"FGS_ALLOW_CANCEL": "maybe"}, *CHECKS)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "fgs-conformance: FGS_ALLOW_CANCEL must be 1/true/yes or 0/false/no, not 'maybe'"
    ), result.stderr


def test_the_docs_describe_the_opt_ins_and_count_the_broken_mocks() -> None:
    docs = (ROOT / "docs" / "conformance-checks.md").read_text()
    assert "\n## Tenant isolation\n" in docs
    assert f"has {len(BROKEN_TENANT)} copies of the mock with one defect each" in docs
    for flag in ("`--allow-cancel` | `FGS_ALLOW_CANCEL=1`", "`--allow-config-changes` | `FGS_ALLOW_CONFIG_CHANGES=1`"):
        assert flag in docs

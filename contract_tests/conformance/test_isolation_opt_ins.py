"""Live, the checks send cancels only with --allow-cancel and change the config only with --allow-config-changes.

Each run is the tool in a child process against a mock this process serves, which records every
request it is sent; without FGS_ENDPOINT the embedded mock runs every one of these checks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple
from urllib.parse import unquote

import httpx
import pytest

from contract_tests.conformance.broken_tenant import BROKEN_TENANT
from contract_tests.conformance.test_bites import KNOWN
from contract_tests.conformance.test_config_changes import CONFIG, ORIGINAL, stored
from contract_tests.conftest import ROOT
from contract_tests.mock.harness import live_env, run_conformance
from contract_tests.mock.mutants import Exchange, Known, wrap
from fgs_mock import Backend, create_app, serve_in_thread
from fgs_mock.urn import parse_urn

CHECKS = tuple(a for check in ("isolation", "lifecycle", "lifecycle-shapes", "stateful") for a in ("--check", check))
CANCEL_SKIP = "does not apply: may stop the function's running requests: pass --allow-cancel (FGS_ALLOW_CANCEL=1)"
CONFIG_SKIP = (
    "does not apply: changes the function's async config: pass --allow-config-changes (FGS_ALLOW_CONFIG_CHANGES=1)"
)
# The tests that send a cancel, and those that change the config, as the tool prints them.
# The isolation check's three places and the run it follows, the lifecycle check's two (an unknown and a
# finished run), lifecycle-shapes' three.
CANCEL_TESTS = 9
CONFIG_TESTS = 6  # a PUT and a DELETE, in three places each


class Seen(NamedTuple):
    method: str
    operation: str
    reaches_the_function: bool  # with the token, to the known function's name in whichever project


@contextmanager
def recorded() -> Iterator[tuple[str, httpx.Client, list[Seen]]]:
    """A correct mock that notes each request it is sent, and a client on the same state."""
    backend = Backend.with_defaults(token=KNOWN.token, project_id=KNOWN.project_id, function_urn=KNOWN.function_urn)
    seen: list[Seen] = []
    name = parse_urn(KNOWN.function_urn).name

    def note(exchange: Exchange, known: Known) -> None:
        segments = exchange.scope["raw_path"].decode().split("/")
        urn = unquote(segments[5]) if len(segments) == 7 else ""
        reaches = exchange.header(b"x-auth-token") == known.token.encode() and urn.split(":")[-2:-1] == [name]
        seen.append(Seen(exchange.scope["method"], segments[-1], reaches))

    with (
        backend.engine.running(),
        serve_in_thread(wrap(create_app(backend), KNOWN, before=note)) as url,
        serve_in_thread(create_app(backend)) as bare,
        httpx.Client(base_url=bare, headers={"X-Auth-Token": KNOWN.token}) as client,
    ):
        yield url, client, seen


def cancels(seen: list[Seen]) -> int:
    return sum(request[:2] == ("POST", "cancel") for request in seen)


def lines(output: str, mark: str, reason: str) -> list[str]:
    return re.findall(rf"^  {mark}  \S+ +(.+)\n        {re.escape(reason)}$", output, re.MULTILINE)


def test_without_the_opt_ins_no_cancel_or_config_change_is_sent_and_the_skips_say_why() -> None:
    with recorded() as (url, client, seen):
        client.put(CONFIG, json=ORIGINAL).raise_for_status()
        result = run_conformance(live_env(url, KNOWN), *CHECKS)
        assert stored(client) == ORIGINAL
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert len(lines(output, "skip", CANCEL_SKIP)) == CANCEL_TESTS, output
    assert len(lines(output, "skip", CONFIG_SKIP)) == CONFIG_TESTS, output
    assert seen
    assert cancels(seen) == 0
    # Config writes only where they change nothing: without the token, or to a function that does not exist.
    writes = [r for r in seen if r.operation == "async-invoke-config" and r.method in ("PUT", "DELETE")]
    assert writes
    assert not [r for r in writes if r.reaches_the_function]
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
    assert cancels(seen) >= 1 + 3 + 3  # the lifecycle check's, one per place, three on one run
    assert sum(r[:2] == ("DELETE", "async-invoke-config") and r.reaches_the_function for r in seen) >= 3


def test_the_stateful_check_follows_the_cancel_link_live_only_when_allowed() -> None:
    sent = []
    for flags in ((), ("--allow-cancel",)):
        with recorded() as (url, _, seen):
            result = run_conformance(live_env(url, KNOWN), "--check", "stateful", "--seed", "1", *flags)
        assert result.returncode == 0, result.stdout + result.stderr
        sent.append(cancels(seen))
    assert sent[0] == 0
    assert sent[1] > 0


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

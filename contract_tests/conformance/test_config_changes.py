"""Live, the async-config checks change a function's settings only when asked, and always put them back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from contract_tests.conformance.broken_lifecycle import delete_leaves_the_config
from contract_tests.conformance.test_bites import KNOWN
from contract_tests.mock.harness import live_env, run_conformance
from contract_tests.mock.mutants import CORRECT, Exchange, Known, Variant
from fgs_mock import create_app, serve_in_thread

ORIGINAL = {"max_async_event_age_in_seconds": 77, "max_async_retry_attempts": 0, "enable_async_status_log": False}
CONFIG = f"/v2/{KNOWN.project_id}/fgs/functions/{quote(KNOWN.function_urn, safe='')}/async-invoke-config"


def _answers_puts_with_other_values(exchange: Exchange, known: Known) -> None:
    if exchange.scope["method"] == "PUT" and exchange.status == 200:
        exchange.answer = json.dumps({**json.loads(exchange.answer), "max_async_retry_attempts": 3}).encode()


# Fails both config checks, yet reads honestly: a GET that lied would hide the original from any client.
FAILS_BOTH = Variant("fails-both-config-checks", before=delete_leaves_the_config, after=_answers_puts_with_other_values)


@contextmanager
def served(variant: Variant) -> Iterator[tuple[str, httpx.Client]]:
    """The variant for the suite, and the bare mock on the same state for reading what it holds."""
    app, backend = variant.build(KNOWN)
    with (
        serve_in_thread(app) as url,
        serve_in_thread(create_app(backend)) as bare,
        httpx.Client(base_url=bare, headers={"X-Auth-Token": KNOWN.token}) as client,
    ):
        yield url, client


def stored(client: httpx.Client) -> dict[str, Any] | None:
    response = client.get(CONFIG)
    assert response.status_code in (200, 404), response.text
    return None if response.status_code == 404 else {k: response.json().get(k) for k in ORIGINAL}


def suite(url: str, *flags: str) -> str:
    result = run_conformance(live_env(url, KNOWN), "--check", "async-config", *flags)
    return result.stdout + result.stderr + f"\nexit {result.returncode}"


def test_without_the_opt_in_the_config_is_not_touched() -> None:
    with served(CORRECT[0]) as (url, client):
        client.put(CONFIG, json=ORIGINAL).raise_for_status()
        output = suite(url)
        assert stored(client) == ORIGINAL
    assert output.count("  skip  async-config") == 2, output
    assert "--allow-config-changes (FGS_ALLOW_CONFIG_CHANGES=1)" in output
    # Only skips: the run showed nothing about the endpoint, so it says so rather than "conformant".
    assert "\nnothing was tested: every test was skipped: does not apply: " in output
    assert output.endswith("exit 3")


@pytest.mark.parametrize(
    ("variant", "original"),
    [(CORRECT[0], ORIGINAL), (CORRECT[0], None), (FAILS_BOTH, ORIGINAL)],
    ids=["configured", "absent", "configured-and-failing"],
)
def test_with_the_opt_in_the_original_config_is_restored_pass_or_fail(
    variant: Variant, original: dict[str, Any] | None
) -> None:
    with served(variant) as (url, client):
        if original is not None:
            client.put(CONFIG, json=original).raise_for_status()
        output = suite(url, "--allow-config-changes")
        assert stored(client) == original
    assert output.count("  ok    async-config") == (2 if variant is CORRECT[0] else 0), output
    assert output.endswith("exit 0" if variant is CORRECT[0] else "exit 1"), output

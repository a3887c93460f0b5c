"""A PUT async config reads back as stored, and a DELETE removes it; the original is restored after each.

Live, these change the function's settings, so they run only with --allow-config-changes
(FGS_ALLOW_CONFIG_CHANGES=1); the embedded mock always runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import Lifecycle

# What a PUT may set; the rest of a read config (func_urn, times) is the server's.
WRITABLE = (
    "max_async_event_age_in_seconds",
    "max_async_retry_attempts",
    "destination_config",
    "enable_async_status_log",
)


@pytest.fixture
def config(lifecycle: Lifecycle) -> Iterator[Lifecycle]:
    lifecycle.target.config_changes_or_skip()
    with restoring(lifecycle):
        yield lifecycle


@contextmanager
def restoring(lifecycle: Lifecycle) -> Iterator[None]:
    original = read_config(lifecycle)
    try:
        yield
    finally:
        # Runs when the check failed too: the function keeps the settings it had before the suite.
        if original is None:
            response, _ = lifecycle.call("deleteFunctionAsyncInvokeConfig")
            restored = response.status_code in (204, 404)
        else:
            body = {k: original[k] for k in WRITABLE if original.get(k) is not None}
            restored = lifecycle.call("updateFunctionAsyncInvokeConfig", body=body)[0].status_code == 200
        if not restored:
            raise ContractBreak("the function's original async config could not be restored")


def read_config(lifecycle: Lifecycle) -> dict[str, Any] | None:
    response, body = lifecycle.call("showFunctionAsyncInvokeConfig")
    if response.status_code not in (200, 404):
        raise ContractBreak(f"reading the async config was answered {response.status_code}")
    return body if response.status_code == 200 else None


def different(original: dict[str, Any] | None) -> dict[str, Any]:
    """Values a PUT can set that differ from the original, so that a GET of stale state cannot pass."""
    before = original or {}
    retries = 2 if before.get("max_async_retry_attempts") != 2 else 1
    age = 1234 if before.get("max_async_event_age_in_seconds") != 1234 else 4321
    log = not before.get("enable_async_status_log", False)
    return {"max_async_retry_attempts": retries, "max_async_event_age_in_seconds": age, "enable_async_status_log": log}


def _mismatches(wanted: dict[str, Any], got: dict[str, Any]) -> list[str]:
    return [f"{k}: sent {v!r}, read {got.get(k)!r}" for k, v in wanted.items() if got.get(k) != v]


def test_a_put_config_reads_back_as_stored(config: Lifecycle) -> None:
    wanted = different(read_config(config))
    response, stored = config.call("updateFunctionAsyncInvokeConfig", body=wanted)
    if response.status_code != 200:
        raise ContractBreak(f"a documented config was answered {response.status_code}: {response.text[:200]!r}")
    if mismatches := _mismatches(wanted, stored):
        raise ContractBreak(f"the PUT's answer differs from what was sent: {'; '.join(mismatches)}")
    read = read_config(config)
    if read is None:
        raise ContractBreak("the config just stored reads as 404")
    if mismatches := _mismatches(wanted, read):
        raise ContractBreak(f"the config reads back differently: {'; '.join(mismatches)}")


def test_a_deleted_config_reads_as_404(config: Lifecycle) -> None:
    if config.call("updateFunctionAsyncInvokeConfig", body=different(None))[0].status_code != 200:
        raise ContractBreak("a documented config was not stored")
    response, _ = config.call("deleteFunctionAsyncInvokeConfig")
    if response.status_code != 204:
        raise ContractBreak(f"deleting the config was answered {response.status_code}")
    if read_config(config) is not None:
        raise ContractBreak("the config still reads back after its DELETE")

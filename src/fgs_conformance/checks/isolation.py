"""The query, the cancel and the async config refuse another project, in the path or the URN, and change nothing.

Each operation is sent naming another project in the path and the URN, in the path only (the URN is
the caller's own function), and in the URN only (under the caller's own path, where the function
exists). Each must be refused with a documented 4xx that carries none of the caller's runs or config;
a refused PUT or DELETE must leave the caller's config as it was, and refused cancels must stop nothing.
Live, the cancels run only with --allow-cancel and the config changes only with --allow-config-changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
import pytest

from fgs_conformance.checks.async_config import WRITABLE, different, read_config, restoring
from fgs_conformance.expectations import DOCUMENTED_4XX, ContractBreak
from fgs_conformance.lifecycle import TERMINAL, Lifecycle
from fgs_conformance.settings import Settings
from fgs_conformance.target import another_project_id, urn_in_project

# The error code the stop page gives a run that a cancel stopped.
CANCELLED = 4208
# Keys of a successful answer: a refusal that carries one has served the caller's data anyway.
ANSWER_KEYS = frozenset({"invocations", "count", "next_marker", "func_urn", *WRITABLE})
Elsewhere = tuple[str, str]  # the project_id and function_urn sent
PLACES: dict[str, Callable[[Settings, str], Elsewhere]] = {
    "path-and-urn": lambda s, other: (other, urn_in_project(s.function_urn, other)),
    "path": lambda s, other: (other, s.function_urn),
    "urn": lambda s, other: (s.project_id, urn_in_project(s.function_urn, other)),
}


@pytest.fixture(params=list(PLACES))
def elsewhere(request: pytest.FixtureRequest, lifecycle: Lifecycle) -> Elsewhere:
    """Where the request names another project: in the path and the URN, the path only, or the URN only."""
    settings = lifecycle.target.settings
    return PLACES[request.param](settings, another_project_id(settings.project_id))


def _own_runs(lifecycle: Lifecycle) -> list[str]:
    """The suite's own runs, one invoked if there is none and the budget allows: what a leak would show."""
    if not lifecycle.own and lifecycle.target.run.budget.allows():
        lifecycle.invoke()
    return list(lifecycle.own)


def _refused(what: str, sent: Elsewhere, response: httpx.Response, body: Any, own_runs: Sequence[str] = ()) -> None:
    # Lifecycle.call has already held the answer to a documented status and its shape.
    project, urn = sent
    where = f"project {project}, URN {urn}"
    if response.status_code not in DOCUMENTED_4XX:
        raise ContractBreak(f"{what} for {where} was answered {response.status_code}, not refused")
    keys = sorted(ANSWER_KEYS & set(body)) if isinstance(body, dict) else []
    runs = [request_id for request_id in own_runs if request_id in response.text]
    if keys or runs:
        carried = ", ".join([*(f"'{key}'" for key in keys), *(f"own run {r}" for r in runs[:3])])
        raise ContractBreak(f"{what} for {where} was refused with {response.status_code}, but carries {carried}")


def test_a_query_naming_another_project_is_refused(lifecycle: Lifecycle, elsewhere: Elsewhere) -> None:
    own_runs = _own_runs(lifecycle)
    project, urn = elsewhere
    response, body = lifecycle.call("listAsyncInvocations", project_id=project, function_urn=urn)
    _refused("the query", elsewhere, response, body, own_runs)


def test_a_cancel_naming_another_project_is_refused(lifecycle: Lifecycle, elsewhere: Elsewhere) -> None:
    lifecycle.target.cancels_or_skip()
    own_runs = _own_runs(lifecycle)
    project, urn = elsewhere
    request_id = own_runs[-1] if own_runs else "00000000-0000-0000-0000-000000000000"
    response, body = lifecycle.call(
        "cancelAsyncInvocation", body={"request_id": request_id}, project_id=project, function_urn=urn
    )
    _refused("a cancel", elsewhere, response, body)


def test_cancels_naming_another_project_stop_nothing(lifecycle: Lifecycle) -> None:
    lifecycle.target.cancels_or_skip()
    request_id = lifecycle.invoke()  # a fresh run, so that the cancels find it still going
    settings = lifecycle.target.settings
    for place in PLACES.values():
        project, urn = sent = place(settings, another_project_id(settings.project_id))
        response, body = lifecycle.call(
            "cancelAsyncInvocation", body={"request_id": request_id}, project_id=project, function_urn=urn
        )
        _refused("a cancel", sent, response, body)
    seen, record = lifecycle.history(request_id)
    if record.get("error_code") == CANCELLED:
        raise ContractBreak(f"request_id {request_id} ended {record['status']} {CANCELLED}: refused cancels stopped it")
    if seen[-1] not in TERMINAL:
        pytest.skip(f"the run did not end within {settings.lifecycle_timeout:g} s, so it may yet be stopped")


def test_a_config_read_naming_another_project_is_refused(lifecycle: Lifecycle, elsewhere: Elsewhere) -> None:
    project, urn = elsewhere
    settings = lifecycle.target.settings
    if settings.live and not settings.allow_config_changes:
        own = read_config(lifecycle)
        response, body = lifecycle.call("showFunctionAsyncInvokeConfig", project_id=project, function_urn=urn)
        _refused("reading the config", elsewhere, response, body)
        if own is None:
            pytest.skip(
                "the function has no async config, so a 404 for another project shows nothing: "
                "pass --allow-config-changes (FGS_ALLOW_CONFIG_CHANGES=1) to set one for the check"
            )
        return
    # An endpoint that served the caller's own config instead would answer 404 if there were none.
    with restoring(lifecycle):
        _set_own_config(lifecycle)
        response, body = lifecycle.call("showFunctionAsyncInvokeConfig", project_id=project, function_urn=urn)
        _refused("reading the config", elsewhere, response, body)


def _set_own_config(lifecycle: Lifecycle) -> dict[str, Any]:
    """A config of the caller's own, different from any before, for a refused change to disturb."""
    wanted = different(read_config(lifecycle))
    response, _ = lifecycle.call("updateFunctionAsyncInvokeConfig", body=wanted)
    if response.status_code != 200:
        raise ContractBreak(f"a documented config was answered {response.status_code}: {response.text[:200]!r}")
    return wanted


def _unchanged(lifecycle: Lifecycle, wanted: dict[str, Any], by: str) -> None:
    read = read_config(lifecycle)
    if read is None:
        raise ContractBreak(f"the caller's own config is gone after {by}")
    changed = [f"{k}: {v!r} became {read.get(k)!r}" for k, v in wanted.items() if read.get(k) != v]
    if changed:
        raise ContractBreak(f"the caller's own config changed after {by}: {'; '.join(changed)}")


def test_a_config_put_naming_another_project_is_refused_and_changes_nothing(
    lifecycle: Lifecycle, elsewhere: Elsewhere
) -> None:
    lifecycle.target.config_changes_or_skip()
    project, urn = elsewhere
    with restoring(lifecycle):
        own = _set_own_config(lifecycle)
        response, body = lifecycle.call(
            "updateFunctionAsyncInvokeConfig", body=different(own), project_id=project, function_urn=urn
        )
        _refused("a config PUT", elsewhere, response, body)
        _unchanged(lifecycle, own, "a refused PUT for another project")


def test_a_config_delete_naming_another_project_is_refused_and_changes_nothing(
    lifecycle: Lifecycle, elsewhere: Elsewhere
) -> None:
    lifecycle.target.config_changes_or_skip()
    project, urn = elsewhere
    with restoring(lifecycle):
        own = _set_own_config(lifecycle)
        response, body = lifecycle.call("deleteFunctionAsyncInvokeConfig", project_id=project, function_urn=urn)
        _refused("a config DELETE", elsewhere, response, body)
        _unchanged(lifecycle, own, "a refused DELETE for another project")

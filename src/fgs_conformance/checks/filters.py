"""The query's filters filter: by request_id, by status, and by time window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import STATUSES, TERMINAL, Lifecycle, query_time


def test_request_id_lists_only_that_run(lifecycle: Lifecycle) -> None:
    first, second = lifecycle.runs(2)
    for request_id in (first, second):
        record = lifecycle.appeared(request_id)  # find() refuses any other request_id in the answer
        assert record["request_id"] == request_id


@pytest.mark.parametrize("status", STATUSES)
def test_status_lists_only_runs_in_that_status(lifecycle: Lifecycle, status: str) -> None:
    lifecycle.runs(2)
    others = [r for r in lifecycle.pages(64, status=status, **lifecycle.window()) if r["status"] != status]
    if others:
        raise ContractBreak(f"status={status} listed {others[0]['request_id']} in status {others[0]['status']}")


def test_a_run_is_listed_under_its_own_status(lifecycle: Lifecycle) -> None:
    (request_id,) = lifecycle.runs(1)
    seen, record = lifecycle.history(request_id)
    listed = [r["request_id"] for r in lifecycle.pages(64, status=record["status"], **lifecycle.window())]
    # A run that had not ended may have moved on between the two queries: only a final status is stable.
    if seen[-1] in TERMINAL and request_id not in listed:
        raise ContractBreak(f"request_id {request_id} ended {seen[-1]} yet status={seen[-1]} does not list it")


def test_a_window_before_the_runs_lists_none_of_them(lifecycle: Lifecycle) -> None:
    own = lifecycle.runs(2)
    first = min(lifecycle.accepted[request_id] for request_id in own)
    earlier = {
        "query_begin_time": query_time(first - timedelta(hours=1)),
        "query_end_time": query_time(first - timedelta(minutes=5)),
    }
    listed = {r["request_id"] for r in lifecycle.pages(64, **earlier)}
    inside = [request_id for request_id in own if request_id in listed]
    if inside:
        raise ContractBreak(f"a window that ends before request_id {inside[0]} was accepted lists it")

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
    listing = lifecycle.pages(64, status=status, **lifecycle.window())
    others = [r for r in listing.records if r["status"] != status]  # judged on every record seen
    if others:
        raise ContractBreak(f"status={status} listed {others[0]['request_id']} in status {others[0]['status']}")
    listing.complete()


def test_a_run_is_listed_under_its_own_status(lifecycle: Lifecycle) -> None:
    (request_id,) = lifecycle.runs(1)
    seen, _ = lifecycle.history(request_id)
    final = seen[-1]
    if final not in TERMINAL:  # a run that had not ended may move on between two queries
        timeout = lifecycle.target.settings.lifecycle_timeout
        pytest.skip(f"the run did not end within {timeout:g} s (statuses seen: {', '.join(dict.fromkeys(seen))})")
    window = lifecycle.window()
    # First by its request_id, which settles it however busy the function is; then in the status's listing.
    for status in STATUSES:
        listed = lifecycle.query(request_id=request_id, status=status, **window)["invocations"]
        if (status == final) != bool(listed):
            how = "does not list it" if status == final else "lists it"
            raise ContractBreak(f"request_id {request_id} ended {final}, yet status={status} with its request_id {how}")
    listing = lifecycle.pages(64, status=final, **window)
    if request_id not in {r["request_id"] for r in listing.records}:
        listing.complete()
        raise ContractBreak(f"request_id {request_id} ended {final} yet status={final} does not list it")


def test_a_window_before_the_runs_lists_none_of_them(lifecycle: Lifecycle) -> None:
    own = lifecycle.runs(2)
    first = min(lifecycle.accepted[request_id] for request_id in own)
    earlier = {
        "query_begin_time": query_time(first - timedelta(hours=1)),
        "query_end_time": query_time(first - timedelta(minutes=5)),
    }
    for request_id in own:  # settled by request_id, however many other runs the earlier window holds
        if lifecycle.query(request_id=request_id, **earlier)["invocations"]:
            raise ContractBreak(f"a window that ends before request_id {request_id} was accepted lists it")
    # And in the window's own listing, as far as the run's budget reaches: the request_ids settled it.
    listed = {r["request_id"] for r in lifecycle.pages(64, **earlier).records}
    inside = [request_id for request_id in own if request_id in listed]
    if inside:
        raise ContractBreak(f"a window that ends before request_id {inside[0]} was accepted lists it")

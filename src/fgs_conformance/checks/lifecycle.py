"""An accepted run is listed in time, moves only through documented statuses, and stays ended once ended."""

from __future__ import annotations

import time
import uuid

import pytest

from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import POLL, STATUSES, TERMINAL, Lifecycle, parse_time


def test_an_accepted_request_id_is_listed_within_the_timeout(lifecycle: Lifecycle) -> None:
    request_id = lifecycle.invoke()
    assert lifecycle.appeared(request_id)["request_id"] == request_id


def test_statuses_are_documented_and_a_final_status_never_changes(lifecycle: Lifecycle) -> None:
    (request_id,) = lifecycle.runs(1)
    seen, _ = lifecycle.history(request_id)
    strays = [status for status in seen if status not in STATUSES]
    if strays:
        raise ContractBreak(f"request_id {request_id} went through undocumented statuses {strays}")
    if seen[-1] not in TERMINAL:
        timeout = lifecycle.target.settings.lifecycle_timeout
        pytest.skip(f"the run did not end within {timeout:g} s (statuses seen: {', '.join(dict.fromkeys(seen))})")
    for _ in range(3):
        time.sleep(POLL)
        again = lifecycle.find(request_id)
        if again is None or again["status"] != seen[-1]:
            now = "no longer listed" if again is None else again["status"]
            raise ContractBreak(f"request_id {request_id} ended {seen[-1]}, then was {now}")


def test_no_run_ends_before_it_starts(lifecycle: Lifecycle) -> None:
    request_ids = lifecycle.runs(1)
    for request_id in request_ids:
        lifecycle.history(request_id)
    records = lifecycle.query(**lifecycle.window(), limit="64")["invocations"]
    timed = [r for r in records if r.get("start_time") and r.get("end_time")]
    if not timed:
        pytest.skip("no listed run has both a start_time and an end_time yet")
    for record in timed:
        start, end = parse_time(record["start_time"]), parse_time(record["end_time"])
        if start is not None and end is not None and end < start:
            raise ContractBreak(f"request_id {record['request_id']} ends ({end}) before it starts ({start})")


def test_cancelling_an_unknown_request_id_is_refused_with_400(lifecycle: Lifecycle) -> None:
    lifecycle.target.cancels_or_skip()
    response, _ = lifecycle.call("cancelAsyncInvocation", body={"request_id": str(uuid.uuid4())})
    lifecycle.target.run.profile.answer("cancel-unknown", response)
    if response.status_code != 400:
        raise ContractBreak(f"cancelling an unknown request_id was answered {response.status_code}, not 400")


def test_cancelling_a_finished_run_changes_nothing(lifecycle: Lifecycle) -> None:
    # The stop page says a cancel stops the function's other running requests too: live, only when asked.
    lifecycle.target.cancels_or_skip()
    settings = lifecycle.target.settings
    (request_id,) = lifecycle.runs(1)
    seen, before = lifecycle.history(request_id)
    if seen[-1] not in TERMINAL:
        pytest.skip(f"the run did not end within {settings.lifecycle_timeout:g} s")
    response, _ = lifecycle.call("cancelAsyncInvocation", body={"request_id": request_id})
    lifecycle.target.run.profile.answer("cancel-finished", response)
    # The pages leave open whether such a cancel is a no-op (200) or refused (400): either, never a change.
    if response.status_code not in (200, 400):
        raise ContractBreak(f"cancelling a finished run was answered {response.status_code}, neither 200 nor 400")
    after = lifecycle.find(request_id)
    if after is None or (after["status"], after.get("error_code")) != (before["status"], before.get("error_code")):
        now = "no longer listed" if after is None else f"{after['status']} {after.get('error_code')}"
        raise ContractBreak(f"request_id {request_id} ended {before['status']}; after a cancel it is {now}")

"""fgs._lifecycle without I/O: wait()'s schedule and the pager's decisions, on exact numbers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fgs
from fgs import _lifecycle as life
from fgs._body import Answer
from fgs._core import Core

CORE = Core("http://127.0.0.1:9", "p", fgs.Token("CORE-SECRET-19ab"), None, fgs.NO_RETRY)


def page(*ids: str, count: int | None = None, next_marker: int | None = None) -> life.Page:
    runs = tuple(fgs.Invocation(request_id=i, status=fgs.InvocationStatus.WAIT) for i in ids)
    return life.Page(runs, count, next_marker)


def test_polls_grow_by_half_up_to_five_seconds_and_the_last_falls_on_the_deadline() -> None:
    waiter = life.Waiter.start(CORE, "r", timeout=30.0, poll=1.0, now=100.0)
    now, delays = 100.0, []
    while (delay := waiter.next_delay(now)) is not None:
        delays.append(delay)
        now += delay
    assert delays[:6] == pytest.approx([1.0, 1.5, 2.25, 3.375, 5.0, 5.0])
    assert sum(delays) == pytest.approx(30.0)
    assert delays[-1] <= 5.0


def test_a_poll_above_five_seconds_is_kept_as_it_is() -> None:
    waiter = life.Waiter.start(CORE, "r", timeout=100.0, poll=8.0, now=0.0)
    assert [waiter.next_delay(0.0), waiter.next_delay(8.0)] == [8.0, 8.0]


def test_the_waiter_returns_only_a_final_status_and_remembers_the_last() -> None:
    waiter = life.Waiter.start(CORE, "r", timeout=1.0, poll=0.1, now=0.0)
    running = fgs.Invocation(request_id="r", status=fgs.InvocationStatus.RUNNING)
    discarded = fgs.Invocation(request_id="r", status=fgs.InvocationStatus.DISCARD)
    assert [waiter.ended(None), waiter.ended(running), waiter.ended(None)] == [None, None, None]
    assert waiter.expired().last_status is fgs.InvocationStatus.RUNNING
    assert waiter.ended(discarded) is discarded
    assert waiter.polls == 4


def test_the_pager_ends_on_an_empty_page_a_missing_marker_or_one_at_count() -> None:
    for last in (page(), page("a", count=9), page("a", count=1, next_marker=1)):
        pager = life.Pager.start(CORE, "urn", None, None, None, 10)
        pager.take(last)
        assert pager.call() is None


def test_the_pager_moves_to_next_marker_and_skips_runs_already_yielded() -> None:
    pager = life.Pager.start(CORE, "urn", "FAIL", None, None, 2)
    assert [i.request_id for i in pager.take(page("a", "b", count=5, next_marker=2))] == ["a", "b"]
    call = pager.call()
    assert call is not None
    assert call.request.url.endswith("?limit=2&marker=2&status=FAIL")
    assert [i.request_id for i in pager.take(page("b", "c", count=5, next_marker=4))] == ["c"]


@pytest.mark.parametrize("stuck", [0, 2, 1])
def test_a_marker_that_does_not_advance_is_refused(stuck: int) -> None:
    pager = life.Pager.start(CORE, "urn", None, None, None, 2)
    pager.take(page("a", "b", next_marker=2))
    assert [i.request_id for i in pager.take(page("c", next_marker=stuck))] == ["c"]  # still yielded
    with pytest.raises(fgs.ProtocolError, match=f"next_marker {stuck} does not advance past marker 2"):
        pager.call()


def test_times_are_sent_in_the_pages_utc_format() -> None:
    moment = datetime(2026, 11, 30, 20, 5, 6, 789, tzinfo=timezone(timedelta(hours=8)))
    assert life.query_time(moment, "since") == "2026-11-30T12:05:06"
    assert life.query_time(moment.astimezone(UTC), "until") == "2026-11-30T12:05:06"


def test_requests_carry_the_token_only_in_its_header_and_json_content_type() -> None:
    call = life.query(CORE, "urn:a/b", request_id="r")
    assert call.request.url == (
        "http://127.0.0.1:9/v2/p/fgs/functions/urn%3Aa%2Fb/async-invocations?limit=64&marker=0&request_id=r"
    )
    assert "X-Auth-Token" not in call.request.headers  # added when sent, by the credentials
    assert CORE.authorize(call.request)[0].headers["X-Auth-Token"] == "CORE-SECRET-19ab"
    assert call.request.headers["Content-Type"] == "application/json"
    assert call.request.body == b""
    assert life.cancel(CORE, "u", "r").request.body == b'{"request_id":"r"}'


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
RECORD = st.fixed_dictionaries(
    {},
    optional={
        key: JSON | st.sampled_from(["SUCCESS", "WAIT", "2026-11-30T10:00:00", "2026-13-30 25:00:00+08:00"])
        for key in ("request_id", "status", "error_code", "error_message", "start_time", "end_time")
    },
)
SHAPED = st.one_of(
    JSON,
    st.fixed_dictionaries({"invocations": st.lists(RECORD, max_size=3)}, optional={"count": JSON, "next_marker": JSON}),
    st.fixed_dictionaries(
        {},
        optional={
            "max_async_retry_attempts": JSON,
            "max_async_event_age_in_seconds": JSON,
            "destination_config": st.dictionaries(st.sampled_from(["on_success", "on_failure"]), JSON | RECORD),
            "enable_async_status_log": JSON,
            "created_time": JSON,
        },
    ),
)
BODIES = st.one_of(st.binary(max_size=40), SHAPED.map(lambda v: json.dumps(v).encode()))
CALLS = [
    life.query(CORE, "u"),
    life.lookup(CORE, "u", "r"),
    life.cancel(CORE, "u", "r"),
    life.get_config(CORE, "u"),
    life.put_config(CORE, "u", fgs.AsyncConfig()),
    life.delete_config(CORE, "u"),
]


@settings(max_examples=300, deadline=None)
@given(call=st.sampled_from(CALLS), status=st.sampled_from([200, 204, 400, 404, 418, 500]), body=BODIES)
def test_whatever_the_answer_only_fgs_errors_escape_the_readers(
    call: life.Call[object], status: int, body: bytes
) -> None:
    outcome: object
    try:
        outcome = life.finish(CORE, call, Answer(status, body, None), 1, 1.0)
    except fgs.FgsError as exc:
        outcome = exc
    if isinstance(outcome, fgs.FgsError):
        assert outcome.status == status
    else:
        assert status == call.success

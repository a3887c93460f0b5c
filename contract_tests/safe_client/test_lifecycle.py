"""The lifecycle methods of both clients over real sockets, against the scripted fake: requests and answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

import fgs
from contract_tests.safe_client.lifecycle_fake import BASE_TIME, TOKEN, Driver, Fake, Stage, fixtures, run
from contract_tests.support.identities import URN
from contract_tests.support.page_answers import PAGE_CONFIG, PAGE_RUN

stage, fake = fixtures()


@pytest.fixture(params=["sync", "async"])
def call(request: pytest.FixtureRequest, stage: tuple[Stage, str], fake: Fake) -> Driver:
    return Driver(str(request.param), stage[1])


@pytest.mark.parametrize("ending", ["omit", "count"])
def test_list_follows_every_page_to_the_end_without_duplicates_or_gaps(call: Driver, fake: Fake, ending: str) -> None:
    fake.ending = ending
    expected = fake.add_runs(23)

    listed = call("list_invocations", URN, page_size=5)

    assert [i.request_id for i in listed] == expected
    assert [s.query["marker"] for s in fake.seen] == ["0", "5", "10", "15", "20"]
    assert {s.query["limit"] for s in fake.seen} == {"5"}


def test_a_page_that_ends_exactly_and_an_answer_without_count_or_marker_end_the_listing(
    call: Driver, fake: Fake
) -> None:
    expected = fake.add_runs(10)
    fake.with_count, fake.ending = False, "count"  # no count to compare with: only an empty page ends it
    assert [i.request_id for i in call("list_invocations", URN, page_size=5)] == expected
    assert [s.query["marker"] for s in fake.seen] == ["0", "5", "10"]
    fake.ending, fake.runs = "omit", [PAGE_RUN]  # the page's own example: neither count nor next_marker
    assert [i.request_id for i in call("list_invocations", URN)] == [PAGE_RUN["request_id"]]


def test_runs_that_arrive_while_listing_shift_the_offsets_but_none_comes_twice(call: Driver, fake: Fake) -> None:
    expected = fake.add_runs(12)
    fake.insert_after_first_page = [run("late-1", "WAIT", BASE_TIME + timedelta(hours=1))]

    listed = [i.request_id for i in call("list_invocations", URN, page_size=5)]

    assert len(listed) == len(set(listed))
    assert listed == expected  # the late run sits before the first page; nothing older is lost


def test_a_next_marker_that_does_not_advance_is_a_protocol_error_not_an_endless_loop(call: Driver, fake: Fake) -> None:
    expected = fake.add_runs(8)
    fake.stuck_marker = True
    with pytest.raises(fgs.ProtocolError, match="next_marker 0 does not advance past marker 0"):
        call("list_invocations", URN, page_size=5)
    assert len(fake.seen) == 1
    assert call.listed_before_error(URN, page_size=5) == expected[:5]  # that page's runs still come


def test_filters_are_sent_as_the_page_documents_and_applied(call: Driver, fake: Fake) -> None:
    fake.add_runs(6, status="SUCCESS")
    failed = fake.add_runs(4, status="FAIL", start=6)
    since = (BASE_TIME + timedelta(minutes=7)).astimezone(timezone(timedelta(hours=8)))  # any zone, sent as UTC
    until = BASE_TIME + timedelta(minutes=8, seconds=30)

    listed = call("list_invocations", URN, status=fgs.InvocationStatus.FAIL, since=since, until=until)

    assert [i.request_id for i in listed] == failed[1:3]
    query = fake.seen[0].query
    assert query["status"] == "FAIL"
    assert (query["query_begin_time"], query["query_end_time"]) == ("2026-11-30T10:07:00", "2026-11-30T10:08:30")
    assert call("list_invocations", URN, status="SUCCESS", page_size=500)[0].status is fgs.InvocationStatus.SUCCESS


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"since": datetime(2026, 1, 1)}, "since must be timezone-aware"),
        ({"until": "2026-01-01T00:00:00"}, "until must be a datetime"),
        ({"since": datetime(2026, 1, 2, tzinfo=UTC), "until": datetime(2026, 1, 1, tzinfo=UTC)}, "not be later"),
        ({"status": "DONE"}, "status must be one of WAIT, RUNNING, SUCCESS, FAIL, DISCARD"),
        ({"page_size": 0}, "page_size must be a whole number from 1 to 500"),
        ({"page_size": 501}, "page_size must be"),
        ({"page_size": True}, "page_size must be"),
    ],
)
def test_bad_list_arguments_are_refused_at_the_call_before_anything_is_sent(
    call: Driver, fake: Fake, options: dict[str, object], says: str
) -> None:
    with pytest.raises(fgs.InvalidRequestError, match=says):
        call("list_invocations", URN, **options)
    assert fake.seen == []


def test_get_invocation_reads_the_record_into_typed_fields(call: Driver, fake: Fake) -> None:
    fake.runs = [run("other", "WAIT", BASE_TIME), dict(PAGE_RUN)]
    invocation = call("get_invocation", URN, PAGE_RUN["request_id"])

    assert invocation == fgs.Invocation(
        request_id=PAGE_RUN["request_id"],
        status=fgs.InvocationStatus.SUCCESS,
        error_code=0,
        error_message=None,
        start_time=datetime(2019, 10, 25, 15, 37, 27, tzinfo=UTC),
        end_time=datetime(2019, 10, 25, 15, 37, 27, tzinfo=UTC),
    )
    seen = fake.seen[0]
    assert (seen.method, seen.operation, seen.query["request_id"]) == (
        "GET",
        "async-invocations",
        PAGE_RUN["request_id"],
    )
    assert (seen.headers["x-auth-token"], seen.headers["content-type"]) == (TOKEN, "application/json")


def test_an_unknown_request_id_is_not_found_and_an_unknown_function_is_told_apart(call: Driver, fake: Fake) -> None:
    fake.add_runs(3)
    with pytest.raises(fgs.InvocationNotFoundError, match="no asynchronous invocation 'nope'") as unknown:
        call("get_invocation", URN, "nope")
    assert isinstance(unknown.value, fgs.NotFoundError)
    assert unknown.value.status == 200

    with pytest.raises(fgs.NotFoundError) as missing:
        call("get_invocation", URN.replace("hello", "absent"), "req-0001")
    assert not isinstance(missing.value, fgs.InvocationNotFoundError)
    assert (missing.value.status, missing.value.error_code) == (404, "FSS.0404")


@pytest.mark.parametrize("bad", ["", "a b", "x" * 65, "é", None])
def test_request_ids_the_query_page_does_not_allow_are_refused_unsent_and_unquoted(
    call: Driver, fake: Fake, bad: str | None
) -> None:
    for method in ("get_invocation", "cancel_invocation", "wait"):
        with pytest.raises(fgs.InvalidRequestError, match="request_id must be 1 to 64 visible ASCII") as refused:
            call(method, URN, bad)
        assert bad is None or not bad or bad not in str(refused.value)
    assert fake.seen == []


@pytest.mark.parametrize("urn", ["", ".", ".."])
def test_path_changing_urns_are_refused_for_every_operation(call: Driver, fake: Fake, urn: str) -> None:
    for method, args in [
        ("get_invocation", ("r",)),
        ("list_invocations", ()),
        ("cancel_invocation", ("r",)),
        ("get_async_config", ()),
        ("put_async_config", (fgs.AsyncConfig(),)),
        ("delete_async_config", ()),
    ]:
        with pytest.raises(fgs.InvalidRequestError, match="function_urn"):
            call(method, urn, *args)
    assert fake.seen == []


def test_a_urn_is_one_encoded_path_segment(call: Driver, fake: Fake) -> None:
    with pytest.raises(fgs.NotFoundError):
        call("get_async_config", "a/b?c#d")
    assert fake.seen[0].operation == "async-invoke-config"  # the path kept its shape


def test_cancel_posts_the_request_id_and_takes_the_documented_null(call: Driver, fake: Fake) -> None:
    fake.runs = [run("running-1", "RUNNING", BASE_TIME)]
    assert call("cancel_invocation", URN, "running-1") is None

    seen = fake.seen[0]
    assert (seen.method, seen.operation, json.loads(seen.body)) == ("POST", "cancel", {"request_id": "running-1"})
    assert seen.headers["content-type"] == "application/json"
    assert call("get_invocation", URN, "running-1").error_code == 4208


def test_cancelling_an_unknown_or_ended_run_gets_the_documented_400(call: Driver, fake: Fake) -> None:
    fake.add_runs(1)
    for request_id in ("nope", "req-0000"):
        with pytest.raises(fgs.BadRequestError) as refused:
            call("cancel_invocation", URN, request_id)
        assert (refused.value.error_code, refused.value.error_msg) == ("FSS.0400", "Invalid RequestId")


def test_config_round_trips_and_delete_leaves_not_found(call: Driver, fake: Fake) -> None:
    config = fgs.AsyncConfig(
        max_retry_attempts=2,
        max_event_age_seconds=600,
        on_failure=fgs.Destination(fgs.DestinationKind.FUNCTIONGRAPH, {"func_urn": URN}),
        enable_async_status_log=True,
    )
    stored = call("put_async_config", URN, config)
    read = call("get_async_config", URN)
    assert call("delete_async_config", URN) is None
    with pytest.raises(fgs.NotFoundError):
        call("get_async_config", URN)

    assert stored == read
    assert (read.max_retry_attempts, read.max_event_age_seconds, read.on_failure, read.on_success) == (
        2,
        600,
        config.on_failure,
        None,
    )
    assert (read.function_urn, read.created_time) == (URN, datetime(2021, 3, 4, 6, 50, 2, tzinfo=UTC))
    put = fake.seen[0]
    assert (put.method, put.headers["content-type"]) == ("PUT", "application/json")
    assert json.loads(put.body) == config.to_request()
    assert [s.method for s in fake.seen] == ["PUT", "GET", "DELETE", "GET"]


def test_the_pages_config_example_reads(call: Driver, fake: Fake) -> None:
    fake.configs[URN] = PAGE_CONFIG
    config = call("get_async_config", URN)
    assert config.on_success is not None
    assert config.on_success.kind is fgs.DestinationKind.FUNCTIONGRAPH
    assert config.last_modified == datetime(2021, 3, 4, 14, 50, 2, tzinfo=UTC)


def test_a_config_the_request_table_does_not_allow_is_refused_unsent(call: Driver, fake: Fake) -> None:
    with pytest.raises(fgs.InvalidRequestError, match=r"max_retry_attempts must be within 0\.\.3"):
        call("put_async_config", URN, fgs.AsyncConfig(max_retry_attempts=4))
    with pytest.raises(fgs.InvalidRequestError, match=r"config must be an fgs\.AsyncConfig"):
        call("put_async_config", URN, {"max_async_retry_attempts": 1})
    assert fake.seen == []

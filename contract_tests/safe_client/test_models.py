"""fgs.models: typed invocations and configs from the pages' answers; malformed ones raise ProtocolError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from fgs_client.models import AsyncInvocation, AsyncInvokeConfig

from contract_tests.support.page_answers import PAGE_CONFIG, PAGE_RUN, TARGET_URN
from fgs import FgsError, InvalidRequestError, ProtocolError
from fgs.models import (
    TIMESTAMP,
    AsyncConfig,
    Destination,
    DestinationKind,
    Invocation,
    InvocationStatus,
    parse_timestamp,
)

PLUS_8 = timezone(timedelta(hours=8))


def test_the_five_statuses_and_which_are_final() -> None:
    assert [s.value for s in InvocationStatus] == ["WAIT", "RUNNING", "SUCCESS", "FAIL", "DISCARD"]
    assert {s for s in InvocationStatus if s.terminal} == {"SUCCESS", "FAIL", "DISCARD"}


def test_the_pages_record_reads_with_utc_times() -> None:
    run = Invocation.from_dict(PAGE_RUN)
    assert run.status is InvocationStatus.SUCCESS
    assert (run.request_id, run.error_code, run.error_message) == (PAGE_RUN["request_id"], 0, None)
    assert run.start_time == run.end_time == datetime(2019, 10, 25, 15, 37, 27, tzinfo=UTC)


def test_a_generated_model_reads_the_same() -> None:
    assert Invocation.from_dict(AsyncInvocation.from_dict(PAGE_RUN)) == Invocation.from_dict(PAGE_RUN)
    generated = AsyncInvokeConfig.from_dict(PAGE_CONFIG)
    assert AsyncConfig.from_dict(generated) == AsyncConfig.from_dict(PAGE_CONFIG)


def test_a_run_without_an_outcome_yet() -> None:
    run = Invocation.from_dict({"request_id": "r", "status": "WAIT", "end_time": None, "error_code": None})
    assert (run.status.terminal, run.start_time, run.end_time, run.error_code) == (False, None, None, None)


@pytest.mark.parametrize(
    "record",
    [
        {"request_id": "r", "status": "WAIT", "start_time": "", "end_time": "", "error_message": ""},
        {"request_id": "r", "status": "RUNNING", "start_time": "2019-10-25T15:37:27", "end_time": ""},
        {
            "request_id": "r",
            "status": "SUCCESS",
            "error_message": "",
            "error_code": 0,
            "end_time": "2019-10-25 15:37:28",
        },
    ],
)
def test_the_pages_empty_string_reads_as_none(record: dict[str, Any]) -> None:
    run = Invocation.from_dict(record)
    generated = Invocation.from_dict(AsyncInvocation.from_dict(record))
    assert run == generated
    assert run.error_message is None
    for name in ("start_time", "end_time"):
        value = getattr(run, name)
        assert value is None if record.get(name, "") == "" else value == parse_timestamp(record[name])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-25T15:37:27", datetime(2019, 10, 25, 15, 37, 27, tzinfo=UTC)),
        ("2021-03-04 14:50:02", datetime(2021, 3, 4, 14, 50, 2, tzinfo=UTC)),
        ("2021-03-04T14:50:02+08:00", datetime(2021, 3, 4, 14, 50, 2, tzinfo=PLUS_8)),
        ("2021-03-04T14:50:02+0800", datetime(2021, 3, 4, 14, 50, 2, tzinfo=PLUS_8)),
        ("2021-03-04T06:50:02.250Z", datetime(2021, 3, 4, 6, 50, 2, 250000, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_every_timestamp_shape_becomes_an_aware_datetime(text: str | None, expected: datetime | None) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed is None or parsed.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    ["2021-03-04", "04.03.2021 14:50:02", "2021-13-04T14:50:02", "2021-03-04T25:00:00", "20210304T145002", 1614840602],
)
def test_other_timestamps_are_refused(text: object) -> None:
    with pytest.raises(ProtocolError, match=r"timestamp|real time"):
        parse_timestamp(text)


def test_timestamp_pattern_is_the_specs(spec: dict[str, Any]) -> None:
    assert spec["components"]["schemas"]["Timestamp"]["pattern"] == TIMESTAMP.pattern


@pytest.mark.parametrize(
    "record",
    [
        None,
        [],
        "SUCCESS",
        {"status": "SUCCESS"},
        {"request_id": "", "status": "SUCCESS"},
        {"request_id": 7, "status": "SUCCESS"},
        {"request_id": "r", "status": "CANCELLED"},
        {"request_id": "r", "status": "success"},
        {"request_id": "r", "status": ["WAIT"]},
        {"request_id": "r", "status": "FAIL", "error_code": "FSS.4208"},
        {"request_id": "r", "status": "FAIL", "error_code": True},
        {"request_id": "r", "status": "FAIL", "error_message": 5},
        {"request_id": "r", "status": "FAIL", "start_time": "yesterday"},
    ],
)
def test_malformed_records_raise_protocol_error(record: object) -> None:
    with pytest.raises(ProtocolError) as raised:
        Invocation.from_dict(record)
    assert isinstance(raised.value, FgsError)


def test_the_pages_config_reads_typed() -> None:
    config = AsyncConfig.from_dict(PAGE_CONFIG)
    assert (config.max_retry_attempts, config.max_event_age_seconds, config.enable_async_status_log) == (1, 60, None)
    assert config.on_success == config.on_failure
    assert config.on_success is not None
    assert config.on_success.kind is DestinationKind.FUNCTIONGRAPH
    assert config.on_success.params == {"func_urn": TARGET_URN}
    assert config.function_urn == PAGE_CONFIG["func_urn"]
    assert config.created_time == datetime(2021, 3, 4, 14, 50, 2, tzinfo=PLUS_8)
    assert config.last_modified == datetime(2021, 3, 4, 14, 50, 2, tzinfo=UTC)


def test_answers_may_carry_the_wider_ranges() -> None:
    config = AsyncConfig.from_dict({"max_async_retry_attempts": 8, "max_async_event_age_in_seconds": 1})
    assert (config.max_retry_attempts, config.max_event_age_seconds) == (8, 1)
    assert AsyncConfig.from_dict({}) == AsyncConfig()


@pytest.mark.parametrize(
    "answer",
    [
        "config",
        {"max_async_retry_attempts": 9},
        {"max_async_retry_attempts": "3"},
        {"max_async_retry_attempts": True},
        {"max_async_event_age_in_seconds": 0},
        {"max_async_event_age_in_seconds": 86401},
        {"enable_async_status_log": "yes"},
        {"destination_config": []},
        {"destination_config": {"on_success": "OBS"}},
        {"destination_config": {"on_success": {"destination": "DIS"}}},
        {"destination_config": {"on_failure": {"destination": "SMN", "param": "{not json"}}},
        {"destination_config": {"on_failure": {"destination": "SMN", "param": '["topic"]'}}},
        {"created_time": "2021/03/04"},
    ],
)
def test_malformed_configs_raise_protocol_error(answer: object) -> None:
    with pytest.raises(ProtocolError):
        AsyncConfig.from_dict(answer)


def test_request_sends_only_what_is_set_and_round_trips() -> None:
    config = AsyncConfig(
        max_retry_attempts=3,
        max_event_age_seconds=10,
        on_failure=Destination(DestinationKind.SMN, {"topic_urn": "urn:smn:eu-de:p:t"}),
        enable_async_status_log=True,
    )
    body = config.to_request()
    assert body == {
        "max_async_retry_attempts": 3,
        "max_async_event_age_in_seconds": 10,
        "destination_config": {"on_failure": {"destination": "SMN", "param": '{"topic_urn":"urn:smn:eu-de:p:t"}'}},
        "enable_async_status_log": True,
    }
    assert AsyncConfig.from_dict(body) == config
    assert AsyncConfig().to_request() == {}


@pytest.mark.parametrize(
    "config",
    [
        AsyncConfig(max_retry_attempts=4),  # an answer may say 8; a request may not ask for more than 3
        AsyncConfig(max_retry_attempts=-1),
        AsyncConfig(max_event_age_seconds=0),
        AsyncConfig(max_event_age_seconds=86401),
    ],
)
def test_request_outside_the_request_table_is_refused_before_sending(config: AsyncConfig) -> None:
    with pytest.raises(InvalidRequestError):
        config.to_request()

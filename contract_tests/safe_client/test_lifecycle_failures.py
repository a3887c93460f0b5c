"""Both clients' lifecycle methods against a misbehaving fake: wait(), retries, every error class, secrets."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

import pytest

import fgs
from contract_tests.safe_client.lifecycle_fake import BASE_TIME, TOKEN, Driver, Fake, Stage, error, fixtures, run
from contract_tests.support.identities import URN

# One call of each operation: (method, args, idempotent).
OPERATIONS: list[tuple[str, tuple[Any, ...], bool]] = [
    ("get_invocation", (URN, "req-0000"), True),
    ("list_invocations", (URN,), True),
    ("get_async_config", (URN,), True),
    ("put_async_config", (URN, fgs.AsyncConfig(max_retry_attempts=1)), True),
    ("delete_async_config", (URN,), True),
    ("cancel_invocation", (URN, "req-0000"), False),
]
IDS = [op[0] for op in OPERATIONS]


stage, fresh_fake = fixtures("fresh_fake")


@pytest.fixture
def fake(fresh_fake: Fake) -> Fake:
    fresh_fake.runs = [run("req-0000", "RUNNING", BASE_TIME)]
    fresh_fake.configs[URN] = {"max_async_retry_attempts": 1}
    return fresh_fake


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def call(kind: str, stage: tuple[Stage, str], fake: Fake) -> Driver:
    return Driver(kind, stage[1])


def test_wait_polls_with_growing_intervals_until_success(call: Driver, fake: Fake) -> None:
    fake.statuses["req-0000"] = deque(["WAIT", "RUNNING", "RUNNING", "SUCCESS"])
    ended = call("wait", URN, "req-0000", timeout=10, poll=0.01)

    assert ended.status is fgs.InvocationStatus.SUCCESS
    assert len(fake.seen) == 4
    assert call.wait_sleeps == pytest.approx([0.01, 0.015, 0.0225])


def test_wait_returns_a_failed_run_with_its_code_rather_than_raising(call: Driver, fake: Fake) -> None:
    fake.runs = [run("req-0000", "FAIL", BASE_TIME, error_code=4208, error_message="function invocation canceled")]
    ended = call("wait", URN, "req-0000", poll=0.01)
    assert (ended.status, ended.error_code, ended.error_message) == (
        fgs.InvocationStatus.FAIL,
        4208,
        "function invocation canceled",
    )


def test_wait_keeps_polling_while_an_accepted_run_is_not_listed_yet(call: Driver, fake: Fake) -> None:
    fake.hidden["req-0000"] = 2
    fake.statuses["req-0000"] = deque(["SUCCESS"])
    assert call("wait", URN, "req-0000", poll=0.01).status is fgs.InvocationStatus.SUCCESS
    assert len(fake.seen) == 3


def test_wait_times_out_with_the_last_status_seen(call: Driver, fake: Fake) -> None:
    with pytest.raises(fgs.WaitTimeoutError, match=r"did not end within 0\.2 s .* last status: RUNNING") as late:
        call("wait", URN, "req-0000", timeout=0.2, poll=0.02)
    assert late.value.last_status is fgs.InvocationStatus.RUNNING
    assert late.value.invocation is not None
    assert late.value.invocation.request_id == "req-0000"
    assert late.value.attempts == len(fake.seen) >= 3
    assert len(call.wait_sleeps) == len(fake.seen) - 1
    assert sum(call.wait_sleeps) <= 0.2 + 1e-9  # the schedule itself is tested in test_lifecycle_core.py


def test_wait_times_out_with_no_status_when_the_run_never_showed_up(call: Driver, fake: Fake) -> None:
    with pytest.raises(fgs.WaitTimeoutError, match="none, the query has not listed it") as late:
        call("wait", URN, "never-listed", timeout=0.05, poll=0.01)
    assert (late.value.last_status, late.value.invocation) == (None, None)


@pytest.mark.parametrize("options", [{"timeout": 0}, {"poll": -1}, {"timeout": float("inf")}, {"poll": True}])
def test_nonsense_wait_options_are_refused_unsent(call: Driver, fake: Fake, options: dict[str, Any]) -> None:
    with pytest.raises(fgs.InvalidRequestError, match="must be a finite number of seconds above 0"):
        call("wait", URN, "req-0000", **options)
    assert fake.seen == []


@pytest.mark.parametrize(("method", "args", "idempotent"), OPERATIONS, ids=IDS)
@pytest.mark.parametrize("failure", ["500", "drop", "slow"])
def test_only_idempotent_operations_are_sent_again_after_a_500_a_drop_or_a_read_timeout(
    kind: str, stage: tuple[Stage, str], fake: Fake, method: str, args: tuple[Any, ...], idempotent: bool, failure: str
) -> None:
    call = Driver(kind, stage[1], timeout=0.3)
    if failure == "500":
        fake.answers.append((500, error("FSS.0500", "xxx")))
    elif failure == "drop":
        fake.drops = 1
    else:
        fake.delays.append(1.0)
    if idempotent:
        call(method, *args)
        assert len(fake.seen) == 2
        assert len(call.retry_sleeps) == 1
    else:
        # A stop that may have landed is not sent again: it also ends the function's other requests.
        with pytest.raises(fgs.ServerError if failure == "500" else fgs.TransportError) as failed:
            call(method, *args)
        assert (len(fake.seen), failed.value.attempts) == (1, 1)


@pytest.mark.parametrize(("method", "args", "idempotent"), OPERATIONS, ids=IDS)
def test_every_operation_is_sent_again_after_503_and_429(
    call: Driver, fake: Fake, method: str, args: Any, idempotent: bool
) -> None:
    fake.answers.extend([(503, error("FSS.0503", "busy")), (429, error("FSS.0429", "slow down"))])
    call(method, *args)
    assert len(fake.seen) == 3


@pytest.mark.parametrize(
    ("status", "body", "raised"),
    [
        (400, error("FSS.0400", "Invalid parameter."), fgs.BadRequestError),
        (401, error("FSS.0401", "invalid token"), fgs.AuthenticationError),
        (403, error("FSS.0403", "invalid token"), fgs.PermissionDeniedError),
        (404, error("FSS.0404", "can not find function"), fgs.NotFoundError),
        (429, error("FSS.0429", "slow down"), fgs.RateLimitError),
        (500, error("FSS.0500", "xxx"), fgs.ServerError),
        (503, b"<html>busy</html>", fgs.ServerError),
        (418, error("X", "teapot"), fgs.ProtocolError),
        (202, {"request_id": "r"}, fgs.ProtocolError),
    ],
)
@pytest.mark.parametrize(("method", "args", "idempotent"), OPERATIONS, ids=IDS)
def test_every_documented_refusal_is_its_error_class(
    call: Driver,
    fake: Fake,
    method: str,
    args: Any,
    idempotent: bool,
    status: int,
    body: Any,
    raised: type[fgs.FgsError],
) -> None:
    fake.answers.extend([(status, body)] * 3)
    with pytest.raises(raised) as refused:
        call(method, *args)
    assert refused.value.status == status
    if isinstance(body, dict):
        assert refused.value.error_code == body.get("error_code")


@pytest.mark.parametrize(
    ("method", "args", "body", "says"),
    [
        ("get_invocation", (URN, "r"), {"invocations": [{"request_id": "r", "status": "DONE"}]}, "undocumented status"),
        ("list_invocations", (URN,), {"invocations": [{"request_id": "r", "status": "PAUSED"}]}, "undocumented status"),
        ("list_invocations", (URN,), {"invocations": {}}, "not an object with an invocations list"),
        ("list_invocations", (URN,), {"invocations": [], "next_marker": "5"}, "next_marker is not a whole number"),
        ("list_invocations", (URN,), b"{not json", "the body is not JSON"),
        (
            "get_invocation",
            (URN, "r"),
            {"invocations": [{"request_id": "r", "status": "SUCCESS", "start_time": 5}]},
            "start_time",
        ),
        ("get_async_config", (URN,), {"max_async_retry_attempts": 9}, "retries is outside 0..8"),
        ("get_async_config", (URN,), [1], "config is not a JSON object"),
    ],
)
def test_a_success_answer_that_breaks_the_contract_is_a_protocol_error(
    call: Driver, fake: Fake, method: str, args: Any, body: Any, says: str
) -> None:
    fake.answers.append((200, body))
    with pytest.raises(fgs.ProtocolError, match=says) as broken:
        call(method, *args)
    assert (broken.value.status, broken.value.attempts) == (200, 1)
    assert len(fake.seen) == 1  # a broken answer is not retried: the server answered


def test_a_delete_answered_with_200_is_not_the_documented_204(call: Driver, fake: Fake) -> None:
    fake.answers.append((200, None))
    with pytest.raises(fgs.ProtocolError, match="undocumented status 200"):
        call("delete_async_config", URN)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_answer_over_the_cap_and_a_slow_answer_keep_their_limits(stage: tuple[Stage, str], kind: str) -> None:
    stage[0].fake = fake = Fake()
    fake.answers.append((200, {"invocations": [run(f"r{n}", "WAIT", BASE_TIME) for n in range(200)]}))
    with pytest.raises(fgs.ProtocolError, match="larger than the client's limit of 4096 bytes"):
        Driver(kind, stage[1], max_response_bytes=4096)("list_invocations", URN)
    fake.delays.extend([1.0] * 3)
    with pytest.raises(fgs.RequestTimeoutError, match=r"within 0\.2 s") as slow:
        Driver(kind, stage[1], timeout=0.2)("get_async_config", URN)
    assert slow.value.attempts == 3


def test_the_token_never_shows_in_errors_or_logs(call: Driver, fake: Fake, caplog: pytest.LogCaptureFixture) -> None:
    echo = error("FSS.0401", f"bad token {TOKEN}")
    fake.answers.extend([(503, echo), (401, echo), (200, {"invocations": [{"request_id": TOKEN, "status": "X"}]})])
    caplog.set_level(logging.DEBUG)
    raised: list[fgs.FgsError] = []
    for method in ("get_async_config", "list_invocations"):
        with pytest.raises(fgs.FgsError) as failed:
            call(method, URN)
        raised.append(failed.value)

    assert [type(e) for e in raised] == [fgs.AuthenticationError, fgs.ProtocolError]
    assert "LIFECYCLE" not in str(raised[1])
    assert raised[1].body is not None
    for shown in [*(f"{e} {e!r} {e.error_msg} {e.body!r}" for e in raised), caplog.text]:
        assert TOKEN not in shown

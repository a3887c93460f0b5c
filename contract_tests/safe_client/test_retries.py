"""Retries only where a second send cannot start a second run, bounded in attempts and time."""

from __future__ import annotations

import email.utils
import math
import random
import time

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

import fgs
from contract_tests.safe_client.conftest import Invoke, Sleeps, make_invoker
from contract_tests.support.identities import ROUTE
from fgs.retry import parse_retry_after

OK = httpx.Response(202, json={"request_id": "r"})


def _unavailable(status: int = 503, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, json={"error_code": f"FSS.0{status}", "error_msg": "busy"}, headers=headers)


@pytest.mark.parametrize("status", [429, 503])
def test_429_and_503_are_retried(api: respx.MockRouter, invoke: Invoke, sleeps: Sleeps, status: int) -> None:
    route = api.post(path__regex=ROUTE).mock(side_effect=[_unavailable(status), _unavailable(status), OK])
    assert invoke() == "r"
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_attempts_are_bounded(api: respx.MockRouter, invoke: Invoke) -> None:
    route = api.post(path__regex=ROUTE).mock(return_value=_unavailable())
    with pytest.raises(fgs.ServerError) as caught:
        invoke()
    assert route.call_count == 3
    assert caught.value.attempts == 3
    assert caught.value.status == 503


@pytest.mark.httpx_faults
@pytest.mark.parametrize(
    "outcome",
    [
        httpx.Response(500, json={"error_code": "FSS.0500", "error_msg": "x"}),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped mid-answer"),
        httpx.ReadError("reset"),
        httpx.WriteTimeout("half sent"),
    ],
    ids=["500", "read-timeout", "dropped", "read-error", "write-timeout"],
)
def test_outcomes_after_which_the_call_may_have_been_accepted_are_not_retried(
    api: respx.MockRouter, invoke: Invoke, outcome: httpx.Response | Exception
) -> None:
    route = api.post(path__regex=ROUTE).mock(side_effect=[outcome, OK])
    with pytest.raises(fgs.FgsError) as caught:
        invoke()
    assert route.call_count == 1
    expected = fgs.ServerError if isinstance(outcome, httpx.Response) else fgs.TransportError
    assert isinstance(caught.value, expected)


@pytest.mark.httpx_faults
@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ConnectTimeout("syn lost")], ids=repr)
def test_connection_failures_before_sending_are_retried(
    api: respx.MockRouter, invoke: Invoke, failure: Exception
) -> None:
    route = api.post(path__regex=ROUTE).mock(side_effect=[failure, OK])
    assert invoke() == "r"
    assert route.call_count == 2


@pytest.mark.httpx_faults
def test_timeouts_raise_the_timeout_error(api: respx.MockRouter, invoke: Invoke) -> None:
    api.post(path__regex=ROUTE).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(fgs.RequestTimeoutError) as caught:
        invoke()
    assert isinstance(caught.value, fgs.TransportError)
    assert isinstance(caught.value, fgs.ProtocolError)
    assert caught.value.status is None


def test_retry_after_seconds_is_honoured(api: respx.MockRouter, invoke: Invoke, sleeps: Sleeps) -> None:
    api.post(path__regex=ROUTE).mock(side_effect=[_unavailable(429, "2"), OK])
    invoke()
    assert sleeps == [2.0]


def test_retry_after_beyond_the_time_budget_gives_up_at_once(
    api: respx.MockRouter, invoke: Invoke, sleeps: Sleeps
) -> None:
    route = api.post(path__regex=ROUTE).mock(side_effect=[_unavailable(503, "3600"), OK])
    with pytest.raises(fgs.ServerError):
        invoke()
    assert route.call_count == 1
    assert sleeps == []


def test_retries_can_be_turned_off(api: respx.MockRouter, kind: str, sleeps: Sleeps) -> None:
    route = api.post(path__regex=ROUTE).mock(side_effect=[_unavailable(), OK])
    invoke, _ = make_invoker(kind, sleeps, retry=None)
    with pytest.raises(fgs.ServerError):
        invoke()
    assert route.call_count == 1
    assert fgs.NO_RETRY.max_attempts == 1


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = fgs.RetryPolicy(max_attempts=6, backoff_base=0.1, backoff_max=0.5, max_total=100, rng=random.Random(1))
    for attempt, cap in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (5, 0.5)]:
        delays = [policy.delay(attempt, 0, None) for _ in range(200)]
        assert all(d is not None and 0 <= d <= cap for d in delays)
        assert max(d for d in delays if d is not None) > cap * 0.8  # spread over the whole range
    assert policy.delay(6, 0, None) is None
    assert policy.delay(1, 99.99, "5") is None


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        fgs.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match=">= 0"):
        fgs.RetryPolicy(backoff_base=-1)


def test_retry_after_parsing() -> None:
    now = time.time()
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(" 0 ") == 0.0
    in_ten = email.utils.formatdate(now + 10, usegmt=True)
    parsed = parse_retry_after(in_ten, now=now)
    assert parsed is not None
    assert 9 <= parsed <= 11
    assert parse_retry_after(email.utils.formatdate(now - 100, usegmt=True), now=now) == 0.0
    for garbage in (None, "", "-1", "1.5", "soon", "1e309", "Mon, 99 Foo 2026", "9" * 400):
        value = parse_retry_after(garbage)
        assert value is None or value >= 0


def test_only_ascii_digits_count_as_seconds() -> None:
    for lookalike in ("²", "\u0661\u0665", "\uff13", "3²", "\u00b9\u00b2"):
        assert parse_retry_after(lookalike) is None
    assert parse_retry_after("0015") == 15.0
    assert parse_retry_after("9" * 400) is None  # no float overflow, no wait of 10**400 s


@settings(max_examples=500, deadline=None, database=None)
@given(st.one_of(st.text(max_size=40), st.binary(max_size=40).map(lambda b: b.decode("latin-1"))))
def test_retry_after_never_raises_and_reads_only_ascii_digits_or_dates(value: str) -> None:
    parsed = parse_retry_after(value)
    assert parsed is None or (math.isfinite(parsed) and parsed >= 0)
    stripped = value.strip(" \t")
    if stripped.isdigit() and not stripped.isascii():
        assert parsed is None
    if stripped.isascii() and stripped.isdigit() and len(stripped) < 12:
        assert parsed == int(stripped)

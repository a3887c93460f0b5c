"""How the suite lists a busy endpoint, in process against a scripted one: the page and time budget, 429
and Retry-After, the kinds of no progress; and how skips and an empty selection decide the exit code."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from fgs_conformance import cli, context, lifecycle
from fgs_conformance.expectations import ContractBreak
from fgs_conformance.lifecycle import Lifecycle
from fgs_conformance.report import NOT_APPLICABLE, TOO_BUSY, Outcome
from fgs_conformance.settings import Settings
from fgs_conformance.target import Target

Answer = Callable[[httpx.Request], httpx.Response]
RECORDS = [{"request_id": f"run-{n:03}", "status": "SUCCESS"} for n in range(50)]


REAL_MONOTONIC, REAL_SLEEP = time.monotonic, time.sleep


class Clock:
    """Stands in for time.monotonic and time.sleep in the thread that made it: a wait moves the clock, and
    is written down. Other threads of this process (another test's server, say) keep the real ones."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.thread = threading.get_ident()

    def monotonic(self) -> float:
        return self.now if threading.get_ident() == self.thread else REAL_MONOTONIC()

    def sleep(self, seconds: float) -> None:
        if threading.get_ident() != self.thread:
            REAL_SLEEP(seconds)
            return
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    # The lifecycle module reads the time module's functions at each call: patched there, for this test.
    monkeypatch.setattr(time, "monotonic", fake.monotonic)
    monkeypatch.setattr(time, "sleep", fake.sleep)
    return fake


def offsets(request: httpx.Request) -> httpx.Response:
    """A correct endpoint: next_marker is an offset into RECORDS; none on the last page."""
    limit, start = int(request.url.params["limit"]), int(request.url.params.get("marker", "0"))
    page = RECORDS[start : start + limit]
    more = start + limit < len(RECORDS)
    body = {"invocations": page, "count": len(RECORDS), **({"next_marker": start + limit} if more else {})}
    return httpx.Response(200, json=body)


@pytest.fixture
def endpoint() -> Iterator[Callable[..., Lifecycle]]:
    clients: list[httpx.Client] = []

    def make(answer: Answer, **env: str) -> Lifecycle:
        settings = Settings.resolve(env)
        run = context.Run(settings=settings, base_url="http://busy.test")
        context.begin(run)
        client = httpx.Client(transport=httpx.MockTransport(answer))
        clients.append(client)
        return Lifecycle(Target(run=run, client=client))

    yield make
    for client in clients:
        client.close()


def test_a_listing_within_the_page_limit_is_complete(endpoint: Callable[..., Lifecycle], clock: Clock) -> None:
    listing = endpoint(offsets, FGS_MAX_PAGES="5").pages(10)
    assert listing.cut_short is None
    assert [r["request_id"] for r in listing.complete()] == [r["request_id"] for r in RECORDS]


def test_a_listing_past_the_page_limit_is_cut_short_and_keeps_what_it_saw(
    endpoint: Callable[..., Lifecycle], clock: Clock
) -> None:
    listing = endpoint(offsets, FGS_MAX_PAGES="3").pages(10)
    assert listing.cut_short == f"{TOO_BUSY}: 3 pages of 10 runs, still listing"
    assert listing.records == RECORDS[:30]
    with pytest.raises(pytest.skip.Exception, match=re.escape(listing.cut_short)):
        listing.complete()


def test_a_listing_past_its_time_budget_is_cut_short(endpoint: Callable[..., Lifecycle], clock: Clock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += 7.0  # each page takes 7 s: the 30 s budget ends after the fifth
        return offsets(request)

    listing = endpoint(slow, FGS_LIFECYCLE_TIMEOUT="2").pages(5)
    assert listing.cut_short == f"{TOO_BUSY}: 5 pages of 5 runs in 35 s, still listing"
    assert listing.records == RECORDS[:25]


def _refusing(times: int, retry_after: str | None) -> tuple[Answer, list[str]]:
    """`offsets`, but each page after the first is answered 429 `times` times before it is served."""
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.params.get("marker", "0")))
        if asked[-1] != "0" and asked.count(asked[-1]) <= times:
            headers = {} if retry_after is None else {"Retry-After": retry_after}
            body = {"error_code": "FSS.0429", "error_msg": "Too many requests."}
            return httpx.Response(429, json=body, headers=headers)
        return offsets(request)

    return answer, asked


def test_a_429_is_waited_out_for_as_long_as_retry_after_asks(endpoint: Callable[..., Lifecycle], clock: Clock) -> None:
    answer, asked = _refusing(1, "3")
    listing = endpoint(answer).pages(25)
    assert listing.complete() == RECORDS
    assert asked == ["0", "25", "25"]
    assert clock.slept == [3.0]


def test_a_hostile_retry_after_is_capped(endpoint: Callable[..., Lifecycle], clock: Clock) -> None:
    answer, _ = _refusing(1, "86400")
    assert endpoint(answer).pages(25).complete() == RECORDS
    assert clock.slept == [lifecycle.RETRY_AFTER_CAP]


def test_a_429_without_retry_after_backs_off(endpoint: Callable[..., Lifecycle], clock: Clock) -> None:
    answer, _ = _refusing(3, None)
    assert endpoint(answer).pages(25).complete() == RECORDS
    assert clock.slept == [lifecycle.BACKOFF, lifecycle.BACKOFF * 2, lifecycle.BACKOFF * 4]


def test_429_for_the_whole_time_budget_is_too_busy_never_a_break(
    endpoint: Callable[..., Lifecycle], clock: Clock
) -> None:
    answer, asked = _refusing(10**6, "5")
    listing = endpoint(answer).pages(25)
    assert listing.records == RECORDS[:25]
    assert listing.cut_short is not None
    assert listing.cut_short.startswith(f"{TOO_BUSY}: the query was answered 429")
    assert sum(clock.slept) <= lifecycle.SCAN_SECONDS
    assert 2 < len(asked) < 10


def _edited(edit: Callable[[dict[str, object], str], None]) -> Answer:
    def answer(request: httpx.Request) -> httpx.Response:
        page = json.loads(offsets(request).content)
        edit(page, str(request.url.params.get("marker", "0")))
        return httpx.Response(200, json=page)

    return answer


def _stays(page: dict[str, object], marker: str) -> None:
    page["next_marker"] = int(marker)


def _back_to_the_first(page: dict[str, object], marker: str) -> None:
    if marker == "20":
        page["next_marker"] = 10


def _first_page_again(page: dict[str, object], marker: str) -> None:
    page["invocations"] = RECORDS[:10]


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (_stays, "next_marker 0 repeats the marker asked for"),
        (_back_to_the_first, "next_marker 10 (after marker 20) leads back to a page already listed"),
        (_first_page_again, "the page at marker 10 holds only runs listed before: the pages make no progress"),
    ],
    ids=["marker-stays", "cycle", "repeated-page"],
)
def test_a_listing_that_makes_no_progress_is_a_break_whatever_the_page_limit(
    endpoint: Callable[..., Lifecycle], clock: Clock, edit: Callable[[dict[str, object], str], None], says: str
) -> None:
    with pytest.raises(ContractBreak, match=re.escape(says)):
        endpoint(_edited(edit), FGS_MAX_PAGES="1000").pages(10)


def _run(outcomes: list[str], **env: str) -> context.Run:
    run = context.Run(settings=Settings.resolve(env), base_url="http://busy.test")
    for n, text in enumerate(outcomes):
        outcome, _, reason = text.partition(": ")
        run.recorder.outcomes[f"checks/pagination.py::test_{n}"] = Outcome("pagination", f"t{n}", outcome, reason)
    return run


BUSY_SKIP = f"skipped: {TOO_BUSY}: 60 pages of 64 runs, still listing"


@pytest.mark.parametrize(
    ("outcomes", "env", "code", "says"),
    [
        (["passed", BUSY_SKIP], {}, cli.CONFORMANT, "conformant"),
        (["passed", BUSY_SKIP], {"FGS_FAIL_ON_SKIP": "1"}, cli.INCOMPLETE, "incomplete: 1 tests could not conclude"),
        (["passed", f"skipped: {NOT_APPLICABLE}: x"], {"FGS_FAIL_ON_SKIP": "1"}, cli.CONFORMANT, "conformant"),
        (["failed", BUSY_SKIP], {"FGS_FAIL_ON_SKIP": "1"}, cli.BROKEN, "the contract is broken"),
        ([BUSY_SKIP, BUSY_SKIP], {}, cli.CANNOT_TEST, f"nothing was tested: every test was skipped: {TOO_BUSY}"),
        ([], {}, cli.CANNOT_TEST, "nothing was tested: no test was collected"),
    ],
    ids=["busy-skip", "fail-on-skip", "not-applicable", "break-first", "only-skips", "none"],
)
def test_the_exit_code_weighs_breaks_then_emptiness_then_skips(
    outcomes: list[str], env: dict[str, str], code: int, says: str
) -> None:
    verdict, line = cli._verdict(_run(outcomes, **env), pytest.ExitCode.OK if outcomes else 5)
    assert (verdict, line.startswith(says)) == (code, True), line


def _shifted_back(page: dict[str, object], marker: str) -> None:
    # As if ten runs entered the status between two pages: the second page repeats the first's, shifted.
    if marker == "10":
        page["invocations"] = RECORDS[1:10] + RECORDS[:1]


def test_under_a_status_filter_only_a_page_seen_before_is_no_progress(
    endpoint: Callable[..., Lifecycle], clock: Clock
) -> None:
    lifecycle = endpoint(_edited(_shifted_back), FGS_MAX_PAGES="1000")
    # Runs moving into the status can push listed ones onto the next page: not a break, the listing goes on.
    assert len(lifecycle.pages(10, status="SUCCESS").complete()) == len(RECORDS)
    with pytest.raises(ContractBreak, match="the pages make no progress"):
        lifecycle.pages(10)  # without a filter the set in the window is fixed: it is
    with pytest.raises(ContractBreak, match="the pages make no progress"):
        endpoint(_edited(_first_page_again), FGS_MAX_PAGES="1000").pages(10, status="SUCCESS")

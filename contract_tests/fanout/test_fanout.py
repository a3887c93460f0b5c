"""invoke_many and ainvoke_many against in-process clients: order, errors, memory, rate, shared pause."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import random
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import closing
from typing import Any

import httpx
import pytest

import fgs
from contract_tests.fanout.fakes import FakeAsyncClient, FakeClient, FakeTime, rate_limited
from contract_tests.support.identities import PROJECT, URN
from fgs.fanout import FIRST_PAUSE, WINDOW, Pacer, ainvoke_many, invoke_many

Outcomes = list[str | fgs.FgsError]


def run(kind: str, client: FakeClient, payloads: Iterable[Mapping[str, Any]], **options: Any) -> Outcomes:
    """All outcomes of one fan-out, through the sync or the async variant over the same fake."""
    if kind == "sync":
        return list(invoke_many(client, URN, payloads, **options))

    async def collect() -> Outcomes:
        return [outcome async for outcome in ainvoke_many(FakeAsyncClient(client), URN, payloads, **options)]

    return asyncio.run(collect())


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_outcomes_come_in_input_order_with_each_payloads_own_error(kind: str) -> None:
    rng = random.Random(7)

    def refuse(n: int) -> fgs.FgsError | None:
        time.sleep(rng.random() / 2000)  # calls finish out of order
        return fgs.NotFoundError(f"HTTP 404 FSS.1051: {n}", status=404, error_code="FSS.1051") if n % 7 == 0 else None

    outcomes = run(kind, FakeClient(refuse), ({"n": n} for n in range(300)), concurrency=8)

    assert len(outcomes) == 300
    for n, outcome in enumerate(outcomes):
        if n % 7 == 0:
            assert isinstance(outcome, fgs.NotFoundError)
            assert (outcome.status, outcome.error_code, outcome.message) == (404, "FSS.1051", f"HTTP 404 FSS.1051: {n}")
        else:
            assert outcome == f"rid-{n}"


def test_the_real_clients_report_every_kind_of_failure_per_payload(kind: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if b'"missing"' in request.content:
            return httpx.Response(404, json={"error_code": "FSS.1051", "error_msg": "no such function"})
        return httpx.Response(202, json={"request_id": f"id-{len(request.content)}"})

    payloads: list[Any] = [{"k": "v"}, {"k": "missing"}, ["not", "an", "object"], {"k": "vv"}]
    if kind == "sync":
        with fgs.Client("https://fgs.test", PROJECT, "TOKEN-x", transport=httpx.MockTransport(answer)) as client:
            outcomes = list(invoke_many(client, URN, payloads, concurrency=2))
    else:

        async def collect() -> Outcomes:
            transport = httpx.MockTransport(answer)
            async with fgs.AsyncClient("https://fgs.test", PROJECT, "TOKEN-x", transport=transport) as client:
                return [outcome async for outcome in ainvoke_many(client, URN, payloads, concurrency=2)]

        outcomes = asyncio.run(collect())

    assert outcomes[0] == "id-9"
    assert isinstance(outcomes[1], fgs.NotFoundError)
    assert outcomes[1].error_code == "FSS.1051"
    assert isinstance(outcomes[2], fgs.InvalidRequestError)
    assert outcomes[3] == "id-10"


class Counted:
    """A stream of {"n": n} that records how far ahead of the consumer it has been read."""

    def __init__(self, count: int) -> None:
        self.count, self.pulled, self.consumed, self.most_ahead = count, 0, 0, 0

    def __iter__(self) -> Iterator[Mapping[str, Any]]:
        for n in range(self.count):
            self.pulled += 1
            self.most_ahead = max(self.most_ahead, self.pulled - self.consumed)
            yield {"n": n}

    async def __aiter__(self) -> AsyncIterator[Mapping[str, Any]]:
        for payload in self:
            yield payload


def test_memory_stays_bounded_for_a_hundred_thousand_payloads(kind: str) -> None:
    concurrency, stream = 8, Counted(100_000)
    client = FakeClient()
    client.events = _Discard()  # the fake's own log would be the only thing growing
    gc.collect()
    baseline, most = sys.getallocatedblocks(), 0

    def consumed(outcome: str | fgs.FgsError) -> None:
        nonlocal most
        assert outcome == f"rid-{stream.consumed}"
        stream.consumed += 1
        if stream.consumed % 1000 == 0:  # cheap enough to sample; tracemalloc would triple the run time
            most = max(most, sys.getallocatedblocks() - baseline)

    if kind == "sync":
        for outcome in invoke_many(client, URN, stream, concurrency=concurrency):
            consumed(outcome)
    else:

        async def consume() -> None:
            async for outcome in ainvoke_many(FakeAsyncClient(client), URN, stream, concurrency=concurrency):
                consumed(outcome)

        asyncio.run(consume())

    assert stream.consumed == 100_000
    assert stream.most_ahead <= WINDOW * concurrency + 1
    assert most < 5_000, f"{most} more memory blocks in use than before the run"  # listing them all: > 200,000


class _Discard(list[tuple[str, int, float]]):
    def append(self, item: tuple[str, int, float]) -> None:
        pass


def test_async_iterables_are_streamed_in_order() -> None:
    stream = Counted(500)

    async def consume() -> Outcomes:
        outcomes: Outcomes = []
        async for outcome in ainvoke_many(FakeAsyncClient(FakeClient()), URN, stream.__aiter__(), concurrency=4):
            stream.consumed += 1
            outcomes.append(outcome)
        return outcomes

    assert asyncio.run(consume()) == [f"rid-{n}" for n in range(500)]
    assert stream.most_ahead <= WINDOW * 4 + 1


def test_stopping_early_sends_no_more_than_the_window(kind: str) -> None:
    client = FakeClient()
    if kind == "sync":
        with closing(invoke_many(client, URN, Counted(10_000), concurrency=4)) as outcomes:
            taken = [next(outcomes) for _ in range(10)]
    else:

        async def take() -> Outcomes:
            outcomes = ainvoke_many(FakeAsyncClient(client), URN, Counted(10_000), concurrency=4)
            taken = [await anext(outcomes) for _ in range(10)]
            await outcomes.aclose()
            return taken

        taken = asyncio.run(take())

    assert taken == [f"rid-{n}" for n in range(10)]
    assert len(client.sends()) <= 10 + WINDOW * 4


def _until_raised(kind: str, client: FakeClient, payloads: Any, **options: Any) -> tuple[Outcomes, BaseException]:
    """The outcomes a fan-out yields before it raises, and what it raised."""
    taken: Outcomes = []

    def drain() -> None:
        taken.extend(invoke_many(client, URN, payloads, **options))

    async def adrain() -> None:
        async for outcome in ainvoke_many(FakeAsyncClient(client), URN, payloads, **options):
            taken.append(outcome)

    with pytest.raises(Exception) as raised:  # noqa: PT011 - the caller checks which
        drain() if kind == "sync" else asyncio.run(adrain())
    return taken, raised.value


def _breaks_after(count: int) -> Iterator[Mapping[str, Any]]:
    yield from ({"n": n} for n in range(count))
    raise OSError("the events file went away")


async def _abreaks_after(count: int) -> AsyncIterator[Mapping[str, Any]]:
    for payload in _breaks_after(count):
        yield payload


@pytest.mark.parametrize(("kind", "source"), [("sync", "iterable"), ("async", "iterable"), ("async", "async iterable")])
def test_an_error_reading_the_payloads_comes_after_every_outcome_before_it(kind: str, source: str) -> None:
    payloads = _breaks_after(25) if source == "iterable" else _abreaks_after(25)
    taken, raised = _until_raised(kind, FakeClient(), payloads, concurrency=4)
    assert taken == [f"rid-{n}" for n in range(25)]
    assert isinstance(raised, OSError)
    assert str(raised) == "the events file went away"


def test_an_unexpected_error_of_one_call_is_raised_in_its_place(kind: str) -> None:
    def refuse(n: int) -> fgs.FgsError | None:
        if n == 9:
            raise RuntimeError("a bug in a custom client")
        return None

    taken, raised = _until_raised(kind, FakeClient(refuse), ({"n": n} for n in range(50)), concurrency=4)
    assert taken == [f"rid-{n}" for n in range(9)]
    assert isinstance(raised, RuntimeError)


def test_a_call_that_raises_cancelled_error_ends_the_async_fanout_instead_of_hanging_it() -> None:
    class Cancelling(FakeAsyncClient):
        async def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
            if payload["n"] == 3:
                raise asyncio.CancelledError  # e.g. a custom client's own timeout, leaking out
            return await super().invoke_async(function_urn, payload)

    taken: Outcomes = []

    async def consume() -> None:
        async for outcome in ainvoke_many(Cancelling(FakeClient()), URN, ({"n": n} for n in range(20)), concurrency=4):
            taken.append(outcome)

    async def bounded() -> None:
        await asyncio.wait_for(consume(), timeout=10)

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(bounded())
    assert taken == ["rid-0", "rid-1", "rid-2"]


def test_an_async_source_that_waits_is_read_no_further_than_the_window() -> None:
    """Workers queue for a source that awaits: each must ask again, in its turn, whether the window is full."""
    read = consumed = most_ahead = 0

    async def source() -> AsyncIterator[Mapping[str, Any]]:
        nonlocal read, most_ahead
        for n in range(200):
            await asyncio.sleep(0.0005)
            read += 1
            most_ahead = max(most_ahead, read - consumed)
            yield {"n": n}

    async def consume() -> Outcomes:
        nonlocal consumed
        outcomes: Outcomes = []
        async for outcome in ainvoke_many(FakeAsyncClient(FakeClient()), URN, source(), concurrency=8):
            consumed += 1
            outcomes.append(outcome)
            await asyncio.sleep(0.002)  # a slow reader: the window fills
        return outcomes

    assert asyncio.run(consume()) == [f"rid-{n}" for n in range(200)]
    assert most_ahead <= WINDOW * 8 + 1


def test_an_async_source_that_would_block_after_its_end_is_not_read_again() -> None:
    """A queue with an end marker: once it has ended, no worker may wait on it for more."""

    async def consume() -> Outcomes:
        queue: asyncio.Queue[Mapping[str, Any] | None] = asyncio.Queue()

        async def produce() -> None:  # slowly: workers queue for the source while one waits on it
            for n in range(10):
                await asyncio.sleep(0.002)
                await queue.put({"n": n})
            await queue.put(None)

        producer = asyncio.ensure_future(produce())

        class Source:  # not a generator: asked again after its end, it waits on the queue
            def __aiter__(self) -> Source:
                return self

            async def __anext__(self) -> Mapping[str, Any]:
                payload = await queue.get()
                if payload is None:
                    raise StopAsyncIteration
                return payload

        outcomes = ainvoke_many(FakeAsyncClient(FakeClient()), URN, Source(), concurrency=4)
        taken = await asyncio.wait_for(_collect(outcomes), timeout=10)
        await producer
        return taken

    assert asyncio.run(consume()) == [f"rid-{n}" for n in range(10)]


async def _collect(outcomes: AsyncIterator[str | fgs.FgsError]) -> Outcomes:
    return [outcome async for outcome in outcomes]


def test_the_async_fanout_keeps_order_when_calls_finish_in_any_order() -> None:
    """Each call takes its own random time: many workers finish out of turn, and the window fills up."""
    rng = random.Random(3)

    class Jittery(FakeAsyncClient):
        async def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
            for _ in range(rng.randrange(6)):
                await asyncio.sleep(0)
            return await super().invoke_async(function_urn, payload)

    stream = Counted(2_000)

    async def consume() -> Outcomes:
        outcomes: Outcomes = []
        async for outcome in ainvoke_many(Jittery(FakeClient()), URN, stream, concurrency=16):
            stream.consumed += 1
            outcomes.append(outcome)
        return outcomes

    assert asyncio.run(consume()) == [f"rid-{n}" for n in range(2_000)]
    assert stream.most_ahead <= WINDOW * 16 + 1


@pytest.mark.parametrize(("kind", "concurrency"), [("sync", 1), ("async", 1), ("async", 6)])
def test_the_rate_spaces_out_every_start(kind: str, concurrency: int) -> None:
    fake = FakeTime()
    client = FakeClient(clock=fake.clock)
    sleep = fake.sleep if kind == "sync" else fake.asleep

    pacer = Pacer(10, clock=fake.clock)
    run(kind, client, ({"n": n} for n in range(50)), concurrency=concurrency, pacer=pacer, sleep=sleep)

    times = sorted(t for _, t in client.sends())
    assert len(times) == 50
    # By time t at most 1 + 10 t calls have started. (The fake clock jumps to the latest waker's time,
    # so two starts may share a reading: the bound, not the spacing, is what concurrent workers keep.)
    assert all(i <= 10 * t + 1e-6 for i, t in enumerate(times))
    assert times[-1] == pytest.approx(4.9)
    if concurrency == 1:
        assert min(b - a for a, b in itertools.pairwise(times)) == pytest.approx(0.1)


def test_without_a_rate_nothing_sleeps(kind: str) -> None:
    fake = FakeTime()
    sleep = fake.sleep if kind == "sync" else fake.asleep
    run(kind, FakeClient(clock=fake.clock), ({"n": n} for n in range(100)), pacer=Pacer(clock=fake.clock), sleep=sleep)
    assert fake.now == 0.0


def test_a_429_pauses_every_worker_for_its_retry_after() -> None:
    fake = FakeTime()
    client = FakeClient(lambda n: rate_limited(n, retry_after=3.0) if n == 5 else None, fake.clock)

    pacer = Pacer(clock=fake.clock)
    outcomes = run("async", client, ({"n": n} for n in range(40)), concurrency=6, pacer=pacer, sleep=fake.asleep)

    assert isinstance(outcomes[5], fgs.RateLimitError)
    assert outcomes[5].status == 429
    assert [o for i, o in enumerate(outcomes) if i != 5] == [f"rid-{n}" for n in range(40) if n != 5]
    refused_at = client.events.index(("429", 5, 0.0))
    later = [t for kind, _, t in client.events[refused_at + 1 :] if kind == "send"]
    assert len(later) >= 40 - WINDOW * 6  # all but the window's worth starts after the 429 ...
    assert min(later) >= 3.0  # ... and none of it before the pause is over


def test_a_429_pauses_the_sync_fanout_too() -> None:
    fake = FakeTime()
    client = FakeClient(lambda n: rate_limited(n) if n == 2 else None, fake.clock)

    run("sync", client, ({"n": n} for n in range(5)), concurrency=1, pacer=Pacer(clock=fake.clock), sleep=fake.sleep)

    assert client.sends() == [(0, 0.0), (1, 0.0), (2, 0.0), (3, FIRST_PAUSE), (4, FIRST_PAUSE)]


def test_threads_share_one_rate() -> None:
    """Real time, four threads: the rate bounds the starts of all of them together, not of each."""
    client = FakeClient(clock=time.monotonic)
    began = time.monotonic()
    outcomes = list(invoke_many(client, URN, ({"n": n} for n in range(20)), concurrency=4, rate=40))

    assert outcomes == [f"rid-{n}" for n in range(20)]
    times = sorted(t - began for _, t in client.sends())
    assert all(i <= 40 * t + 1 for i, t in enumerate(times))  # one rate for four threads would allow 4x
    assert times[-1] >= 19 / 40 - 0.01


def test_a_429_pauses_every_thread_for_its_retry_after() -> None:
    """Real time, four threads; each call takes 50 ms, so the calls already started are at most one a thread
    (the refused call's thread has 50 ms to close the gate, which a loaded machine still leaves it)."""

    def refuse(n: int) -> fgs.FgsError | None:
        time.sleep(0.05)
        return rate_limited(n, retry_after=0.5) if n == 3 else None

    client = FakeClient(refuse, clock=time.monotonic)
    outcomes = list(invoke_many(client, URN, ({"n": n} for n in range(24)), concurrency=4, pacer=Pacer()))

    assert isinstance(outcomes[3], fgs.RateLimitError)
    refused_at = next(t for kind, n, t in client.events if kind == "429")
    later = sorted(
        t for kind, _, t in client.events[client.events.index(("429", 3, refused_at)) + 1 :] if kind == "send"
    )
    assert len(later) >= 24 - WINDOW * 4
    assert all(t >= refused_at + 0.5 - 0.01 for t in later[3:])  # all but those started before the pause


def test_the_pause_doubles_while_429s_continue_and_a_success_resets_it() -> None:
    fake = FakeTime()
    pacer = Pacer(clock=fake.clock)
    for expected in (0.5, 1.0, 2.0, 4.0):
        pacer.observe(rate_limited(0))
        assert pacer.gate_wait() == expected
    fake.now = 100.0
    pacer.observe("rid")
    pacer.observe(rate_limited(0))
    assert pacer.gate_wait() == 0.5
    fake.now = 200.0
    pacer.observe(rate_limited(0, retry_after=9.0))
    assert pacer.gate_wait() == 9.0
    fake.now = 300.0
    pacer.observe(fgs.ServerError("HTTP 500", status=500))
    assert pacer.gate_wait() == 0.0  # only 429 closes the gate


def test_the_rate_queues_starts_behind_each_other_and_behind_the_gate() -> None:
    fake = FakeTime()
    pacer = Pacer(rate=4, clock=fake.clock)
    assert [pacer.reserve() for _ in range(3)] == [0.0, 0.25, 0.5]
    fake.now = 0.5
    pacer.hold(2.0)
    assert pacer.reserve() == 2.0  # not before the gate opens at 2.5
    assert pacer.reserve() == 2.25


def test_the_clients_retry_waits_hold_back_every_worker() -> None:
    """One call gets 429 with Retry-After: 2. While the client waits to retry it, nobody else starts a call.

    Time is fake and stands still until the test moves it; the workers only poll the gate meanwhile.
    """
    fake, sends, refused = FakeTime(), list[int](), threading.Event()
    at_refusal = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal at_refusal
        n = json.loads(request.content)["n"]
        sends.append(n)
        if n == 5 and not refused.is_set():
            at_refusal = len(sends)
            refused.set()
            return httpx.Response(429, headers={"Retry-After": "2"}, json={"error_code": "FSS.0429", "error_msg": "!"})
        return httpx.Response(202, json={"request_id": f"rid-{n}"})

    def client_waits(seconds: float) -> None:
        until = fake.now + seconds
        while fake.now < until:
            time.sleep(0.001)

    pacer = Pacer(clock=fake.clock)
    transport, outcomes = httpx.MockTransport(answer), Outcomes()
    with fgs.Client(
        "https://fgs.test", PROJECT, "TOKEN-x", transport=transport, sleep=pacer.retry_sleep(client_waits)
    ) as client:
        fanout = invoke_many(
            client, URN, ({"n": n} for n in range(40)), concurrency=4, pacer=pacer, sleep=lambda _: time.sleep(0.001)
        )
        consumer = threading.Thread(target=lambda: outcomes.extend(fanout))
        consumer.start()
        assert refused.wait(10)
        time.sleep(0.2)  # the chance to misbehave: without the shared gate the others fill the window
        started_meanwhile = len(sends) - at_refusal
        fake.now = 2.0
        consumer.join(10)

    assert started_meanwhile <= 3  # at most the calls already past the gate when the 429 came
    assert outcomes == [f"rid-{n}" for n in range(40)]  # the client's own retry got 5 through
    assert sends.count(5) == 2


def test_retry_sleep_holds_the_gate_then_sleeps() -> None:
    fake = FakeTime()
    pacer = Pacer(clock=fake.clock)
    pacer.retry_sleep(fake.sleep)(1.5)
    assert fake.now == 1.5
    fake.now = 1.0
    assert pacer.gate_wait() == 0.5


@pytest.mark.parametrize(
    "options",
    [{"concurrency": 0}, {"concurrency": 1.5}, {"rate": 0}, {"rate": float("nan")}, {"rate": 1, "pacer": Pacer()}],
)
def test_bad_options_are_refused_at_once(kind: str, options: dict[str, Any]) -> None:
    start: Any = invoke_many if kind == "sync" else ainvoke_many
    client = FakeClient() if kind == "sync" else FakeAsyncClient(FakeClient())
    with pytest.raises(ValueError, match=r"must be a positive|pass the rate to the Pacer"):
        start(client, URN, [], **options)

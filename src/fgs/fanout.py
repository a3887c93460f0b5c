"""Many invocations at once: bounded concurrency and memory, an optional rate, one shared pause on 429.

    for outcome in invoke_many(client, urn, ({"n": n} for n in range(100_000)), concurrency=32, rate=500):
        ...  # a request_id (str), or the FgsError that payload met, in input order

At most `concurrency` calls are in flight and at most WINDOW * concurrency payloads are held, so any
number of payloads streams through: iterables (and async iterables, for ainvoke_many) are read as the
window frees up, never listed.

Retries stay the client's: each call is retried as its RetryPolicy says, Retry-After included. What the
fan-out adds is a gate shared by every worker; while it is closed no call starts. Two things close it:
- the client's own retry waits, when the client was built with `sleep=pacer.retry_sleep()` (or
  `async_retry_sleep()`): the first 429 or 503 then holds back the whole fan-out for as long as the
  client waits, Retry-After included, with no second copy of the retry logic;
- a RateLimitError that reaches the fan-out (the server kept refusing after the client's retries): a
  pause that doubles with each 429 in a row, at least the error's `retry_after` when it carries one.
A 429'd payload is not sent again here: its outcome is the error.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Callable, Generator, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Protocol, TypeVar

from fgs.errors import FgsError, RateLimitError

DEFAULT_CONCURRENCY = 16
WINDOW = 2  # payloads held per worker: one in flight, one ready, so a worker never waits on the reader
FIRST_PAUSE = 0.5
MAX_PAUSE = 30.0

P = TypeVar("P", contravariant=True)
T = TypeVar("T")
Outcome = str | FgsError


class SyncInvoker(Protocol[P]):
    def invoke_async(self, function_urn: str, payload: P, /) -> str: ...


class AsyncInvoker(Protocol[P]):
    def invoke_async(self, function_urn: str, payload: P, /) -> Awaitable[str]: ...


class Pacer:
    """When the next call may start: a token bucket (one token, refilled at `rate`) and the shared gate.

    Thread-safe; it only keeps times, callers do the sleeping.
    """

    def __init__(self, rate: float | None = None, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate is not None and not (math.isfinite(rate) and rate > 0):
            raise ValueError("rate must be a positive number of calls per second")
        self.clock = clock
        self._interval = 0.0 if rate is None else 1.0 / rate
        self._next_token = self._open_at = -math.inf
        self._streak = 0
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Take the next start slot, queueing behind earlier takers; the seconds to wait for it."""
        with self._lock:
            now = self.clock()
            start = max(now, self._open_at, self._next_token)
            self._next_token = start + self._interval
            return start - now

    def gate_wait(self) -> float:
        """Seconds until the gate opens; it may have closed while a reserved slot was awaited."""
        with self._lock:
            return max(0.0, self._open_at - self.clock())

    def hold(self, seconds: float) -> None:
        """Close the gate for `seconds` from now (or leave it closed longer, if it already is)."""
        with self._lock:
            self._open_at = max(self._open_at, self.clock() + seconds)

    def retry_sleep(self, sleep: Callable[[float], None] = time.sleep) -> Callable[[float], None]:
        """For Client(sleep=...): every retry wait of the client holds back the whole fan-out as well."""

        def wait(seconds: float) -> None:
            self.hold(seconds)
            sleep(seconds)

        return wait

    def async_retry_sleep(
        self, sleep: Callable[[float], Awaitable[None]] | None = None
    ) -> Callable[[float], Awaitable[None]]:
        """For AsyncClient(sleep=...), as retry_sleep."""
        import asyncio

        pause = sleep or asyncio.sleep

        async def wait(seconds: float) -> None:
            self.hold(seconds)
            await pause(seconds)

        return wait

    def observe(self, outcome: Outcome) -> None:
        if not isinstance(outcome, FgsError):
            with self._lock:
                self._streak = 0
        elif isinstance(outcome, RateLimitError):
            with self._lock:
                pause = min(MAX_PAUSE, FIRST_PAUSE * 2**self._streak)
                self._streak = min(self._streak + 1, 16)
            asked = getattr(outcome, "retry_after", None)  # once the client passes Retry-After on
            if isinstance(asked, int | float) and math.isfinite(asked):
                pause = max(pause, float(asked))
            self.hold(pause)


def invoke_many(
    client: SyncInvoker[T],
    function_urn: str,
    payloads: Iterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate: float | None = None,
    pacer: Pacer | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Generator[Outcome]:
    """Invoke `function_urn` once per payload from `concurrency` threads; outcomes in input order.

    Pass either `rate`, or a `pacer` (that carries its own rate) to share it with the client's retries.
    Closing the iterator early (or an exception in the caller, Ctrl-C included) drops the payloads not yet
    started and waits for the calls in flight.
    """
    _check_concurrency(concurrency)
    gate = _pacer(rate, pacer)

    def call(payload: T) -> Outcome:
        wait = gate.reserve()
        while wait > 0:
            sleep(wait)
            wait = gate.gate_wait()
        outcome = _outcome_of(client.invoke_async, function_urn, payload)
        gate.observe(outcome)
        return outcome

    return _in_order_threads(call, payloads, concurrency)


def ainvoke_many(
    client: AsyncInvoker[T],
    function_urn: str,
    payloads: Iterable[T] | AsyncIterable[T],
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate: float | None = None,
    pacer: Pacer | None = None,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> AsyncGenerator[Outcome]:
    """The asyncio twin of invoke_many: `async for outcome in ainvoke_many(...)`.

    Wrap it in contextlib.aclosing() when you may stop early, so the calls in flight are cancelled at once.
    """
    import asyncio  # here: `import fgs` stays free of asyncio

    _check_concurrency(concurrency)
    gate, pause = _pacer(rate, pacer), sleep or asyncio.sleep

    async def call(payload: T) -> Outcome:
        wait = gate.reserve()
        while wait > 0:
            await pause(wait)
            wait = gate.gate_wait()
        try:
            outcome: Outcome = await client.invoke_async(function_urn, payload)
        except FgsError as error:
            outcome = error
        gate.observe(outcome)
        return outcome

    return _in_order_tasks(call, payloads, concurrency)


def _pacer(rate: float | None, pacer: Pacer | None) -> Pacer:
    if pacer is None:
        return Pacer(rate)
    if rate is not None:
        raise ValueError("pass the rate to the Pacer, not beside it")
    return pacer


def _outcome_of(invoke: Callable[[str, T], str], function_urn: str, payload: T) -> Outcome:
    try:
        return invoke(function_urn, payload)
    except FgsError as error:
        return error


def _check_concurrency(concurrency: int) -> None:
    if not isinstance(concurrency, int) or isinstance(concurrency, bool) or concurrency < 1:
        raise ValueError("concurrency must be a positive integer")


def _in_order_threads(call: Callable[[T], Outcome], payloads: Iterable[T], concurrency: int) -> Generator[Outcome]:
    window: deque[Future[Outcome]] = deque()
    iterator = iter(payloads)
    with ThreadPoolExecutor(concurrency, thread_name_prefix="fgs-fanout") as pool:
        try:
            while True:
                try:
                    payload = next(iterator)
                except StopIteration:
                    break
                except Exception:  # the payloads' own error: raised after the outcomes before it
                    while window:
                        yield window.popleft().result()
                    raise
                if len(window) >= WINDOW * concurrency:
                    yield window.popleft().result()
                window.append(pool.submit(call, payload))
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()  # those not started; leaving `with` waits for the ones in flight


async def _in_order_tasks(
    call: Callable[[T], Awaitable[Outcome]], payloads: Iterable[T] | AsyncIterable[T], concurrency: int
) -> AsyncGenerator[Outcome]:
    """`concurrency` workers take payloads in turn; each taken payload holds the next slot of the window.

    A task and a semaphore per payload cost about a tenth of a loopback call; a future per payload, and
    waits only when the window is full or empty, cost far less.
    """
    import asyncio

    loop = asyncio.get_running_loop()
    most = WINDOW * concurrency
    window: deque[asyncio.Future[Outcome]] = deque()
    ended = False  # the payloads ran out, or reading them failed
    room: asyncio.Future[None] | None = None  # awaited by workers while the window is full
    news: asyncio.Future[None] | None = None  # awaited by the reader while the window is empty

    def tell_reader() -> None:
        nonlocal news
        if news is not None and not news.done():
            news.set_result(None)

    take, turn = _taker(payloads)

    async def worker() -> None:
        nonlocal ended, room
        try:
            while not ended:
                if len(window) >= most:
                    if room is None or room.done():
                        room = loop.create_future()
                    await room
                    continue
                slot = loop.create_future()
                # An async source is read one worker at a time: while one waits for it, the others queue
                # here, so whether the payloads ran out or the window filled is asked again in turn.
                async with turn:
                    if ended or len(window) >= most:
                        continue
                    try:
                        payload = await take()
                    except StopAsyncIteration:
                        ended = True
                        return
                    except Exception as exc:  # the payloads' own error: raised after the outcomes before it
                        ended = True
                        window.append(slot)
                        slot.set_exception(exc)
                        return
                    finally:
                        tell_reader()
                    window.append(slot)
                try:
                    outcome = await call(payload)
                except Exception as exc:
                    if not slot.done():  # the reader may have been cancelled meanwhile
                        slot.set_exception(exc)
                except BaseException:
                    slot.cancel()  # a CancelledError out of the call: the reader must not wait for this slot
                    raise
                else:
                    if not slot.done():
                        slot.set_result(outcome)
        finally:
            tell_reader()

    workers = [loop.create_task(worker()) for _ in range(concurrency)]
    try:
        while window or not all(w.done() for w in workers):
            if not window:
                news = loop.create_future()
                await news
                continue
            outcome = await window[0]
            window.popleft()
            if room is not None and not room.done():
                room.set_result(None)
            yield outcome
        for w in workers:
            w.result()  # a worker's own failure, not a payload's
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        for slot in window:
            if slot.done() and not slot.cancelled():
                slot.exception()  # retrieved: no "never retrieved" warning for what was not yielded
            slot.cancel()


def _taker(
    payloads: Iterable[T] | AsyncIterable[T],
) -> tuple[Callable[[], Awaitable[T]], AbstractAsyncContextManager[Any]]:
    """How to take the next payload (StopAsyncIteration when there is none), and the turn to take it in.

    A plain iterable is read without a pause, so workers cannot interleave and need no turn; an async
    iterable is read under a lock.
    """
    import asyncio

    if not isinstance(payloads, AsyncIterable):
        iterator = iter(payloads)

        async def take_next() -> T:
            try:
                return next(iterator)
            except StopIteration:
                raise StopAsyncIteration from None

        return take_next, nullcontext()

    source = aiter(payloads)

    async def take_next_async() -> T:
        return await anext(source)

    return take_next_async, asyncio.Lock()


__all__ = ["AsyncInvoker", "Pacer", "SyncInvoker", "ainvoke_many", "invoke_many"]

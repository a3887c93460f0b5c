"""The emulator: runs accepted invocations through WAIT -> RUNNING -> SUCCESS | FAIL (or DISCARD).

No HTTP here. Each `step()` settles the runs whose time has come, discards events older than the
function's `max_async_event_age_in_seconds`, and starts waiting ones up to the function's concurrency.
All state is in the store, and every change there is a conditional, atomic update, so engines in
several processes sharing a file store never run one invocation twice. `speed` divides every duration
and age: at speed 10 a one-second run takes 0.1 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from fgs_mock.behaviour import TIMEOUT_CODE, Behaviour
from fgs_mock.clock import STEADY
from fgs_mock.runtime import FunctionCode, Outcome, Pool, code_of
from fgs_mock.runtime.pool import INITIALIZER_TRIES
from fgs_mock.runtime.records import destination_record
from fgs_mock.store import (
    DISCARD_BATCH,
    TERMINAL,
    Ending,
    Instant,
    Invocation,
    InvocationStore,
    Notification,
    Status,
    StoreUnavailable,
)

DEFAULT_EVENT_AGE = 3600  # the request table's defaults, used while a function has no async config
DEFAULT_RETRIES = 1  # the config request's default; with no config at all, a failure is not retried
BATCH = 200  # runs started per function and pass: a larger one holds the store long enough to show in p99
# Runs moved per function by a pass in the serving loop before it lets the loop answer again: a whole
# pass's worth (a hundred or more at 10,000 calls a second) held every answer for 1-2 ms.
LOOP_SLICE = 48
CANCELED_CODE = 4208
# A run of code ends through the runtime. Its due_at is past when any run of it must have ended: one
# still RUNNING then, that no engine here runs, was left by a worker that died.
CODE_GRACE = 60.0
REAP_EVERY = 1.0
# How long an engine with nothing to move waits between passes; a call that waits wakes it sooner. Idle
# at one pass a tick, a mock took 2.9% of a core (its loop 1.95%, its thread 0.95%): one such beside a
# loaded mock took its share of the two cores.
IDLE_TICK = 0.25
# With --workers a cancel may reach another process than the one running the run: each looks this often.
ENDED_ELSEWHERE_EVERY = 0.25
log = logging.getLogger("fgs_mock")
LOG_EVERY = 10.0  # seconds between two log lines about one ongoing store failure
CANCELED = Ending("FAIL", CANCELED_CODE, "function invocation canceled")
DISCARDED = Ending("DISCARD", -1, "event discarded: older than max_async_event_age_in_seconds")

# (project, function URN, body) -> the request_id of the invocation it made, or None when refused
Deliver = Callable[[str, str, bytes], str | None]


@dataclass(frozen=True)
class Settings:
    """The parts of a function's async config that the engine obeys."""

    max_age: float = DEFAULT_EVENT_AGE
    retries: int = DEFAULT_RETRIES
    on_success: dict[str, str] | None = None
    on_failure: dict[str, str] | None = None

    @classmethod
    def from_config(cls, doc: str | None) -> Settings:
        return _settings(doc)

    def destination(self, status: Status) -> dict[str, str] | None:
        """Where a run that ended with `status` is recorded, if anywhere."""
        return self.on_success if status == "SUCCESS" else self.on_failure


@lru_cache(maxsize=1024)
def _settings(doc: str | None) -> Settings:
    # Read for every group of calls and every pass, so parsed once per text; shared, so never changed.
    if doc is None:  # the user manual: a function error is not retried unless configured
        return Settings(retries=0)
    config = json.loads(doc)
    destinations = config.get("destination_config") or {}
    return Settings(
        config.get("max_async_event_age_in_seconds", DEFAULT_EVENT_AGE),
        config.get("max_async_retry_attempts", DEFAULT_RETRIES),
        destinations.get("on_success"),
        destinations.get("on_failure"),
    )


class Engine:
    def __init__(
        self,
        store: InvocationStore,
        deliver: Deliver | None = None,
        *,
        speed: float = 1.0,
        clock: Callable[[], float] = STEADY,
        tick: float = 0.01,
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.store = store
        self.speed = speed
        self.clock = clock
        self.tick = tick
        self._deliver = deliver
        self.runtime = Pool()  # instances of functions registered with code
        self.region = "eu-de"  # for the full URNs in destination records
        self._wake = threading.Event()  # calls wait or a run of code ended: pass now, not after a (idle) tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._in_loop: asyncio.AbstractEventLoop | None = None  # runs the canned passes while set
        self._next_pass: asyncio.Handle | None = None  # the loop's next canned pass, and when (loop.time())
        self._next_at = 0.0
        self._serving = object()  # this serving's passes: those of an earlier one, still scheduled, stop
        self._quiet_until = 0.0  # when a failing pass may be logged again

    def settings(self, function: str) -> Settings:
        found = self.store.config(function)
        return Settings.from_config(None if found is None else found[0])

    def step(self, *, canned: bool = True, code: bool = True, most: int = BATCH) -> int:
        """One pass over the store, for functions with a canned behaviour, with code, or both; the number
        of runs that changed status. `most` bounds the runs a function starts in it.

        Each statement is set-based, per function: a pass costs a few indexed queries per function,
        however many runs move.
        """
        now = self.clock()
        changed = 0
        for function, text in self.store.functions().items():
            found = code_of(text)
            if not (code if found is not None else canned) or not self.store.busy(function):
                continue
            settings = self.settings(function)
            if found is not None:
                changed += self._step_code(function, found, settings, now)
                continue
            behaviour = Behaviour.from_json(text)
            ending = _ending(behaviour)
            due_at = now + behaviour.run_time / self.speed
            with self.store.transaction():
                finished = self.store.finish(function, ending, settings.retries, now)
                discarded = self.store.discard_older(function, now - settings.max_age / self.speed, now, DISCARDED)
                # A full batch may have left older events waiting: they are discarded next, never started.
                started = 0
                if len(discarded) < DISCARD_BATCH and due_at > now:
                    started = self.store.claim(function, behaviour.concurrency, now, due_at, most=most)
                elif len(discarded) < DISCARD_BATCH:  # runs that take no time end as they start: one write each
                    limit = behaviour.concurrency
                    finished += self.store.claim_and_finish(function, limit, now, ending, settings.retries, most=most)
            for request_id in finished:
                self._notify(request_id, function, ending.status, settings, now)
            for request_id in discarded:
                self._notify(request_id, function, DISCARDED.status, settings, now)
            changed += len(finished) + len(discarded) + started
        return changed

    def _step_code(self, function: str, code: FunctionCode, settings: Settings, now: float) -> int:
        """Discard aged events, then hand waiting runs to the runtime, as many as it has room for."""
        claimed: list[tuple[str, bytes]] = []
        with self.store.transaction():
            requeued = self.store.requeue_overdue(function, now, self.runtime.in_flight())
            discarded = self.store.discard_older(function, now - settings.max_age / self.speed, now, DISCARDED)
            room = self.runtime.room(function, code.concurrency)
            if len(discarded) < DISCARD_BATCH and room > 0:
                initializing = INITIALIZER_TRIES * code.initializer_timeout if code.initializer else 0.0
                due_at = now + initializing + code.timeout + CODE_GRACE
                claimed = self.store.claim_runs(function, code.concurrency, now, due_at, most=min(room, BATCH))
        for request_id in discarded:
            self._notify(request_id, function, DISCARDED.status, settings, now)
        for request_id, body in claimed:
            self.runtime.submit(function, code, request_id, body, partial(self._settled, function, request_id))
        return requeued + len(discarded) + len(claimed)

    def _settled(self, function: str, request_id: str, outcome: Outcome) -> None:
        """A run of code ended: keep its output, end it or queue it again, tell its destination."""
        try:
            now = self.clock()
            self.store.put_output(request_id, outcome.result, outcome.error_json(), outcome.logs)
            if outcome.kind != "canceled":  # else the cancel ended it already
                settings = self.settings(function)
                ending = Ending(outcome.status, outcome.error_code, outcome.error_message)
                retries = settings.retries if outcome.retryable else -1
                reached = self.store.settle(request_id, ending, retries, now)
                if reached in TERMINAL:
                    self._notify(request_id, function, outcome.status, settings, now)
        except sqlite3.Error as exc:  # the store was closed under a run: the mock is stopping
            log.debug("a run ended after its store closed: %s", exc)
        self._wake.set()

    def cancel(self, function: str, request_id: str) -> bool:
        """Stop a run as the stop page says; False when `function` has no run with this id."""
        now = self.clock()
        stopped = self.store.cancel(function, request_id, now, CANCELED)
        if stopped is None:
            return False
        canceled = json.dumps(
            {"errorMessage": "function invocation canceled", "errorType": "Canceled", "stackTrace": []}
        )
        for stopped_id in stopped:  # kept now: the instance's end is heard later, from another thread
            self.store.put_output(stopped_id, None, canceled, "")
        self.runtime.cancel(stopped)
        settings = self.settings(function)
        for stopped_id in stopped:
            self._notify(stopped_id, function, CANCELED.status, settings, now)
        return True

    def _notify(self, request_id: str, function: str, status: Status, settings: Settings, now: float) -> None:
        target = settings.destination(status)
        if not target:
            return
        destination, param = target.get("destination", ""), target.get("param", "")
        record = json.dumps(self.record(request_id, function, status, now))
        delivered = None
        if destination == "FunctionGraph" and self._deliver is not None:
            delivered = self._deliver_to_function(function, param, record)
        self.store.notify(Notification(request_id, function, status, destination, param, now, delivered, record))

    def record(self, request_id: str, function: str, status: Status, now: float) -> dict[str, Any]:
        """What a destination is sent (see fgs_mock.runtime.records.destination_record)."""
        call = self.store.get(request_id)
        return destination_record(
            request_id,
            function,
            status,
            now,
            self.region,
            self.store.run(request_id),
            None if call is None else call.body,
            self.store.output(request_id),
        )

    def _deliver_to_function(self, function: str, param: str, record: str) -> str | None:
        assert self._deliver is not None
        try:
            urn = json.loads(param).get("func_urn")
        except (ValueError, AttributeError):
            return None
        if not isinstance(urn, str):
            return None
        return self._deliver(function.split(":", 1)[0], urn, record.encode())

    def stop_ended_elsewhere(self) -> None:
        """Kill instances whose run the store no longer has RUNNING: canceled through another worker, or evicted."""
        ended = []
        for request_id in self.runtime.running():
            run = self.store.run(request_id)
            if run is None or run.status != "RUNNING":
                ended.append(request_id)
        if ended:
            self.runtime.cancel(ended)

    # Running in the background

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="fgs-mock-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the loop and every instance of the runtime (runs in flight end as crashed)."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            self._wake.set()
            thread.join(timeout=10)
        self.runtime.close()

    @contextmanager
    def running(self) -> Iterator[Engine]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def serve_canned_in(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the passes over canned behaviours in `loop`, the server's, between its requests, until
        `stop_serving_canned`; the thread keeps the runs of code.

        In one thread, a pass hands the GIL to no one. From the engine's thread, each statement of a pass
        waited for the GIL, up to the interpreter's switch interval (5 ms), while the loop served: under
        load, passes came every 300 to 700 ms instead of every 13.
        """
        self._in_loop, self._serving = loop, object()
        self._schedule(loop, 0)

    def stop_serving_canned(self) -> None:
        self._in_loop, self._serving = None, object()
        self._wake.set()  # the thread takes the canned passes back now, not after an idle wait

    def _loop_pass(self, loop: asyncio.AbstractEventLoop, serving: object) -> None:
        if self._in_loop is not loop or self._serving is not serving:
            return
        moved, delay = 0, self.tick
        try:
            if self.store.unsettled():  # the tallies: with none waiting or running, a pass has nothing to move
                moved = self.step(code=False, most=LOOP_SLICE)
            else:
                delay = IDLE_TICK  # until a call waits (see `accept`)
        except StoreUnavailable as exc:
            self._store_unavailable(exc)
        except Exception:  # a pass that failed must not end the passes: the next one tries again
            log.exception("an engine pass failed")
        # A full slice may have left more waiting: the next pass comes after the requests already in.
        self._schedule(loop, 0 if moved >= LOOP_SLICE else delay)

    def _schedule(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        # uvloop hands back a Handle without `when()` for a delay of 0: the time is kept here.
        self._next_at = loop.time() + delay
        self._next_pass = loop.call_later(delay, self._loop_pass, loop, self._serving)

    def wake(self) -> None:
        """Calls wait: the next passes come within a tick, though the last found nothing to move (from
        any thread)."""
        self._wake.set()
        loop = self._in_loop
        if loop is not None:
            with suppress(RuntimeError):  # the loop closed meanwhile: the mock is stopping; the thread is awake
                loop.call_soon_threadsafe(self._hurry, loop)

    def _hurry(self, loop: asyncio.AbstractEventLoop) -> None:
        """`wake`, for the loop's passes, in the loop's thread."""
        handle = self._next_pass
        if self._in_loop is loop and handle is not None and self._next_at > loop.time() + self.tick:
            handle.cancel()
            self._schedule(loop, self.tick)

    def accept(self, invocations: Sequence[Invocation]) -> None:
        """Record a group of accepted calls. While the canned passes run in the serving loop, those of
        instant functions go in already ended, as the loop's next pass would end them: each is spared an
        UPDATE and a pass's commit."""
        loop = self._in_loop
        if loop is None:
            self.store.add_many(invocations)
            self._wake.set()
            return
        now = self.clock()
        instant, settings = self._instant(len(invocations), now)
        ended = self.store.add_ended(invocations, now, instant)
        try:  # the calls are stored: nothing after this may answer them 503
            if sum(map(len, ended.values())) < len(invocations):  # some wait, for the loop's passes or the thread's
                self._wake.set()
                self._hurry(loop)
            self._notify_ended(ended, instant, settings, now)
        except Exception:
            log.exception("after a group of calls was stored, waking the passes or telling destinations failed")

    def _instant(self, size: int, now: float) -> tuple[dict[str, Instant], dict[str, Settings]]:
        """The functions whose runs a pass would end as they start, at most `size` of each, and their settings."""
        instant: dict[str, Instant] = {}
        settings: dict[str, Settings] = {}
        for function, text in self.store.functions().items():
            if code_of(text) is not None:
                continue
            behaviour = Behaviour.from_json(text)
            if behaviour.run_time / self.speed != 0:  # not instant, as `step` sees it
                continue
            found = self.settings(function)
            ending = _ending(behaviour)
            if ending.status == "SUCCESS" or found.retries < 1:  # ended in one go, as claim_and_finish ends it
                settings[function] = found
                instant[function] = Instant(ending, min(behaviour.concurrency, size), now - found.max_age / self.speed)
        return instant, settings

    def _notify_ended(
        self, ended: dict[str, list[str]], instant: dict[str, Instant], settings: dict[str, Settings], now: float
    ) -> None:
        for function, request_ids in ended.items():
            status = instant[function].ending.status
            if settings[function].destination(status):  # checked once a function: most groups have none
                for request_id in request_ids:
                    self._notify(request_id, function, status, settings[function], now)

    def _store_unavailable(self, exc: StoreUnavailable) -> None:
        # A full disk: nothing moved, and every run is where it was; the next pass tries again.
        if time.monotonic() >= self._quiet_until:
            log.error("the engine cannot write to the store (%s); retrying every pass", exc)
            self._quiet_until = time.monotonic() + LOG_EVERY

    def _loop(self) -> None:
        reaped = looked = time.monotonic()
        while not self._stop.is_set():
            delay = self.tick
            try:
                if self.store.unsettled():  # as in `_loop_pass`
                    self.step(canned=self._in_loop is None)
                elif not self.runtime.in_flight():
                    delay = IDLE_TICK  # until a call waits or a run ends (`_wake`)
                if time.monotonic() - looked > ENDED_ELSEWHERE_EVERY:
                    self.stop_ended_elsewhere()
                    looked = time.monotonic()
            except StoreUnavailable as exc:
                self._store_unavailable(exc)
            if time.monotonic() - reaped > REAP_EVERY:
                self.runtime.reap()
                reaped = time.monotonic()
            self._wake.wait(delay)
            self._wake.clear()


def _ending(behaviour: Behaviour) -> Ending:
    if behaviour.outcome == "succeed":
        return Ending("SUCCESS", 0, "")
    if behaviour.outcome == "timeout":
        return Ending("FAIL", TIMEOUT_CODE, f"function invocation timed out after {behaviour.timeout:g} s")
    return Ending("FAIL", behaviour.code, "function invocation failed")

"""The emulator: runs accepted invocations through WAIT -> RUNNING -> SUCCESS | FAIL (or DISCARD).

No HTTP here. Each `step()` settles the runs whose time has come, discards events older than the
function's `max_async_event_age_in_seconds`, and starts waiting ones up to the function's concurrency.
All state is in the store, and every change there is a conditional, atomic update, so engines in
several processes sharing a file store never run one invocation twice. `speed` divides every duration
and age: at speed 10 a one-second run takes 0.1 s.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fgs_mock.behaviour import TIMEOUT_CODE, Behaviour
from fgs_mock.clock import STEADY
from fgs_mock.store import DISCARD_BATCH, Ending, InvocationStore, Notification, Status, StoreUnavailable

DEFAULT_EVENT_AGE = 3600  # the request table's defaults, used while a function has no async config
DEFAULT_RETRIES = 1
BATCH = 200  # runs started per function and pass: a larger one holds the store long enough to show in p99
CANCELED_CODE = 4208
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
        if doc is None:
            return cls()
        config = json.loads(doc)
        destinations = config.get("destination_config") or {}
        return cls(
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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def settings(self, function: str) -> Settings:
        found = self.store.config(function)
        return Settings.from_config(None if found is None else found[0])

    def step(self) -> int:
        """One pass over the store; the number of runs that changed status.

        Each statement is set-based, per function: a pass costs a few indexed queries per function,
        however many runs move.
        """
        now = self.clock()
        changed = 0
        for function, text in self.store.functions().items():
            if not self.store.busy(function):
                continue
            behaviour = Behaviour.from_json(text)
            settings = self.settings(function)
            ending = _ending(behaviour)
            due_at = now + behaviour.run_time / self.speed
            with self.store.transaction():
                finished = self.store.finish(function, ending, settings.retries, now)
                discarded = self.store.discard_older(function, now - settings.max_age / self.speed, now, DISCARDED)
                # A full batch may have left older events waiting: they are discarded next, never started.
                started = 0
                if len(discarded) < DISCARD_BATCH and due_at > now:
                    started = self.store.claim(function, behaviour.concurrency, now, due_at, most=BATCH)
                elif len(discarded) < DISCARD_BATCH:  # runs that take no time end as they start: one write each
                    limit = behaviour.concurrency
                    finished += self.store.claim_and_finish(function, limit, now, ending, settings.retries, most=BATCH)
            for request_id in finished:
                self._notify(request_id, function, ending.status, settings, now)
            for request_id in discarded:
                self._notify(request_id, function, DISCARDED.status, settings, now)
            changed += len(finished) + len(discarded) + started
        return changed

    def cancel(self, function: str, request_id: str) -> bool:
        """Stop a run as the stop page says; False when `function` has no run with this id."""
        now = self.clock()
        stopped = self.store.cancel(function, request_id, now, CANCELED)
        if stopped is None:
            return False
        settings = self.settings(function)
        for stopped_id in stopped:
            self._notify(stopped_id, function, CANCELED.status, settings, now)
        return True

    def _notify(self, request_id: str, function: str, status: Status, settings: Settings, now: float) -> None:
        target = settings.on_success if status == "SUCCESS" else settings.on_failure
        if not target:
            return
        destination, param = target.get("destination", ""), target.get("param", "")
        delivered = None
        if destination == "FunctionGraph" and self._deliver is not None:
            delivered = self._deliver_to_function(request_id, function, status, param)
        self.store.notify(Notification(request_id, function, status, destination, param, now, delivered))

    def _deliver_to_function(self, request_id: str, function: str, status: Status, param: str) -> str | None:
        assert self._deliver is not None
        try:
            urn = json.loads(param).get("func_urn")
        except (ValueError, AttributeError):
            return None
        if not isinstance(urn, str):
            return None
        event = json.dumps({"request_id": request_id, "function": function, "status": status}).encode()
        return self._deliver(function.split(":", 1)[0], urn, event)

    # Running in the background

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="fgs-mock-engine", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=10)

    @contextmanager
    def running(self) -> Iterator[Engine]:
        self.start()
        try:
            yield self
        finally:
            self.stop()

    def _loop(self) -> None:
        quiet_until = 0.0
        while not self._stop.is_set():
            try:
                self.step()
            except StoreUnavailable as exc:
                # A full disk: nothing moved, and every run is where it was; the next pass tries again.
                if time.monotonic() >= quiet_until:
                    log.error("the engine cannot write to the store (%s); retrying every pass", exc)
                    quiet_until = time.monotonic() + LOG_EVERY
            self._stop.wait(self.tick)


def _ending(behaviour: Behaviour) -> Ending:
    if behaviour.outcome == "succeed":
        return Ending("SUCCESS", 0, "")
    if behaviour.outcome == "timeout":
        return Ending("FAIL", TIMEOUT_CODE, f"function invocation timed out after {behaviour.timeout:g} s")
    return Ending("FAIL", behaviour.code, "function invocation failed")

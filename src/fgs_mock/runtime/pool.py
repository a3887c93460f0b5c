"""The instances of functions' code: started on demand, kept warm, reaped when idle, capped in all.

No HTTP here: the engine asks `submit()` to run an invocation and hears the Outcome through a callback.
"""

from __future__ import annotations

import atexit
import json
import shutil
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from fgs_mock.runtime.instance import Instance
from fgs_mock.runtime.records import HandlerError, Outcome, system_error
from fgs_mock.runtime.spec import FunctionCode

INITIALIZER_TRIES = 3  # the service gives up an instance whose initializer failed, 3 times at most
DEFAULT_MAX_INSTANCES = 32
DEFAULT_IDLE = 60.0

Done = Callable[[Outcome], None]


class Pool:
    """Up to `concurrency` instances per function and `max_instances` in all; idle ones are kept warm."""

    def __init__(self, *, max_instances: int = DEFAULT_MAX_INSTANCES, idle_timeout: float = DEFAULT_IDLE) -> None:
        self.max_instances = max_instances
        self.idle_timeout = idle_timeout
        self.credentials: dict[str, dict[str, str]] = {}  # short URN -> what the context's getters return
        self.started = 0  # instances started so far (cold starts)
        self._lock = threading.Lock()
        self._idle: list[Instance] = []
        self._busy: dict[str, int] = {}
        self._running: dict[str, Instance] = {}
        self._submitted: set[str] = set()
        self._scratch: str | None = None
        self._closes = 0  # how many times close() ran
        _POOLS.add(self)

    def room(self, function: str, concurrency: int) -> int:
        """How many more runs of `function` may start now in this process."""
        with self._lock:
            total = sum(self._busy.values())
            return max(0, min(concurrency - self._busy.get(function, 0), self.max_instances - total))

    def submit(self, function: str, code: FunctionCode, request_id: str, body: bytes, done: Done) -> None:
        """Run the invocation in an instance, in a thread of its own; `done` gets the outcome."""
        with self._lock:
            self._busy[function] = self._busy.get(function, 0) + 1
            self._submitted.add(request_id)

        def serve() -> None:
            try:
                outcome = self.run(function, code, request_id, body)
            except Exception as exc:
                outcome = system_error("crash", "RuntimeError", f"the instance could not run: {exc}"[:300])
            finally:
                with self._lock:
                    self._busy[function] -= 1
                    self._submitted.discard(request_id)
            done(outcome)

        threading.Thread(target=serve, name=f"fgs-mock-run-{request_id[:8]}", daemon=True).start()

    def run(self, function: str, code: FunctionCode, request_id: str, body: bytes) -> Outcome:
        """Run one invocation in a warm instance or a new one, and wait for its end."""
        try:
            instance = self._acquire(function, code, request_id)
            if isinstance(instance, Outcome):
                return instance
            with self._lock:
                self._running[request_id] = instance
            outcome = instance.call(request_id, _event_text(body), code.timeout)
        finally:
            with self._lock:
                self._running.pop(request_id, None)
        self._release(instance, keep=outcome.kind in ("success", "error"))
        return outcome

    def call(self, function: str, code: FunctionCode, event: Any, request_id: str) -> Any:
        """The fixture's `run()`: the handler's return value, or HandlerError."""
        outcome = self.run(function, code, request_id, json.dumps(event).encode())
        if outcome.kind != "success":
            raise HandlerError(outcome)
        return None if outcome.result is None else json.loads(outcome.result)

    def running(self) -> list[str]:
        """The request_ids of the store's runs in flight in this process (not the fixture's direct runs)."""
        with self._lock:
            return [request_id for request_id in self._running if request_id in self._submitted]

    def in_flight(self) -> set[str]:
        """The request_ids of the store's runs this process has taken and not ended yet."""
        with self._lock:
            return set(self._submitted)

    def cancel(self, request_ids: list[str]) -> None:
        """Kill the instances running these requests (their runs end as canceled)."""
        with self._lock:
            targets = [self._running[r] for r in request_ids if r in self._running]
        for instance in targets:
            instance.canceled = True
            instance.terminate()

    def reap(self) -> None:
        """Stop instances idle for longer than `idle_timeout`."""
        now = time.monotonic()
        with self._lock:
            old = [i for i in self._idle if now - i.idle_since > self.idle_timeout]
            self._idle = [i for i in self._idle if i not in old]
        for instance in old:
            instance.kill()

    def instances(self, function: str | None = None) -> int:
        """Instances alive now, idle or running (of `function`, or of all)."""
        with self._lock:
            found = self._idle + list(self._running.values())
        return sum(1 for i in found if function in (None, i.function) and i.alive())

    def close(self) -> None:
        """Stop every instance; runs in flight end as crashed. A later run starts a new instance."""
        with self._lock:
            idle, self._idle = self._idle, []
            running = list(self._running.values())
            scratch, self._scratch = self._scratch, None
            self._closes += 1
        for instance in running:
            instance.terminate()  # its run's thread frees the rest
        for instance in idle:
            instance.kill()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    def _acquire(self, function: str, code: FunctionCode, request_id: str) -> Instance | Outcome:
        key = code.to_json()
        stale: list[Instance] = []
        found = None
        with self._lock:
            for instance in reversed(self._idle):  # the most recently used is the warmest
                if instance.function == function:
                    self._idle.remove(instance)
                    if instance.key == key and instance.alive():
                        found = instance
                        break
                    stale.append(instance)
            if found is None:
                live = len(self._idle) + len(self._running)
                while self._idle and live >= self.max_instances:
                    stale.append(self._idle.pop(0))
                    live -= 1
            if self._scratch is None:
                self._scratch = tempfile.mkdtemp(prefix="fgs-mock-runtime-")
            scratch = self._scratch
            closes = self._closes
        for instance in stale:
            instance.kill()
        if found is not None:
            return found
        failed: Outcome | None = None
        for _ in range(INITIALIZER_TRIES if code.initializer else 1):
            started = self._start(function, code, request_id, scratch, closes)
            if started is None:
                return system_error("crash", "Crash", "the instance was stopped with the runtime")
            if code.initializer is None:
                return started
            failed = started.initialize(code.initializer_timeout)
            if failed.kind == "success":
                started.initializer_logs = failed.logs
                return started
            started.kill()
            if failed.kind == "canceled":
                return failed
        assert failed is not None
        assert failed.error is not None
        error = dict(failed.error)
        error["errorMessage"] = f"the initializer failed {INITIALIZER_TRIES} times: {error['errorMessage']}"
        return Outcome("initializer", error=error, logs=failed.logs)

    def _start(self, function: str, code: FunctionCode, request_id: str, scratch: str, closes: int) -> Instance | None:
        """A new instance for `request_id`, or None once close() ran since `closes`: none may outlive it."""
        with self._lock:
            if self._closes != closes:
                return None
        instance = Instance(function, code, self.credentials.get(function, {}), scratch)
        with self._lock:
            self.started += 1
            self._running[request_id] = instance  # a cancel reaches the run in its initializer too
            closed = self._closes != closes
        if closed:
            instance.kill()
            return None
        return instance

    def _release(self, instance: Instance, *, keep: bool) -> None:
        with self._lock:
            if keep and instance.alive():
                instance.idle_since = time.monotonic()
                self._idle.append(instance)
                return
        instance.kill()


_POOLS: weakref.WeakSet[Pool] = weakref.WeakSet()


@atexit.register
def _close_pools() -> None:
    for pool in list(_POOLS):
        pool.close()


def _event_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:  # JSON in another encoding: the mock accepted it, the handler reads it
        return json.dumps(json.loads(body))

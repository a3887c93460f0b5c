"""Instances of functions' code: worker processes started fresh, kept warm, reaped when idle.

Each instance is a process of its own session (a terminal's Ctrl-C does not reach it), niced, with
stdin and fd-level output on /dev/null. Requests and replies go through private pipes; a timeout, a
cancel, a crash or memory over the limit kills its whole process group. No HTTP here: the engine asks
`submit()` to run an invocation and hears the Outcome through a callback.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fgs_mock.runtime.records import HandlerError, Kind, Outcome, system_error
from fgs_mock.runtime.spec import FunctionCode
from fgs_mock.runtime.worker import MAX_RESULT, read_frame, write_frame

WORKER = str(Path(__file__).resolve().parent / "worker.py")
RUNTIME_ROOT = str(Path(__file__).resolve().parent)
INITIALIZER_TRIES = 3  # the service gives up an instance whose initializer failed, 3 times at most
MAX_LOG = 64 * 1024  # bytes of output kept per run
MAX_RESP_BODY_SIZE = 6_291_456
POLL = 0.02  # seconds between memory and cancel checks while a run is in flight
DEFAULT_MAX_INSTANCES = 32
DEFAULT_IDLE = 60.0
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
_PAGE = os.sysconf("SC_PAGE_SIZE")
MAX_WATCHED = 256  # processes of one instance whose memory is counted

Done = Callable[[Outcome], None]


def _rss(pid: int) -> int:
    """Resident bytes of the instance and of the processes it started, as /proc lists its children."""
    total, todo, seen = 0, [pid], set[int]()
    while todo and len(seen) < MAX_WATCHED:
        process = todo.pop()
        if process in seen:
            continue
        seen.add(process)
        try:
            with open(f"/proc/{process}/statm", "rb") as statm:
                total += int(statm.read().split()[1]) * _PAGE
            for task in os.listdir(f"/proc/{process}/task"):
                with open(f"/proc/{process}/task/{task}/children", "rb") as children:
                    todo.extend(int(child) for child in children.read().split())
        except (OSError, IndexError, ValueError):  # gone meanwhile, or a kernel without the children file
            continue
    return total


def function_config(function: str, code: FunctionCode, credentials: dict[str, str]) -> dict[str, Any]:
    """What an instance knows of its function, from the short URN `<project>:<package>:<name>:<qualifier>`."""
    project, package, name, qualifier = function.split(":")
    alias = qualifier[1:] if qualifier.startswith("!") else ""
    return {
        "project_id": project,
        "package": package,
        "name": name,
        "version": "latest" if alias else qualifier,
        "alias": alias,
        "timeout": code.timeout,
        "initializer": code.initializer,
        "initializer_timeout": code.initializer_timeout,
        "handler": code.handler,
        "memory": code.memory,
        "cpu": code.cpu,
        "user_data": dict(code.user_data),
        "code_root": code.code_root,
        "import_path": list(code.import_path),
        "credentials": credentials,
    }


def environment(config: dict[str, Any], log_dir: str) -> dict[str, str]:
    """The RUNTIME_* variables the service presets, and the user data; none of the mock's own secrets."""
    env = {key: os.environ[key] for key in _PASSED_ENV if key in os.environ}
    env.update(config["user_data"])
    env.update(
        {
            "RUNTIME_PROJECT_ID": config["project_id"],
            "RUNTIME_FUNC_NAME": config["name"],
            "RUNTIME_FUNC_VERSION": config["version"],
            "RUNTIME_PACKAGE": config["package"],
            "RUNTIME_HANDLER": config["handler"],
            "RUNTIME_TIMEOUT": f"{config['timeout']:g}",
            "RUNTIME_USERDATA": json.dumps(config["user_data"]),
            "RUNTIME_CPU": f"{config['cpu']:g}",
            "RUNTIME_MEMORY": str(config["memory"]),
            "RUNTIME_MAX_RESP_BODY_SIZE": str(MAX_RESP_BODY_SIZE),
            "RUNTIME_INITIALIZER_HANDLER": config["initializer"] or "",
            "RUNTIME_INITIALIZER_TIMEOUT": f"{config['initializer_timeout']:g}",
            "RUNTIME_ROOT": RUNTIME_ROOT,
            "RUNTIME_CODE_ROOT": config["code_root"],
            "RUNTIME_LOG_DIR": log_dir,
        }
    )
    return env


class Instance:
    """One worker process, serving one run at a time."""

    def __init__(self, function: str, code: FunctionCode, credentials: dict[str, str], scratch: str) -> None:
        self.function = function
        self.key = code.to_json()
        self.memory = code.memory * 1024 * 1024
        self.log_dir = tempfile.mkdtemp(prefix="instance-", dir=scratch)
        self.log_path = os.path.join(self.log_dir, "output.log")
        Path(self.log_path).touch(0o600)
        config = function_config(function, code, credentials)
        request_r, self._request_w = os.pipe()
        self._reply_r, reply_w = os.pipe()
        try:
            self.process = subprocess.Popen(
                [code.python, WORKER, str(request_r), str(reply_w), self.log_path],
                pass_fds=(request_r, reply_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=code.code_root,
                env=environment(config, self.log_dir),
                start_new_session=True,
            )
        finally:
            os.close(request_r)
            os.close(reply_w)
        self.idle_since = time.monotonic()
        self.canceled = False
        self.initializer_logs = ""
        self._send({"op": "config", "config": config})

    def _send(self, message: dict[str, Any]) -> bool:
        try:
            write_frame(self._request_w, message)
        except OSError:  # the instance is gone: its reply is an end of file
            return False
        return True

    def initialize(self, timeout: float) -> Outcome:
        return self._exchange({"op": "init", "log_cap": MAX_LOG}, timeout, "initializer")

    def call(self, request_id: str, event: str, timeout: float) -> Outcome:
        outcome = self._exchange({"op": "run", "request_id": request_id, "event": event, "log_cap": MAX_LOG}, timeout)
        if not self.initializer_logs:
            return outcome
        # What the initializer printed goes with the first run it served, as on the service's log stream.
        logs, self.initializer_logs = self.initializer_logs + outcome.logs, ""
        return Outcome(outcome.kind, outcome.result, outcome.error, logs)

    def _exchange(self, request: dict[str, Any], timeout: float, what: str = "run") -> Outcome:
        os.truncate(self.log_path, 0)
        deadline = time.monotonic() + timeout
        reply = self._wait(deadline, timeout, what) if self._send(request) else self._ended(what)
        logs = self._logs()
        if isinstance(reply, Outcome):
            return Outcome(reply.kind, reply.result, reply.error, logs)
        if what == "initializer" and not reply["ok"]:
            return Outcome("initializer", error=reply["error"], logs=logs)
        if not reply["ok"]:
            return Outcome("oom" if reply.get("oom") else "error", error=reply["error"], logs=logs)
        if reply.get("size", 0) > MAX_RESULT:
            logs += f"[the return value of {reply['size']} bytes is over {MAX_RESULT}: recorded as null]\n"
        return Outcome("success", result=reply.get("result"), logs=logs)

    def _wait(self, deadline: float, timeout: float, what: str) -> dict[str, Any] | Outcome:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop()
                kind: Kind = "initializer" if what == "initializer" else "timeout"
                return system_error(kind, "TimeoutError", f"the {what} timed out after {timeout:g} s")
            ready, _, _ = select.select([self._reply_r], [], [], min(left, POLL))
            if ready:
                try:
                    reply = read_frame(self._reply_r)
                except (OSError, ValueError):
                    reply = None
                return self._ended(what) if reply is None else reply
            if self.canceled:
                self.stop()
                return system_error("canceled", "Canceled", "function invocation canceled")
            if _rss(self.process.pid) > self.memory:
                self.stop()
                return system_error(
                    "oom", "MemoryError", f"the instance went over its memory of {self.memory >> 20} MB"
                )

    def _ended(self, what: str) -> Outcome:
        if self.canceled:
            return system_error("canceled", "Canceled", "function invocation canceled")
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stop()
        if code is not None and code < 0:
            how = f"was killed by {signal.Signals(-code).name}"
        else:
            how = f"exited with status {code}"
        return system_error("initializer" if what == "initializer" else "crash", "Crash", f"the instance {how}")

    def _logs(self) -> str:
        try:
            with open(self.log_path, "rb") as log:
                data = log.read(MAX_LOG + 64)
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        """Kill the instance's process group; safe from any thread (the pipes stay to their owner)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Kill the process group and reap the instance; its output stays readable until `kill()`."""
        self.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)

    def kill(self) -> None:
        """End the instance and every process it started, and free what it held: by its owner only."""
        self.stop()
        for fd in (self._request_w, self._reply_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._request_w = self._reply_r = -1
        shutil.rmtree(self.log_dir, ignore_errors=True)


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
        instance = self._acquire(function, code)
        if isinstance(instance, Outcome):
            return instance
        with self._lock:
            self._running[request_id] = instance
        try:
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
        for instance in running:
            instance.terminate()  # its run's thread frees the rest
        for instance in idle:
            instance.kill()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)

    def _acquire(self, function: str, code: FunctionCode) -> Instance | Outcome:
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
        for instance in stale:
            instance.kill()
        if found is not None:
            return found
        failed: Outcome | None = None
        for _ in range(INITIALIZER_TRIES if code.initializer else 1):
            instance = Instance(function, code, self.credentials.get(function, {}), scratch)
            with self._lock:
                self.started += 1
            if code.initializer is None:
                return instance
            failed = instance.initialize(code.initializer_timeout)
            if failed.kind == "success":
                instance.initializer_logs = failed.logs
                return instance
            instance.kill()
        assert failed is not None
        assert failed.error is not None
        error = dict(failed.error)
        error["errorMessage"] = f"the initializer failed {INITIALIZER_TRIES} times: {error['errorMessage']}"
        return Outcome("initializer", error=error, logs=failed.logs)

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

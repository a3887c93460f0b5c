"""One instance of a function's code: a worker process started fresh, serving one run at a time.

Each instance is a process of its own session (a terminal's Ctrl-C does not reach it), niced, with
stdin and fd-level output on /dev/null. Requests and replies go through private pipes, output through
a file of its own; a timeout, a cancel, a crash or memory over the limit kills its whole process group.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

from fgs_mock.runtime.records import Kind, Outcome, system_error
from fgs_mock.runtime.spec import FunctionCode
from fgs_mock.runtime.worker import HEAD, MAX_FRAME, MAX_RESULT, frame

WORKER = str(Path(__file__).resolve().parent / "worker.py")
RUNTIME_ROOT = str(Path(__file__).resolve().parent)
MAX_LOG = 64 * 1024  # bytes of output kept per run
MAX_RESP_BODY_SIZE = 6_291_456
CONFIG_WAIT = 30.0  # seconds a new instance may take to read its configuration
POLL = 0.02  # seconds between memory and cancel checks while a run is in flight
_PASSED_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR")
_PAGE = os.sysconf("SC_PAGE_SIZE")
MAX_WATCHED = 256  # processes of one instance whose memory is counted


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


def _frame(received: bytearray) -> dict[str, Any] | None:
    """The reply in `received` once it is whole; ValueError for one that breaks the framing."""
    if len(received) < HEAD.size:
        return None
    (size,) = HEAD.unpack_from(received)
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    if len(received) < HEAD.size + size:
        return None
    return dict(json.loads(received[HEAD.size : HEAD.size + size]))


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # a real-time signal has no name of its own
        return f"signal {number}"


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
        os.set_blocking(self._request_w, False)  # a stalled instance must not hold a run past its timeout
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
        if self._send({"op": "config", "config": config}, time.monotonic() + CONFIG_WAIT) == "late":
            self.stop()  # half a frame sent: its first exchange hears an end of file

    def _send(self, message: dict[str, Any], deadline: float) -> Literal["sent", "gone", "late"]:
        """Write a request; "gone" when the instance is (its reply is an end of file), "late" at the deadline."""
        view = memoryview(frame(message))
        while view:
            try:
                view = view[os.write(self._request_w, view) :]
            except BlockingIOError:  # the instance is not reading: stopped, or its code holds it
                left = deadline - time.monotonic()
                if left <= 0:
                    return "late"
                select.select([], [self._request_w], [], min(left, POLL))
            except OSError:
                return "gone"
        return "sent"

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
        sent = self._send(request, deadline)
        if sent == "sent":
            reply = self._wait(deadline, timeout, what)
        else:
            reply = self._ended(what) if sent == "gone" else self._timed_out(timeout, what)
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
        # Read as bytes arrive, never blocking: the function's code can write on this pipe too, and half
        # a frame must not hold the run past its timeout.
        received = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return self._timed_out(timeout, what)
            ready, _, _ = select.select([self._reply_r], [], [], min(left, POLL))
            if ready:
                chunk = os.read(self._reply_r, 1 << 16)
                if not chunk:
                    return self._ended(what)
                received += chunk
                try:
                    reply = _frame(received)
                except ValueError:
                    self.stop()
                    kind: Kind = "initializer" if what == "initializer" else "crash"
                    return system_error(kind, "Crash", "the instance wrote what is not a reply on its reply channel")
                if reply is not None:
                    return reply
            if self.canceled:
                self.stop()
                return system_error("canceled", "Canceled", "function invocation canceled")
            if _rss(self.process.pid) > self.memory:
                self.stop()
                return system_error(
                    "oom", "MemoryError", f"the instance went over its memory of {self.memory >> 20} MB"
                )

    def _timed_out(self, timeout: float, what: str) -> Outcome:
        self.stop()
        kind: Kind = "initializer" if what == "initializer" else "timeout"
        return system_error(kind, "TimeoutError", f"the {what} timed out after {timeout:g} s")

    def _ended(self, what: str) -> Outcome:
        if self.canceled:
            return system_error("canceled", "Canceled", "function invocation canceled")
        try:
            code = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        self.stop()
        if code is None:  # still running after its reply pipe closed: the code closed it
            how = "closed its reply channel"
        elif code < 0:
            how = f"was killed by {_signal_name(-code)}"
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

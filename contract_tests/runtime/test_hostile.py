"""Hostile user code: whatever a handler does, its run ends with a final status and nothing leaks."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import fgs
from contract_tests.runtime.support import free_port, invoke, pid_written
from contract_tests.support.processes import is_alive, process_state, wait_until_serving
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from fgs_mock.runtime import HandlerError
from fgs_mock.testing import MockEndpoint

WIDE = "\U0001f600" * 4000
HOSTILE = """
import os, signal, sys, threading, time

def fork_and_return(event, context):
    os.fork()  # parent and child both return: only the instance itself may answer
    return event

def write_on_reply_channel(event, context):
    os.write(int(sys.argv[2]), bytes.fromhex(event["bytes"]))
    time.sleep(600)

def breaks_its_end(event, context):
    if event["how"] == "close":
        os.close(int(sys.argv[2]))
        time.sleep(600)
    os.kill(os.getpid(), signal.SIGRTMIN + 3)

def stops_itself(event, context):
    if event.get("stop"):  # once it has answered, the instance stops reading: SIGSTOP from a thread
        threading.Thread(target=lambda: (time.sleep(0.1), os.kill(os.getpid(), signal.SIGSTOP))).start()
    return os.getpid()

def writes_bytes(event, context):
    sys.stdout.buffer.write(b"raw bytes\\n")
    sys.stderr.buffer.write("caf\\u00e9\\n".encode(sys.stderr.encoding))
    return "ok"

def slow_init(context):
    with open(os.path.join(os.environ["MARKS"], "init.pid"), "w") as mark:
        mark.write(str(os.getpid()))
    time.sleep(600)

def marks_run(event, context):
    open(os.path.join(os.environ["MARKS"], "ran"), "w").close()
    return "ran"

def raises(event, context):
    raise {"exit": SystemExit(3), "interrupt": KeyboardInterrupt()}[event["what"]]

def returns(event, context):
    deep = []
    for _ in range(100_000):
        deep = [deep]
    return {"nan": float("nan"), "deep": deep}[event["what"]]

def closes_std_fds(event, context):
    os.closerange(0, 3)
    sys.stdout.close()
    print("after close")
    return "ok"

def child_then_sleep(event, context):
    import subprocess
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(os.environ["PID_FILE"], "w") as pids:
        pids.write(f"{os.getpid()} {child.pid}")
    time.sleep(600)

def uses_shadowed(event, context):
    context.getLogger().info("logged")
    raise ValueError("with a stack")
"""

# Two functions calling each other, each on a line of 4,000 emoji: in JSON, their stack trace is > 1 MB.
HOSTILE += "".join(
    f"\ndef {name}(event, context, depth=0):\n"
    f"    wide = '{WIDE}'; return {other}(event, context, depth + 1) if depth < 60 else wide[int(wide)]\n"
    for name, other in (("deep_wide_error", "_other"), ("_other", "deep_wide_error"))
)
# Modules of the standard library that the instance's entry point relies on, shadowed by the code folder.
SHADOWS = ("json", "traceback", "linecache", "tokenize", "datetime", "signal", "struct", "select")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    code = tmp_path / "code"
    code.mkdir()
    (code / "hostile.py").write_text(HOSTILE, encoding="utf-8")
    return code


def _register(mock: MockEndpoint, folder: Path, handler: str, **options: Any) -> str:
    return mock.register(handler.replace("_", "-"), path=str(folder), handler=f"hostile.{handler}", **options)


def _failure_within(mock: MockEndpoint, urn: str, event: dict[str, Any], seconds: float = 30) -> HandlerError:
    """The HandlerError of a direct run, which must end within `seconds` (in a thread, so a hang fails)."""
    ended: list[BaseException | None] = []

    def run() -> None:
        try:
            mock.run(urn, event)
        except BaseException as exc:  # whatever it is, the test reports it
            ended.append(exc)
        else:
            ended.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), "the run did not end at its timeout"
    assert isinstance(ended[0], HandlerError), ended
    return ended[0]


def test_a_forked_child_that_returns_does_not_answer_for_later_runs(fgs_mock: MockEndpoint, folder: Path) -> None:
    urn = _register(fgs_mock, folder, "fork_and_return", timeout=10)
    for n in range(4):
        assert fgs_mock.run(urn, {"n": n}) == {"n": n}


# Half a frame header and nothing more must not stall the reader; a frame past the bound is no reply.
@pytest.mark.parametrize(("written", "kind"), [("0000", "timeout"), ("ffffffff", "crash")])
def test_bytes_written_on_the_reply_channel_do_not_hold_the_run_past_its_timeout(
    fgs_mock: MockEndpoint, folder: Path, written: str, kind: str
) -> None:
    urn = _register(fgs_mock, folder, "write_on_reply_channel", timeout=0.5)
    assert _failure_within(fgs_mock, urn, {"bytes": written}).kind == kind


def _in_slow_initializer(fgs_mock: MockEndpoint, folder: Path, marks: Path) -> tuple[str, str, int]:
    """Invoke a function whose initializer never ends; its URN, request_id and the instance's pid."""
    marks.mkdir()
    urn = _register(
        fgs_mock,
        folder,
        "marks_run",
        initializer="hostile.slow_init",
        initializer_timeout=120,
        timeout=10,
        user_data={"MARKS": str(marks)},
    )
    request_id = invoke(fgs_mock, urn)
    return urn, request_id, pid_written(marks / "init.pid")


def test_a_cancel_stops_a_run_still_in_its_initializer(fgs_mock: MockEndpoint, folder: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    urn, request_id, pid = _in_slow_initializer(fgs_mock, folder, marks)
    with fgs_mock.client() as client:
        client.cancel_invocation(urn, request_id)
    deadline = time.monotonic() + 20
    while is_alive(pid):
        assert time.monotonic() < deadline, "the canceled run's initializer still runs"
        time.sleep(0.02)
    call = fgs_mock.wait(request_id)
    assert (call.run_status, call.attempts) == ("FAIL", 1)
    time.sleep(0.5)  # no instance may take the canceled run up again
    assert not (marks / "ran").exists()
    assert fgs_mock.backend.engine.runtime.instances(None) == 0


def test_a_reset_stops_an_instance_in_its_initializer_and_starts_no_other(
    fgs_mock: MockEndpoint, folder: Path, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    _, _, pid = _in_slow_initializer(fgs_mock, folder, marks)
    (marks / "init.pid").unlink()
    fgs_mock.reset()
    deadline = time.monotonic() + 20
    while is_alive(pid):
        assert time.monotonic() < deadline, "the initializer outlived the reset"
        time.sleep(0.02)
    time.sleep(0.5)  # long enough for another instance to have started its initializer
    assert not (marks / "init.pid").exists()
    assert _workers() == []


def test_an_instance_that_stopped_reading_cannot_hold_a_large_event_past_its_timeout(
    fgs_mock: MockEndpoint, folder: Path
) -> None:
    urn = _register(fgs_mock, folder, "stops_itself", timeout=0.5)
    pid = fgs_mock.run(urn, {"stop": True})
    deadline = time.monotonic() + 20
    while process_state(pid) != "T":
        assert time.monotonic() < deadline, "the instance did not stop"
        time.sleep(0.02)
    assert _failure_within(fgs_mock, urn, {"blob": "x" * 300_000}).kind == "timeout"  # more than a pipe holds


def test_an_error_with_a_deep_stack_of_long_non_ascii_lines_is_still_the_functions_error(
    fgs_mock: MockEndpoint, folder: Path
) -> None:
    urn = _register(fgs_mock, folder, "deep_wide_error", timeout=10)
    with pytest.raises(HandlerError) as raised:
        fgs_mock.run(urn)
    assert (raised.value.kind, raised.value.error_type) == ("error", "ValueError")
    assert raised.value.stack_trace
    assert "deep_wide_error" in raised.value.stack_trace[-1]  # the innermost frame is kept


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("close", "the instance closed its reply channel"),
        ("signal", f"the instance was killed by signal {signal.SIGRTMIN + 3}"),
    ],
)
def test_an_instance_that_closes_its_reply_pipe_or_dies_of_an_unnamed_signal_crashes_its_run(
    fgs_mock: MockEndpoint, folder: Path, how: str, message: str
) -> None:
    urn = _register(fgs_mock, folder, "breaks_its_end", timeout=60)
    with pytest.raises(HandlerError) as raised:
        fgs_mock.run(urn, {"how": how})
    assert (raised.value.kind, raised.value.error_message) == ("crash", message)


def test_bytes_written_to_stdout_buffer_are_kept_with_the_run(fgs_mock: MockEndpoint, folder: Path) -> None:
    urn = _register(fgs_mock, folder, "writes_bytes", timeout=10)
    call = fgs_mock.wait(invoke(fgs_mock, urn))
    assert (call.run_status, call.result) == ("SUCCESS", "ok")
    assert call.logs == "raw bytes\ncaf\u00e9\n"


@pytest.mark.parametrize("what", ["exit", "interrupt"])
def test_system_exit_and_keyboard_interrupt_fail_the_run_and_the_instance_serves_on(
    fgs_mock: MockEndpoint, folder: Path, what: str
) -> None:
    urn = _register(fgs_mock, folder, "raises", timeout=10)
    for _ in range(2):
        with pytest.raises(HandlerError) as raised:
            fgs_mock.run(urn, {"what": what})
        assert raised.value.kind == "error"
        assert raised.value.error_type == {"exit": "SystemExit", "interrupt": "KeyboardInterrupt"}[what]
    assert fgs_mock.backend.engine.runtime.started == 1


@pytest.mark.parametrize("what", ["nan", "deep"])
def test_nan_and_too_deep_values_are_not_json(fgs_mock: MockEndpoint, folder: Path, what: str) -> None:
    urn = _register(fgs_mock, folder, "returns", timeout=10)
    with pytest.raises(HandlerError) as raised:
        fgs_mock.run(urn, {"what": what})
    assert (raised.value.kind, raised.value.error_type) == ("error", "TypeError")
    assert "not JSON" in raised.value.error_message


def test_a_handler_that_closes_its_standard_fds_still_ends_and_is_served_again(
    fgs_mock: MockEndpoint, folder: Path
) -> None:
    urn = _register(fgs_mock, folder, "closes_std_fds", timeout=10)
    assert fgs_mock.run(urn) == "ok"
    assert fgs_mock.run(urn) == "ok"


def test_code_that_shadows_standard_modules_does_not_break_the_instance(fgs_mock: MockEndpoint, folder: Path) -> None:
    for name in SHADOWS:
        (folder / f"{name}.py").write_text("raise ImportError('the shadowing module was imported')\n")
    urn = _register(fgs_mock, folder, "uses_shadowed", timeout=10)
    request_id = invoke(fgs_mock, urn)
    call = fgs_mock.wait(request_id)
    assert call.run_status == "FAIL"
    assert call.error is not None
    assert call.error["errorType"] == "ValueError"
    assert any("uses_shadowed" in line for line in call.error["stackTrace"])
    assert f"{request_id} INFO logged" in call.logs


def test_no_instance_outlives_its_pool(fgs_mock: MockEndpoint, folder: Path) -> None:
    urn = _register(fgs_mock, folder, "fork_and_return", timeout=10)
    fgs_mock.run(urn, {})
    fgs_mock.reset()
    deadline = time.monotonic() + 20
    while _workers():
        assert time.monotonic() < deadline, f"instances left behind: {_workers()}"
        time.sleep(0.05)


def test_a_mock_killed_outright_leaves_no_instance_nor_its_children_running(folder: Path, tmp_path: Path) -> None:
    port, pid_file = free_port(), tmp_path / "pids"
    urn = DEFAULT_FUNCTION_URN.replace(":hello:", ":waiter:")
    command = [sys.executable, "-m", "fgs_mock", "--port", str(port)]
    options = [f"{urn}=path={folder},handler=hostile.child_then_sleep,timeout=60", f"{urn}:PID_FILE={pid_file}"]
    mock = subprocess.Popen(
        [*command, "--function", options[0], "--user-data", options[1]],
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(base, mock, "fgs-mock")
        with fgs.Client(base, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
            client.invoke_async(urn, {})
        deadline = time.monotonic() + 30
        while len(pids := pid_file.read_text().split() if pid_file.exists() else []) < 2:
            assert time.monotonic() < deadline, "the handler did not start its child"
            time.sleep(0.02)
        os.kill(mock.pid, signal.SIGKILL)  # no atexit, no cleanup: the instance must notice by itself
    finally:
        if mock.poll() is None:
            mock.kill()
        mock.wait(timeout=30)
    deadline = time.monotonic() + 20
    try:
        while left := [pid for pid in map(int, pids) if is_alive(pid)]:
            assert time.monotonic() < deadline, f"outlived their mock: {left}"
            time.sleep(0.05)
    finally:
        for pid in map(int, pids):  # whatever the outcome, this test leaves nothing behind
            if is_alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _workers() -> list[int]:
    """Live instance processes this test process started, and what they forked."""
    parents = {str(os.getpid())}
    found = []
    for _ in range(2):  # instances, then their forks
        for entry in Path("/proc").iterdir():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
                parent = (entry / "stat").read_text().rsplit(")", 1)[1].split()[2]
            except (OSError, IndexError):
                continue
            if parent in parents and any(a.endswith(b"runtime/worker.py") for a in args) and is_alive(int(entry.name)):
                found.append(int(entry.name))
        parents |= {str(pid) for pid in found}
    return sorted(set(found))

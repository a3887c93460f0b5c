"""The three commands as people meet them, each in a real child process: --version, no traceback on Ctrl-C
or a closed pipe, and one clear line for each mistake the issue lists."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import fgs
from contract_tests.fanout.cli_harness import URN, Mock, mock, write_events
from contract_tests.support.processes import wait_until_serving
from fgs_mock import DEFAULT_PROJECT_ID, DEFAULT_TOKEN

BIN = Path(sys.executable).parent
COMMANDS = ("fgs", "fgs-mock", "fgs-conformance")
TIMEOUT = 120  # generous: a bound for a loaded machine, never a speed target


def _env(**extra: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FGS_", "HUAWEICLOUD_SDK_")) and k != "PORT"}
    return clean | extra


def _run(
    name: str, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / name), *args],
        env=env or _env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )


@pytest.fixture
def served() -> Iterator[Mock]:
    with mock() as m:
        yield m


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_tells_its_version(name: str) -> None:
    result = _run(name, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{name} {fgs.__version__}\n"


def _closed_pipe(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command's stdout is a pipe whose reader has gone, as with `| head -1` once head exits."""
    read, write = os.pipe()
    os.close(read)
    try:
        process = subprocess.Popen(command, stdout=write, stderr=subprocess.PIPE, env=env, text=True)
    finally:
        os.close(write)
    _, err = process.communicate(timeout=TIMEOUT)
    return subprocess.CompletedProcess(command, process.returncode, "", err)


def test_a_closed_pipe_ends_fgs_list_quietly(served: Mock) -> None:
    with fgs.Client(served.url, DEFAULT_PROJECT_ID, DEFAULT_TOKEN) as client:
        for n in range(5):
            client.invoke_async(URN, {"seq": n})
    result = _closed_pipe([str(BIN / "fgs"), "list", URN], served.env())
    assert (result.returncode, result.stderr) == (141, "")


def test_a_closed_pipe_ends_the_list_of_checks_quietly() -> None:
    result = _closed_pipe([str(BIN / "fgs-conformance"), "--list-checks"], _env())
    assert (result.returncode, result.stderr) == (141, "")


def test_ctrl_c_stops_the_mock_with_one_line() -> None:
    process = subprocess.Popen(
        [str(BIN / "fgs-mock"), "--port", "0"], stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=_env(), text=True
    )
    assert process.stderr is not None
    banner = process.stderr.readline()  # written once the port is bound, just before the server starts
    assert banner.startswith("fgs-mock on http://127.0.0.1:")
    try:
        # Ctrl-C on a mock that serves: the banner can come before its loop does.
        wait_until_serving(banner.split()[2], process, "fgs-mock")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=TIMEOUT)
    finally:
        if process.poll() is None:  # it did not stop: it must not outlive the test
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert err == "fgs-mock: interrupted\n"
    assert out == ""


def test_ctrl_c_before_a_started_coroutine_runs_still_prints_one_line() -> None:
    # fgs-mock's banner comes just before its server's loop starts: a Ctrl-C in between left the
    # server's coroutine unawaited, and its RuntimeWarning after the one line.
    script = (
        "from fgs.cli.entry import call\n"
        "async def serve() -> None: ...\n"
        "def main() -> None:\n"
        "    starting = serve()\n"
        "    raise KeyboardInterrupt\n"
        "raise SystemExit(call('fgs-mock', main))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=TIMEOUT)
    assert (result.returncode, result.stderr) == (130, "fgs-mock: interrupted\n")


def test_ctrl_c_during_the_suites_start_up_prints_no_traceback() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        silent.settimeout(TIMEOUT)
        env = _env(
            FGS_ENDPOINT=f"http://127.0.0.1:{silent.getsockname()[1]}",
            FGS_PROJECT_ID=DEFAULT_PROJECT_ID,
            FGS_FUNCTION_URN=URN,
            FGS_AUTH_TOKEN=DEFAULT_TOKEN,
        )
        process = subprocess.Popen(
            [str(BIN / "fgs-conformance")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
        )
        connection, _ = silent.accept()  # the preflight call: start-up is under way, and never answered
        with connection:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 130
    assert err == "fgs-conformance: interrupted\n"
    assert "Traceback" not in out


@pytest.mark.parametrize(
    ("args", "env", "says"),
    [
        (
            [],
            {"FGS_FUNCTION_URN": "urn:fss:eu-de:p:function:default:a b"},
            "fgs-mock: error: FGS_FUNCTION_URN: 'a b' is not a valid function name (expected urn:fss:<region>:",
        ),
        (
            [],
            {"FGS_FUNCTION_URN": "a:b:c:d:e"},
            "fgs-mock: error: FGS_FUNCTION_URN: 5 colon-separated fields (expected",
        ),
        (["--function", ""], {}, "fgs-mock: error: --function '': names no function: give URN or URN=BEHAVIOUR"),
        (["--fail-next", "-1"], {}, "fgs-mock: error: argument --fail-next: -1 is not within [0, 2147483647]"),
    ],
)
def test_the_mock_says_what_is_wrong(args: list[str], env: dict[str, str], says: str) -> None:
    result = _run("fgs-mock", "--port", "0", *args, env=_env(**env))
    assert result.returncode == 2
    assert result.stderr.startswith(says), result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_invoke_many_names_a_directory_as_one(served: Mock, tmp_path: Path) -> None:
    result = _run("fgs", "invoke-many", URN, str(tmp_path), env=served.env())
    assert (result.returncode, result.stderr) == (2, f"fgs: {tmp_path} is a directory, not a file of events\n")


@pytest.mark.parametrize("kind", ["text", "another database"])
def test_a_journal_that_is_not_one_is_refused_and_left_as_it_was(served: Mock, tmp_path: Path, kind: str) -> None:
    events = write_events(tmp_path / "events.jsonl", 3)
    other = tmp_path / "other"
    if kind == "text":
        other.write_text("my notes\n")
    else:
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE orders (id INTEGER)")
        db.close()
    before = other.read_bytes()
    result = _run("fgs", "invoke-many", URN, str(events), "--journal", str(other), env=served.env())
    assert result.returncode == 2
    assert (
        result.stderr
        == f"fgs: {other} exists and is not an fgs journal; name a new file, or an earlier run's journal\n"
    )
    assert other.read_bytes() == before
    assert len(served.backend.invocations) == 0

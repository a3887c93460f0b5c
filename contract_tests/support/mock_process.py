"""`python -m fgs_mock --port 0` in a process of its own, for tests that kill it or read its store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def mock_command(*flags: str) -> list[str]:
    return [sys.executable, "-m", "fgs_mock", "--port", "0", *flags]


def mock_env() -> dict[str, str]:
    """This environment without FGS_ variables, so that the flags alone configure the mock."""
    return {k: v for k, v in os.environ.items() if not k.startswith("FGS_")}


@dataclass
class Mock:
    process: subprocess.Popen[bytes]
    url: str
    lines: list[str] = field(default_factory=list)  # stderr after the first line


@contextmanager
def mock(*flags: str, stop: signal.Signals = signal.SIGKILL, stop_within: float = 30) -> Iterator[Mock]:
    """`fgs-mock --port 0 FLAGS` in a session of its own, so that `stop` ends it and its workers, and
    nothing else, when the block ends."""
    process = subprocess.Popen(
        mock_command(*flags), cwd=ROOT, env=mock_env(), stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline().decode()
        assert line.startswith("fgs-mock on http://"), line
        running = Mock(process, line.split()[2])
        # Drained, so that a chatty mock never blocks on a full pipe.
        threading.Thread(target=_drain, args=(process, running.lines), daemon=True).start()
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, stop)
        process.wait(timeout=stop_within)


def _drain(process: subprocess.Popen[bytes], lines: list[str]) -> None:
    assert process.stderr is not None
    for raw in process.stderr:
        lines.append(raw.decode(errors="replace").rstrip("\n"))

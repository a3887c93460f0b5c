"""Many `fgs-conformance` runs, each its own process, forked from one warm interpreter.

A fresh `python -m fgs_conformance` spends most of a short run importing; conformance_forks.py pays
that once. The command's start from the shell is tested by the tests that run it as a subprocess.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER = Path(__file__).with_name("conformance_forks.py")


class Forks:
    """Talks to one conformance_forks.py process; safe to use from many threads."""

    def __init__(self, process: subprocess.Popen[str], outputs: Path) -> None:
        self._process = process
        self._outputs = outputs  # each run's stdout and stderr, kept out of its working folder
        self._lock = threading.Lock()
        self._started: dict[int, Future[int]] = {}
        self._ended: dict[int, Future[int]] = {}
        self._next = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            answer = json.loads(line)
            with self._lock:
                if "pid" in answer:
                    self._started[answer["id"]].set_result(answer["pid"])
                else:
                    self._ended.pop(answer["id"]).set_result(answer["returncode"])
        with self._lock:  # the server is gone: nothing still waiting will hear back
            for future in (*self._started.values(), *self._ended.values()):
                if not future.done():
                    future.set_exception(RuntimeError("the fork server ended"))

    def run(
        self, env: Mapping[str, str], args: list[str], cwd: Path, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        """Like subprocess.run(..., capture_output=True, text=True, timeout=timeout) of the command."""
        with self._lock:
            job_id, self._next = self._next, self._next + 1
            out, err = self._outputs / f"{job_id}.stdout", self._outputs / f"{job_id}.stderr"
            started: Future[int] = Future()
            ended: Future[int] = Future()
            self._started[job_id], self._ended[job_id] = started, ended
            job: dict[str, Any] = {"id": job_id, "env": dict(env), "args": args, "cwd": str(cwd)}
            job |= {"stdout": str(out), "stderr": str(err)}
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(job) + "\n")
            self._process.stdin.flush()
        try:
            started.result(timeout=60)
            returncode = ended.result(timeout=timeout)
        except TimeoutError:
            if started.done():
                os.kill(started.result(), signal.SIGKILL)
            raise subprocess.TimeoutExpired(["fgs-conformance", *args], timeout) from None
        finally:
            with self._lock:
                self._started.pop(job_id, None)
        stdout, stderr = (path.read_text(errors="replace") for path in (out, err))
        out.unlink()
        err.unlink()
        return subprocess.CompletedProcess(["fgs-conformance", *args], returncode, stdout, stderr)


@contextmanager
def forks(python: str | Path, env: Mapping[str, str] | None = None) -> Iterator[Forks]:
    """A fork server on `python` (which must have the package installed) until the block ends."""
    process = subprocess.Popen(
        [str(python), "-I", str(SERVER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=None if env is None else dict(env),
        text=True,
    )
    try:
        with tempfile.TemporaryDirectory(prefix="forks-") as outputs:
            yield Forks(process, Path(outputs))
    finally:
        assert process.stdin is not None
        process.stdin.close()  # the server ends at the end of its input
        process.wait(timeout=30)

"""Runs `fgs-conformance` many times from one warm interpreter: a fork per run.

The parent imports what `python -m fgs_conformance` imports before its checks start, and what every
run loads the same way: the contract (read from the installed package, as a run reads it), and two
libraries the checks import, schemathesis and openapi_schema_validator (pytest then leaves their
asserts as they are; the project's own modules load as in a fresh run, so its asserts are rewritten
alike). Then it forks a child per request that runs the command's own entry point with the request's
environment, arguments and working folder. Each run is its own process, as from the shell; only the
start-up is shared.

Protocol, one JSON object a line. In, on stdin: {"id", "env", "args", "cwd", "stdout", "stderr"}
(the last two are files to write). Out, on stdout: {"id", "pid"} once started, {"id", "returncode"}
once ended (negative: the signal that ended it), as subprocess reports them.

Run as a script by any interpreter that has the package: this checkout's, or a venv's with the wheel.
It imports nothing from contract_tests.
"""

import gc
import json
import os
import signal
import sys
import traceback
from typing import Any

import openapi_schema_validator  # noqa: F401 - loaded before the forks, for all of them
import schemathesis  # noqa: F401 - as above

from fgs.cli.entry import call
from fgs_conformance import spec
from fgs_conformance.cli import main


def _run(job: dict[str, Any]) -> None:
    """In the forked child: become the command, then exit with its status."""
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    for fd, path in ((1, job["stdout"]), (2, job["stderr"])):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    nothing = os.open(os.devnull, os.O_RDONLY)  # the protocol's pipe is the parent's, not the run's
    os.dup2(nothing, 0)
    os.close(nothing)
    sys.argv = ["fgs-conformance", *job["args"]]
    code = 1
    try:
        code = call("fgs-conformance", main)
    except SystemExit as exc:  # as the interpreter ends on one
        code = 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
        if not isinstance(exc.code, int | None):
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _supervise(job: dict[str, Any], answers: int) -> None:
    """In a forked child: fork the run, report its pid and its end."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    pid = os.fork()
    if pid == 0:
        os.close(answers)
        _run(job)
    os.write(answers, (json.dumps({"id": job["id"], "pid": pid}) + "\n").encode())
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os.write(answers, (json.dumps({"id": job["id"], "returncode": code}) + "\n").encode())
    os._exit(0)


def serve() -> None:
    spec.load()
    # What is loaded so far lives as long as every fork: out of the collector's reach, each run's
    # collections walk its own objects only (as a fresh run's would, with the imports above in it).
    gc.freeze()
    answers = os.dup(1)  # lines under PIPE_BUF, written whole by one os.write each
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    for line in sys.stdin:
        job = json.loads(line)
        if os.fork() == 0:
            _supervise(job, answers)


if __name__ == "__main__":
    serve()

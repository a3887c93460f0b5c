"""Runs fgs-conformance, in a child process, against an endpoint this process serves."""

from __future__ import annotations

import atexit
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from contract_tests.mock.mutants import Known, Variant
from contract_tests.support.forks import Forks, forks
from fgs_mock import Backend, serve_in_thread
from fgs_mock.server import ASGIApp, running_in_thread

ROOT = Path(__file__).resolve().parents[2]
RUNS_AT_ONCE = 4


@dataclass
class SuiteRun:
    returncode: int
    output: str
    reports: Path
    backend: Backend

    @property
    def failed_checks(self) -> list[str]:
        """The checks with a failed test, from the tool's `  FAIL  <check>  <test>` lines."""
        return re.findall(r"^  FAIL  (\S+)", self.output, re.MULTILINE)

    def summary_number(self, label: str) -> int:
        found = re.search(rf"{label}: (\d+)", self.output)
        assert found is not None, f"no {label!r} in the output:\n{self.output[-2000:]}"
        return int(found.group(1))


def conformance_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment for a run of the suite, with `env` for every FGS_ variable."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | env
    # Let Python cache compiled modules: re-compiling them costs each child run time.
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return child_env


_warm = ExitStack()
atexit.register(_warm.close)
_warm_lock = threading.Lock()
_checkout: Forks | None = None


def checkout_forks() -> Forks:
    """This process's fork server for this checkout's command: started on first use, ended at exit."""
    global _checkout
    with _warm_lock:
        if _checkout is None:
            _checkout = _warm.enter_context(forks(sys.executable, conformance_env({})))
        return _checkout


def run_conformance(
    env: dict[str, str], *args: str, cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """This checkout's fgs-conformance in a child process, configured only by `env` and `args`.

    The child is forked warm (support/forks.py): the command's start from a shell is tested by the
    package tests (its script, and `python -m fgs_conformance`) and by `make contract`.
    """
    return checkout_forks().run(conformance_env(env), list(args), cwd=cwd, timeout=timeout)


@contextmanager
def serve_h11(app: ASGIApp) -> Iterator[str]:
    """Like serve_in_thread, on h11, which hands any method token to the app (httptools refuses unknown ones)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, http="h11", log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    with running_in_thread(server):
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"


def live_env(base_url: str, known: Known) -> dict[str, str]:
    return {
        "FGS_ENDPOINT": base_url,
        "FGS_PROJECT_ID": known.project_id,
        "FGS_AUTH_TOKEN": known.token,
        "FGS_FUNCTION_URN": known.function_urn,
    }


Job = tuple[Variant, Known, dict[str, str]]


def run_suite(
    variant: Variant,
    known: Known,
    reports: Path,
    *,
    forks: Forks,
    env: dict[str, str] | None = None,
) -> SuiteRun:
    """The suite, live, against `variant` served by this process; only the checks that must catch it.

    It runs as a child of `forks`: the command, started warm.
    """
    app, backend = variant.build(known)
    # The server runs the engine only for a bare MockApp: a variant's wrapper hides it.
    with backend.engine.running(), (serve_h11 if variant.h11 else serve_in_thread)(app) as base_url:
        child_env = {**live_env(base_url, known), "FGS_MAX_INVOCATIONS": "200", **(env or {})}
        args = ["--junit-xml", str(reports / "junit.xml"), "--report", str(reports / "report.md")]
        args += [arg for check in variant.caught_by for arg in ("--check", check)]
        result = forks.run(conformance_env(child_env), args, cwd=reports, timeout=120)
    return SuiteRun(result.returncode, result.stdout + result.stderr, reports, backend)


def run_many(jobs: dict[str, Job], folders: pytest.TempPathFactory, python: Path | None = None) -> dict[str, SuiteRun]:
    """Every job, each a run of the suite forked warm: from this checkout, or from `python` (a venv's, with
    the package installed). Several at a time: runs wait, on loopback round trips and on the lifecycle's
    polling, so four at a time fill two cores.
    """
    reports = {name: folders.mktemp(name) for name in jobs}  # here: mktemp is not safe across threads
    with ExitStack() as stack:
        warm = checkout_forks() if python is None else stack.enter_context(forks(python, conformance_env({})))

        def one(name: str) -> tuple[str, SuiteRun]:
            variant, known, env = jobs[name]
            return name, run_suite(variant, known, reports[name], forks=warm, env=env)

        with ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
            return dict(pool.map(one, jobs))

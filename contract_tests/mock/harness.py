"""Runs the conformance suite, in a child pytest, against an endpoint this process serves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from contract_tests.mock.mutants import Known, Variant
from fgs_mock import Backend, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SuiteRun:
    returncode: int
    output: str
    reports: Path
    backend: Backend

    @property
    def failed_checks(self) -> list[str]:
        return re.findall(r"^FAILED \S+::(\S+)", self.output, re.MULTILINE)


def run_endpoint_suite(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The endpoint suite in a child pytest, configured only by `env` (nothing FGS_ is inherited)."""
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | env
    # Let pytest cache its rewritten modules: re-compiling them costs each child run seconds.
    child_env.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "contract_tests/endpoint", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_suite(
    variant: Variant, known: Known, reports: Path, *, env: dict[str, str] | None = None, first_failure: bool = False
) -> SuiteRun:
    app, backend = variant.build(known)
    with serve_in_thread(app) as base_url:
        child_env = {
            "FGS_ENDPOINT": base_url,
            "FGS_PROJECT_ID": known.project_id,
            "FGS_AUTH_TOKEN": known.token,
            "FGS_FUNCTION_URN": known.function_urn,
            "FGS_MAX_INVOCATIONS": "200",
            "FGS_REPORTS_DIR": str(reports),
            **(env or {}),
        }
        args = [f"--junitxml={reports / 'junit.xml'}", *(["-x"] if first_failure else [])]
        result = run_endpoint_suite(child_env, *args)
    return SuiteRun(result.returncode, result.stdout + result.stderr, reports, backend)

"""A run forked warm (support/forks.py, what run_conformance and run_many use) answers as the command
started from a shell does: the same exit status, stdout and stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from contract_tests.mock.harness import conformance_env, run_conformance


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--list-checks"], {}),
        (["--version"], {}),
        (["--check", "no-such-check"], {}),
        ([], {"FGS_MAX_INVOCATIONS": "many"}),
        (["--endpoint", "http://127.0.0.1:9"], {}),  # live, without the variables it needs
    ],
    ids=["list", "version", "unknown-check", "bad-variable", "live-without-credentials"],
)
def test_a_forked_run_answers_as_the_command_from_a_shell(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    shell = subprocess.run(
        [sys.executable, "-m", "fgs_conformance", *args],
        cwd=tmp_path,
        env=conformance_env(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    forked = run_conformance(env, *args, cwd=tmp_path)
    assert shell.stdout or shell.stderr  # something to compare
    assert (forked.returncode, forked.stdout, forked.stderr) == (shell.returncode, shell.stdout, shell.stderr)

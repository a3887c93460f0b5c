"""Every script in examples/ runs as its docstring says, against the mock. test_with_fixture.py runs
under pytest in contract_tests/mock/test_fixture.py (source tree) and test_install_flavours.py (wheel)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.conftest import ROOT
from contract_tests.package.conftest import clean_env
from fgs_mock import Behaviour
from fgs_mock.engine import CANCELED_CODE
from fgs_mock.testing import MockEndpoint, running

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def served() -> Iterator[MockEndpoint]:
    with running() as mock:
        yield mock


@pytest.fixture
def mock(served: MockEndpoint) -> MockEndpoint:
    served.reset()
    return served


def run(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    # Only FGS_ENDPOINT: the scripts' defaults must be the mock's own tenant.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        command, env=clean_env({"PATH": path, **env}), cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_folder_holds_what_the_readme_lists() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir() if not p.name.startswith((".", "__"))) == [
        "conformance_ci.sh",
        "fan_out.py",
        "follow.py",
        "handler",
        "invoke.py",
        "test_with_fixture.py",
    ]


def test_invoke(mock: MockEndpoint) -> None:
    result = run([sys.executable, str(EXAMPLES / "invoke.py")], {"FGS_ENDPOINT": mock.endpoint})
    assert result.returncode == 0, result.stderr
    (call,) = mock.invocations
    assert (call.status, call.request_id, call.body) == (202, result.stdout.strip(), {"order_id": 42})


def test_invoke_reports_a_refusal_in_one_line(mock: MockEndpoint) -> None:
    mock.fail(500)
    result = run([sys.executable, str(EXAMPLES / "invoke.py")], {"FGS_ENDPOINT": mock.endpoint})
    assert result.returncode == 1
    assert result.stderr == "refused: 500 FSS.0500 Internal server error.\n"


def test_fan_out(mock: MockEndpoint) -> None:
    result = run([sys.executable, str(EXAMPLES / "fan_out.py")], {"FGS_ENDPOINT": mock.endpoint})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "accepted 1000, failed 0\n"
    assert sorted(call.body["order_id"] for call in mock.invocations) == list(range(1000))


def test_follow(mock: MockEndpoint) -> None:
    mock.register("broken", Behaviour.fail(code=4001))
    mock.register("slow", Behaviour.succeed(after=5, concurrency=1))
    result = run([sys.executable, str(EXAMPLES / "follow.py")], {"FGS_ENDPOINT": mock.endpoint})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "hello: SUCCESS",
        "broken: FAIL 4001",
        f"slow, canceled: FAIL {CANCELED_CODE}",
        "hello, runs that succeeded: 1",
    ]
    assert [call.run_status for call in mock.invocations] == ["SUCCESS", "FAIL", "RUNNING", "FAIL"]


def test_conformance_in_ci(mock: MockEndpoint, tmp_path: Path) -> None:
    live = {
        "FGS_ENDPOINT": mock.endpoint,
        "FGS_PROJECT_ID": mock.project_id,
        "FGS_FUNCTION_URN": mock.function_urn,
        "FGS_AUTH_TOKEN": mock.token,
        "REPORTS_DIR": str(tmp_path / "reports"),
    }
    result = run(["sh", str(EXAMPLES / "conformance_ci.sh")], live, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert (tmp_path / "reports" / "conformance.xml").is_file()
    assert (tmp_path / "reports" / "conformance.md").is_file()
    assert 0 < len(mock.backend.invocations) <= 25

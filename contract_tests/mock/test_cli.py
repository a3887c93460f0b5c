"""`make mock` in one shell and `FGS_ENDPOINT=... make contract` in another, as the README says."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract_tests.mock.harness import ROOT
from contract_tests.support.processes import wait_until_serving
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN
from fgs_mock.__main__ import parser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def make_mock() -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")}
    # Its own session, so that ending it ends make and the Python process make started, and nothing else.
    process = subprocess.Popen(
        ["make", "-s", "mock", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base_url, process, "make mock")
        yield base_url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


def test_make_contract_passes_against_make_mock(make_mock: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FGS_")}
    env.update(
        {
            "FGS_ENDPOINT": make_mock,
            "FGS_PROJECT_ID": DEFAULT_PROJECT_ID,
            "FGS_AUTH_TOKEN": DEFAULT_TOKEN,
            "FGS_FUNCTION_URN": DEFAULT_FUNCTION_URN,
            "FGS_REPORTS_DIR": str(tmp_path),
        }
    )
    result = subprocess.run(
        ["make", "-s", "contract"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Target: http://127.0.0.1:" in (tmp_path / "contract-summary.md").read_text()
    assert (tmp_path / "junit-contract.xml").is_file()
    accepted = httpx.get(f"{make_mock}/_mock/invocations").json()["accepted"]
    assert 0 < accepted <= 25  # FGS_MAX_INVOCATIONS defaults to 25 in live mode


def test_the_docs_document_the_mock_defaults() -> None:
    readme = (ROOT / "docs" / "emulate.md").read_text()
    for variable, default in (
        ("FGS_AUTH_TOKEN", DEFAULT_TOKEN),
        ("FGS_PROJECT_ID", DEFAULT_PROJECT_ID),
        ("FGS_FUNCTION_URN", DEFAULT_FUNCTION_URN),
    ):
        assert f"| `{variable}` | `{default}` |" in readme


def _fgs_mock(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FGS_") and k != "PORT"}
    return subprocess.run(
        [sys.executable, "-m", "fgs_mock", *args],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "env", "names"),
    [
        (["--fail-share", "2"], {}, "--fail-share"),
        (["--fail-next", "-1"], {}, "--fail-next"),
        (["--port", "abc"], {}, "--port"),
        ([], {"PORT": "abc"}, "PORT"),
        ([], {"PORT": "70000"}, "PORT"),
        ([], {"FGS_FUNCTION_URN": "urn:fss:eu-de:x:nope"}, "FGS_FUNCTION_URN"),
        ([], {"FGS_AUTH_TOKEN": ""}, "FGS_AUTH_TOKEN"),
        ([], {"FGS_PROJECT_ID": "no/slashes"}, "FGS_PROJECT_ID"),
        (["--function", "a:b:c:d:e"], {}, "--function"),
        (["--host", "0.0.0.0"], {}, "--control-token"),  # noqa: S104 - refused before anything binds
        (["--head-timeout", "0"], {}, "--head-timeout"),
        (["--max-headers", "0"], {}, "--max-headers"),
        (["--control-token", "two words"], {}, "control token"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(args: list[str], env: dict[str, str], names: str) -> None:
    result = _fgs_mock(*args, **env)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fgs-mock: error: ")
    assert names in lines[0]
    assert "Traceback" not in result.stderr


def test_a_port_in_use_is_reported_before_any_banner() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _fgs_mock("--port", str(port))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"fgs-mock: error: cannot listen on 127.0.0.1:{port}: Address already in use"]


def test_the_token_never_appears_in_an_error() -> None:
    result = _fgs_mock(FGS_AUTH_TOKEN="secret token with spaces")
    assert result.returncode == 2
    assert "secret" not in result.stderr


def test_help_documents_every_option_and_the_environment() -> None:
    result = _fgs_mock("--help")
    assert result.returncode == 0
    for action in parser()._actions:
        assert action.help, action.option_strings
    for variable in ("FGS_AUTH_TOKEN", "FGS_PROJECT_ID", "FGS_FUNCTION_URN", "PORT", "FGS_MOCK_CONTROL_TOKEN"):
        assert variable in result.stdout

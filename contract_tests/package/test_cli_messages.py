"""Every command answers bad flags and environment with one line on stderr and exit status 2, and its
`--help` explains every argument."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.package.conftest import clean_env
from fgs.cli import _parser as fgs_parser
from fgs_conformance.cli import _parser as conformance_parser
from fgs_mock.__main__ import parser as mock_parser

BIN = Path(sys.executable).parent
LIVE = {"FGS_ENDPOINT": "http://127.0.0.1:9", "FGS_PROJECT_ID": "p1", "FGS_AUTH_TOKEN": "t0k3n"}


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


BAD = [  # command, arguments, environment
    ("fgs-mock", ["--fail-share", "2"], {}),
    ("fgs-mock", ["--port", "abc"], {}),
    ("fgs-mock", ["--fail-status", "418"], {}),
    ("fgs-mock", ["--no-such-flag"], {}),
    ("fgs-mock", ["--function", "a:b:c:d:e"], {}),
    ("fgs-mock", [], {"PORT": "abc"}),
    ("fgs-mock", [], {"PORT": "70000"}),
    ("fgs-mock", [], {"FGS_FUNCTION_URN": "urn:fss:::"}),
    ("fgs-mock", [], {"FGS_AUTH_TOKEN": ""}),
    ("fgs-mock", [], {"FGS_PROJECT_ID": "a/b"}),
    ("fgs-mock", ["--host", "0.0.0.0"], {}),  # noqa: S104 - refused: off loopback without a control token
    ("fgs", [], {}),
    ("fgs", ["--no-such-flag"], {}),
    ("fgs", ["invoke", "hello"], {}),  # no credentials
    ("fgs", ["invoke", "hello", "--data", "{not json"], LIVE),
    ("fgs", ["invoke", "hello", "--data", "@/no/such/file"], LIVE),
    ("fgs", ["invoke", "hello"], {**LIVE, "FGS_ENDPOINT": "not a url"}),
    ("fgs", ["invoke", "hello"], {**LIVE, "FGS_AUTH_TOKEN": "two words"}),
    ("fgs", ["invoke-many", "hello", "/no/such.jsonl"], LIVE),
    ("fgs", ["invoke-many", "hello", "e.jsonl", "--concurrency", "0"], LIVE),
    ("fgs-conformance", ["--no-such-flag"], {}),
    ("fgs-conformance", ["--check", "no-such-check"], {}),
    ("fgs-conformance", ["--seed", "x"], {}),
    ("fgs-conformance", ["--max-invocations", "-1"], {}),
    ("fgs-conformance", [], {"FGS_MAX_INVOCATIONS": "many"}),
    ("fgs-conformance", ["--endpoint", "ftp://example.invalid"], {}),
    ("fgs-conformance", ["--endpoint", "http://127.0.0.1:9"], {}),  # live, without the variables it needs
]


def _run(command: str, args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command), *args],
        env=clean_env(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(("command", "args", "env"), BAD, ids=[f"{c} {' '.join(a)} {e}" for c, a, e in BAD])
def test_a_bad_input_gets_one_line_and_exit_2(
    command: str, args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    result = _run(command, args, env, tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith((f"{command}: ", f"{command} "))
    assert "t0k3n" not in result.stderr


def test_a_port_in_use_is_refused_before_the_banner(busy_port: int, tmp_path: Path) -> None:
    result = _run("fgs-mock", ["--port", str(busy_port)], {}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()]
    assert f"cannot listen on 127.0.0.1:{busy_port}" in result.stderr
    assert "fgs-mock on http" not in result.stderr


def _actions(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from ((f"{name} {label}", a) for label, a in _actions(sub))
        else:  # the commands themselves carry their help in their own parsers
            yield (action.dest, action)


@pytest.mark.parametrize("parser", [mock_parser, fgs_parser, conformance_parser], ids=["fgs-mock", "fgs", "suite"])
def test_help_explains_every_argument(parser: type[argparse.ArgumentParser]) -> None:
    built = parser()
    unexplained = [label for label, action in _actions(built) if not (action.help or "").strip()]
    assert unexplained == []
    assert built.description


@pytest.mark.parametrize("command", ["fgs-mock", "fgs", "fgs-conformance"])
def test_help_exits_0(command: str, tmp_path: Path) -> None:
    result = _run(command, ["--help"], {}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ")

"""The README's Python examples run as written, against the embedded mock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

from contract_tests.conftest import ROOT
from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, create_app, serve_in_thread

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(mock: tuple[str, Backend], block: str) -> None:
    base_url, backend = mock
    before = len(backend.invocations)
    env = {
        **os.environ,
        "FGS_ENDPOINT": base_url,
        "FGS_PROJECT_ID": DEFAULT_PROJECT_ID,
        "FGS_AUTH_TOKEN": DEFAULT_TOKEN,
        "FGS_FUNCTION_URN": DEFAULT_FUNCTION_URN,
    }
    result = subprocess.run(
        [sys.executable, "-c", block], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert len(backend.invocations) > before

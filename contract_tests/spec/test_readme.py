"""The README's Python examples run as written: scripts against the mock with only FGS_ENDPOINT set (so
their defaults must be the mock's), test files under pytest with the fgs_mock fixture."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contract_tests.conftest import ROOT
from fgs_mock import Backend, create_app, serve_in_thread

BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[str, Backend]]:
    backend = Backend.with_defaults()
    with serve_in_thread(create_app(backend)) as base_url:
        yield base_url, backend


def _env(**extra: str) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FGS_")} | extra


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4
    assert any("def test_" in block for block in BLOCKS)


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(mock: tuple[str, Backend], block: str, tmp_path: Path) -> None:
    base_url, backend = mock
    before = len(backend.invocations)
    if "def test_" in block:
        (tmp_path / "test_readme_block.py").write_text(block)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:schemathesis"]
        result = subprocess.run(
            command, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert " passed" in result.stdout
        return
    result = subprocess.run(
        [sys.executable, "-c", block],
        env=_env(FGS_ENDPOINT=base_url),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(backend.invocations) > before


FRAGMENTS = re.findall(r"```py\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
# What a fragment leaves to the reader: values the surrounding text names, never a real secret.
GIVEN = {
    "ak": "FRAGMENTAK0000000000",
    "sk": "fragment-secret-key",
    "security_token": "fragment-security-token",
    "password": "fragment-password",
    "iam_endpoint": "http://127.0.0.1:9",
    "endpoint": "http://127.0.0.1:9",
    "project_id": "0b5c2e1f9a7d4c3e8f6a1b2c3d4e5f60",
}


@pytest.mark.parametrize("fragment", FRAGMENTS, ids=[f"fragment-{i}" for i in range(len(FRAGMENTS))])
def test_readme_fragments_name_real_classes_and_arguments(fragment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`py` fragments are not whole scripts, but each line runs as written once the names they leave open
    are given: a renamed class or argument fails here. Nothing is sent: no client makes a call."""
    import fgs

    monkeypatch.setenv("FGS_AUTH_TOKEN", "fragment-token")
    for name in ("AK", "SK", "SECURITY_TOKEN", "PROJECT_ID"):
        monkeypatch.setenv(f"HUAWEICLOUD_SDK_{name}", GIVEN[name.lower()])
    namespace = {"os": os, "fgs": fgs, **GIVEN}
    exec(compile(fragment, "README.md fragment", "exec"), namespace)  # noqa: S102 - the project's own README
    clients = [v for v in namespace.values() if isinstance(v, fgs.Client | fgs.AsyncClient)]
    for client in clients:
        if isinstance(client, fgs.Client):
            client.close()

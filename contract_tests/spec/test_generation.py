"""`make generate` is reproducible, isolated from its surroundings, and drift is caught."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.conftest import ROOT, SPEC_PATH
from contract_tests.support import spec_edits

GENERATED = ROOT / "generated" / "fgs_client"
GENERATE = ROOT / "scripts" / "generate.sh"
CHECK = ROOT / "scripts" / "check_generated.sh"


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def _run(*cmd: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, env={**os.environ, **(env or {})}, check=False
    )


def test_committed_client_matches_spec() -> None:
    result = _run(CHECK)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generation_ignores_surrounding_ruff_config(tmp_path: Path) -> None:
    # A config that would reflow every line if the post-hooks read it.
    (tmp_path / "pyproject.toml").write_text(
        "[tool.ruff]\nline-length = 40\n[tool.ruff.format]\nquote-style = 'single'\n"
    )
    (tmp_path / "ruff.toml").write_text("line-length = 40\n")
    out = tmp_path / "fgs_client"
    result = _run(GENERATE, out)
    assert result.returncode == 0, result.stderr
    assert _tree(out) == _tree(GENERATED)
    assert not list(tmp_path.rglob(".ruff_cache"))


def test_output_is_a_typed_package() -> None:
    assert (GENERATED / "py.typed").is_file()
    assert (GENERATED / "api" / "invocation" / "invoke_function_async.py").is_file()
    assert not list(GENERATED.rglob(".ruff_cache"))


@pytest.mark.parametrize(
    ("edit", "expect_in_diff"),
    [(spec_edits.rename_field, "error_message"), (spec_edits.drop_status, "503")],
    ids=["rename", "drop"],
)
def test_drift_check_fails_on_an_edited_spec(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], expect_in_diff: str
) -> None:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    edit(spec)
    edited = tmp_path / "openapi.yaml"
    edited.write_text(yaml.safe_dump(spec, sort_keys=False))
    result = _run(CHECK, env={"SPEC": str(edited)})
    assert result.returncode != 0
    assert expect_in_diff in result.stdout
    assert "make generate" in result.stderr


def test_generated_tree_has_no_stray_files() -> None:
    # --overwrite would keep stray root files; our script replaces the folder, so none can linger.
    fresh = {p.name for p in GENERATED.iterdir() if p.name != "__pycache__"}
    assert fresh == {"__init__.py", "api", "client.py", "errors.py", "models", "py.typed", "types.py"}

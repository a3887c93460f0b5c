"""The project's own entry points: make's default target, the linters, the README's promises."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from contract_tests.conftest import ROOT, SPEC_PATH

SPECTRAL = ROOT / "scripts" / "npm" / "node_modules" / ".bin" / "spectral"


def test_make_without_target_lists_every_target() -> None:
    out = subprocess.run(["make", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    listed = set(re.findall(r"^\s+([a-z-]+)\s", out, re.MULTILINE))
    expected = {"help", "install", "generate", "check-generated", "lint", "typecheck", "test", "contract"}
    expected |= {"mock", "bench"}
    assert expected <= listed, out


def _spectral(path: object) -> subprocess.CompletedProcess[str]:
    if not SPECTRAL.exists():
        pytest.skip("Spectral is not installed: run make install")
    return subprocess.run(
        [
            str(SPECTRAL),
            "lint",
            str(path),
            "--ruleset",
            str(ROOT / "spec" / ".spectral.yaml"),
            "--fail-severity",
            "hint",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_spec_lints_clean_under_spectral_oas() -> None:
    result = _spectral(SPEC_PATH)
    assert result.returncode == 0, result.stdout


def test_spectral_flags_a_spec_without_operation_ids(tmp_path: Path) -> None:
    broken = tmp_path / "openapi.yaml"
    broken.write_text(SPEC_PATH.read_text().replace("operationId: invokeFunctionAsync\n", ""))
    result = _spectral(broken)
    assert result.returncode != 0
    assert "operation-operationId" in result.stdout


def test_readme_leads_with_the_install_lines_then_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    users, developers = readme.split("```")[1:4:2]
    assert "pip install fgs-async-contract" in users
    assert "make install" in developers
    assert "make test" in developers
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make install" in ci
    assert "make test" in ci


def test_ruff_is_on_the_path_the_generator_uses() -> None:
    assert shutil.which("ruff", path=str(ROOT / ".venv" / "bin")), "make install must provide the pinned ruff"


def test_every_dependency_is_pinned_and_the_dev_pins_agree_with_the_lock() -> None:
    import tomllib

    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not pinned: {line}"
            lock[name.lower().replace("_", "-")] = version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["optional-dependencies"]["dev"]:
        name, _, version = requirement.partition("==")
        assert lock.get(name.lower().replace("_", "-")) == version, requirement
    npm = (ROOT / "scripts" / "npm" / "package.json").read_text()
    assert '"@stoplight/spectral-cli": "6.16.3"' in npm
    assert '"@stoplight/prism-cli": "5.14.2"' in npm

"""The wheel, built once per worker, installed into fresh venvs outside the repository, one per flavour.

A flavour is the extras in brackets ("" for none): `installed("conformance")` is what
`pip install 'fgs-async-contract[conformance]'` gives a user; `installed("", "pytest==9.2.0")` adds a
tool of the user's own. pip may reach the package registry.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from contract_tests.conftest import ROOT


@dataclass(frozen=True)
class Installed:
    venv: Path
    home: Path  # a working directory outside the repository, so nothing there is importable
    tools: tuple[str, ...] = ()

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin(args[0])), *args[1:]],
            cwd=self.home,
            env=clean_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment without FGS_ variables or anything pointing back into the repository."""
    drop = ("FGS_", "VIRTUAL_ENV", "PYTHONPATH")
    return {k: v for k, v in os.environ.items() if not k.startswith(drop)} | (extra or {})


def _pip(*args: str) -> None:
    subprocess.run([*args, "--quiet", "--disable-pip-version-check"], check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _pip(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out), str(ROOT))
    (built,) = out.glob("fgs_async_contract-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Installed]:
    made: dict[str, Installed] = {}

    def install(flavour: str, *tools: str) -> Installed:
        if flavour not in made:
            base = tmp_path_factory.mktemp(f"venv-{flavour or 'plain'}")
            venv = base / "venv"
            # No pip of its own (bootstrapping one costs seconds): this environment's pinned pip installs
            # into it, resolving the extra from the wheel's metadata as a user's pip would. Without
            # compiling every module up front (pip's compile errors are never fatal): what the tests
            # import is compiled as it is imported.
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
            package = f"{wheel}[{flavour}]" if flavour else str(wheel)
            python = str(venv / "bin" / "python")
            _pip(sys.executable, "-m", "pip", "--python", python, "install", "--no-compile", package, *tools)
            home = base / "home"
            home.mkdir()
            made[flavour] = Installed(venv, home, tools)
        assert not tools or made[flavour].tools == tools, "one set of tools per flavour"
        return made[flavour]

    return install

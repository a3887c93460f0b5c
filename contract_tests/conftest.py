"""Fixtures shared by every part of the suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.support.vendor_docs import PRIMARY_PAGE, SKIP_REASON, docs_dir

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = ROOT / "spec" / "openapi.yaml"


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def vendor_docs() -> Path:
    found = docs_dir()
    if found is None:
        pytest.skip(SKIP_REASON)
    return found


@pytest.fixture(scope="session")
def primary_page(vendor_docs: Path) -> Path:
    return vendor_docs / PRIMARY_PAGE

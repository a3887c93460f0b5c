"""scripts/bench_signing.py runs, and each of its candidates does the work it claims to time."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from contract_tests.conftest import ROOT


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_signing", ROOT / "scripts" / "bench_signing.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_signing"] = module
    spec.loader.exec_module(module)
    return module


def test_every_candidate_authenticates(bench: ModuleType) -> None:
    runs = bench.candidates()
    assert runs["fgs Token.apply"]() == {"X-Auth-Token": "bench-token"}
    assert runs["fgs AccessKey.apply (sign)"]()["Authorization"].startswith("SDK-HMAC-SHA256 ")
    assert runs["official SDK sign_request"]().header_params["Authorization"].startswith("SDK-HMAC-SHA256 ")
    assert runs["fgs_mock KeyRing.verify"]().access_key == bench.AK


def test_measure_reports_each_candidate(bench: ModuleType) -> None:
    results = bench.measure(calls=5)
    assert set(results) == set(bench.candidates())
    assert all(micros > 0 for micros in results.values())

"""scripts/bench_signing.py runs, and each of its candidates does the work it claims to time."""

from __future__ import annotations

from types import ModuleType

import pytest

from contract_tests.support.scripts import load_script


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_script("bench_signing")


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

"""Fixtures shared by every part of the suite."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract_tests.support.vendor_docs import PRIMARY_PAGE, SKIP_REASON, docs_dir

ROOT = Path(__file__).resolve().parents[1]
SPEC_PATH = ROOT / "spec" / "openapi.yaml"
TESTS = ROOT / "contract_tests"

# Under `make test` (pytest-xdist, --dist loadgroup) each group runs whole on one worker. A module is a
# group, so that its module-scoped fixtures (servers, test_bites's suite runs) are built once, not once
# per worker. Each venv of the package tests is used by one module only (test_make_test.py checks it), so
# it too is built once. The tests that measure time or race real clocks run one after another, beside
# the rest rather than beside each other.
TIMING_GROUP = "timing"
TIMING = (
    "hostile/",
    "fanout/test_fanout.py",
    "fanout/test_durability.py",
    "mock/test_durability.py",
    "mock/test_auth_iam.py",
    "mock/test_faults.py",
    "mock/test_fixture_lifecycle.py",
    "mock/test_lifecycle_routes.py",
    "auth/test_import_cost.py",
    "auth/test_bench_signing.py",
    "safe_client/test_bench_client.py",
)
# The longest groups, longest first (by the sum of their tests' durations): handed out before the many
# short modules, they end with them, and no worker is left alone with a long one at the end. Other
# groups follow in xdist's order (most tests first).
LONGEST_FIRST = (
    "conformance/test_bites.py",
    TIMING_GROUP,
    "package/test_conformance_wheel.py",
    "conformance/test_profiles.py",
    "conformance/test_isolation_opt_ins.py",
    "package/test_install_flavours.py",
    "package/test_examples.py",
    "fanout/test_cli.py",
    "package/test_cli_messages.py",
    "spec/test_docs.py",
    "mock/test_cli.py",
)


def pytest_configure(config: pytest.Config) -> None:
    # A shell starts a background job (`make test &`, nohup) with SIGINT ignored, and every process
    # started from it inherits that: the tests' Ctrl-C would reach no command. A handler, unlike an
    # ignored signal, is reset to the default in each child.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def xdist_group(relative: str) -> str:
    """The group of a test module, by its path under contract_tests/."""
    return TIMING_GROUP if relative.startswith(TIMING) else relative


def group_rank(group: str) -> int:
    return LONGEST_FIRST.index(group) if group in LONGEST_FIRST else len(LONGEST_FIRST)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """The groups above, as a scheduler: xdist 3.8's own loadgroup marks no longer reach the node ids
    under pytest 9.2 (which keeps them elsewhere), so it would spread a group over both workers."""
    if config.getoption("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):  # type: ignore[misc]
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid.split("::", 1)[0].removeprefix("contract_tests/"))

        def _assign_work_unit(self, node: Any) -> None:
            if not self.ordered:  # the queue is whole at the first assignment
                for group in sorted(self.workqueue, key=group_rank):  # stable: the rest keep their order
                    self.workqueue.move_to_end(group)
                self.ordered = True
            super()._assign_work_unit(node)

    return ByGroup(config, log)


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

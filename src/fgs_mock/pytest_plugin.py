"""The `fgs_mock` pytest fixture, registered through the `pytest11` entry point.

pytest loads this module in every environment the package is installed in, with or without the
`[mock]` extra, so it imports nothing of the mock's server stack until a test asks for the fixture.

The dialect it answers in is `--fgs-mock-dialect NAME|PATH` (or the `fgs_mock_dialect` ini option) for
the session, and `@pytest.mark.fgs_mock_dialect(NAME|PATH)` for one test.

One server per test session, and a fresh mock behind it for each test (`reset()` swaps in new state,
which costs microseconds; starting a server costs tens of milliseconds). For a server of your own, use
`fgs_mock.running()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fgs_mock.testing import MockEndpoint

MISSING_EXTRA = "the fgs_mock fixture needs the mock's server: pip install 'fgs-async-contract[mock]'"


DIALECT_HELP = "the fgs_mock fixture's dialect: documented, gateway, lenient, or a profile's path"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fgs-mock-dialect", metavar="NAME|PATH", help=DIALECT_HELP)
    parser.addini("fgs_mock_dialect", DIALECT_HELP, default="documented")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fgs_mock_dialect(name_or_path): the dialect the fgs_mock fixture answers in")


def _session_dialect(config: pytest.Config) -> str:
    return str(config.getoption("--fgs-mock-dialect") or config.getini("fgs_mock_dialect") or "documented")


@pytest.fixture(scope="session")
def fgs_mock_server(pytestconfig: pytest.Config) -> Iterator[MockEndpoint]:
    """The session's mock server; tests use `fgs_mock`, which resets it first."""
    try:
        from fgs_mock.dialects import DialectError
        from fgs_mock.testing import running
    except ImportError as exc:
        pytest.fail(f"{MISSING_EXTRA} ({exc})", pytrace=False)
    try:
        with running(dialect=_session_dialect(pytestconfig)) as mock:
            yield mock
    except DialectError as exc:
        pytest.fail(f"--fgs-mock-dialect: {exc}", pytrace=False)


@pytest.fixture
def fgs_mock(fgs_mock_server: MockEndpoint, request: pytest.FixtureRequest) -> Iterator[MockEndpoint]:
    """A mock FunctionGraph endpoint with no calls, no faults and the default tenant and function."""
    marker = request.node.get_closest_marker("fgs_mock_dialect")
    fgs_mock_server.reset(dialect=marker.args[0] if marker else _session_dialect(request.config))
    try:
        yield fgs_mock_server
    finally:
        fgs_mock_server.close_clients()
        fgs_mock_server.reset()

"""The `fgs_mock` pytest fixture, registered through the `pytest11` entry point.

pytest loads this module in every environment the package is installed in, with or without the
`[mock]` extra, so it imports nothing of the mock's server stack until a test asks for the fixture.

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


@pytest.fixture(scope="session")
def fgs_mock_server() -> Iterator[MockEndpoint]:
    """The session's mock server; tests use `fgs_mock`, which resets it first."""
    try:
        from fgs_mock.testing import running
    except ImportError as exc:
        pytest.fail(f"{MISSING_EXTRA} ({exc})", pytrace=False)
    with running() as mock:
        yield mock


@pytest.fixture
def fgs_mock(fgs_mock_server: MockEndpoint) -> Iterator[MockEndpoint]:
    """A mock FunctionGraph endpoint with no calls, no faults and the default tenant and function."""
    fgs_mock_server.reset()
    try:
        yield fgs_mock_server
    finally:
        fgs_mock_server.close_clients()
        fgs_mock_server.reset()

"""Runs each safe-client test against Client and AsyncClient alike: both must behave the same.

Three kinds: "sync" (Client), "async" (AsyncClient on an httpx transport, its in-process seam) and
"aiohttp" (AsyncClient on its own transport, against the same respx routes served on loopback by
bridge.py). Tests that inject httpx's exceptions (`httpx_faults`) cannot reach aiohttp that way; it
meets those failures over real sockets in contract_tests/hostile/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest
import respx

import fgs
from contract_tests.safe_client.bridge import bridged
from contract_tests.support.identities import PROJECT, URN

ENDPOINT = "https://fgs.test"
TOKEN = "SAFE-CLIENT-SECRET-4b1d9e"
FAST_RETRY = fgs.RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002, max_total=5.0)

Invoke = Callable[..., str]


class Sleeps(list[float]):
    def sync(self, seconds: float) -> None:
        self.append(seconds)

    async def coro(self, seconds: float) -> None:
        self.append(seconds)


# Where the `api` router is served for the "aiohttp" kind, while a test runs.
_BRIDGED: dict[str, str] = {}
# AsyncClients that make_invoker made: closed after each test, or aiohttp warns of an unclosed session.
_OPEN: list[fgs.AsyncClient] = []


@pytest.fixture(autouse=True)
def _close_async_clients() -> Iterator[None]:
    yield
    while _OPEN:
        asyncio.run(_OPEN.pop().aclose())


def make_invoker(kind: str, sleeps: Sleeps, **options: Any) -> tuple[Invoke, Callable[[str], None]]:
    """A blocking `invoke(urn, payload)` for either client, and its token rotation."""
    options.setdefault("retry", FAST_RETRY)
    if kind == "async":
        options.setdefault("transport", httpx.AsyncHTTPTransport())
    endpoint, project, token = (
        options.pop("endpoint", _BRIDGED.get("url", ENDPOINT) if kind == "aiohttp" else ENDPOINT),
        options.pop("project", PROJECT),
        options.pop("token", TOKEN),
    )
    if kind == "sync":
        client = fgs.Client(endpoint, project, token, sleep=sleeps.sync, **options)

        def invoke(urn: str = URN, payload: Mapping[str, Any] | None = None) -> str:
            return client.invoke_async(urn, {} if payload is None else payload)

        return invoke, client.set_token
    async_client = fgs.AsyncClient(endpoint, project, token, sleep=sleeps.coro, **options)
    _OPEN.append(async_client)

    def invoke_async(urn: str = URN, payload: Mapping[str, Any] | None = None) -> str:
        async def once() -> str:
            return await async_client.invoke_async(urn, {} if payload is None else payload)

        return asyncio.run(once())

    return invoke_async, async_client.set_token


@pytest.fixture(params=["sync", "async", "aiohttp"])
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "aiohttp" and request.node.get_closest_marker("httpx_faults"):
        pytest.skip("injects httpx exceptions; aiohttp meets these failures in contract_tests/hostile")
    return str(request.param)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def invoke(kind: str, sleeps: Sleeps, request: pytest.FixtureRequest) -> Invoke:
    if "api" in request.fixturenames:
        request.getfixturevalue("api")  # first: the "aiohttp" kind is pointed at the router's bridge
    return make_invoker(kind, sleeps)[0]


@pytest.fixture
def api(request: pytest.FixtureRequest) -> Iterator[respx.MockRouter]:
    kind = request.getfixturevalue("kind") if "kind" in request.fixturenames else None
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as router:
        if kind != "aiohttp":
            yield router
            return
        with bridged(router, ENDPOINT) as url:
            _BRIDGED["url"] = url
            try:
                yield router
            finally:
                _BRIDGED.clear()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "httpx_faults: injects httpx exceptions through respx (no aiohttp kind)")

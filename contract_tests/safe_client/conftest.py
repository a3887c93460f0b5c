"""Runs each safe-client test against Client and AsyncClient alike: both must behave the same.

respx intercepts httpx, so AsyncClient is given an httpx transport here (its in-process seam); its own
aiohttp transport is held to the same answers over real sockets in contract_tests/hostile/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest
import respx

import fgs
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


def make_invoker(kind: str, sleeps: Sleeps, **options: Any) -> tuple[Invoke, Callable[[str], None]]:
    """A blocking `invoke(urn, payload)` for either client, and its token rotation."""
    options.setdefault("retry", FAST_RETRY)
    endpoint, project, token = (
        options.pop("endpoint", ENDPOINT),
        options.pop("project", PROJECT),
        options.pop("token", TOKEN),
    )
    if kind == "sync":
        client = fgs.Client(endpoint, project, token, sleep=sleeps.sync, **options)

        def invoke(urn: str = URN, payload: Mapping[str, Any] | None = None) -> str:
            return client.invoke_async(urn, {} if payload is None else payload)

        return invoke, client.set_token
    options.setdefault("transport", httpx.AsyncHTTPTransport())
    async_client = fgs.AsyncClient(endpoint, project, token, sleep=sleeps.coro, **options)

    def invoke_async(urn: str = URN, payload: Mapping[str, Any] | None = None) -> str:
        async def once() -> str:
            return await async_client.invoke_async(urn, {} if payload is None else payload)

        return asyncio.run(once())

    return invoke_async, async_client.set_token


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def invoke(kind: str, sleeps: Sleeps) -> Invoke:
    return make_invoker(kind, sleeps)[0]


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=ENDPOINT, assert_all_called=False) as router:
        yield router

"""fgs.Client and fgs.AsyncClient: the generated client's request and models, with safe edges.

The two differ only in how they send and sleep; every decision lives in fgs._core.Core.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from fgs._core import Core, check_token
from fgs.retry import RetryPolicy

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RETRY = RetryPolicy()
# Everything httpx raises for a request that got no usable answer; mapped to TransportError.
_NO_ANSWER = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError)
Outcome = tuple[httpx.Response, None] | tuple[None, Exception]
TransportT = TypeVar("TransportT")
SleepT = TypeVar("SleepT")


class _Base(Generic[TransportT, SleepT]):
    def __init__(
        self,
        endpoint: str,
        project_id: str,
        token: str,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 100,
        transport: TransportT | None = None,
        sleep: SleepT | None = None,
    ) -> None:
        self._core = Core(endpoint, project_id, token, headers, retry or RetryPolicy.disabled())
        timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = self._open(endpoint, timeout, limits, transport)
        self._sleep: SleepT = sleep if sleep is not None else self._default_sleep()

    def _open(self, endpoint: str, timeout: httpx.Timeout, limits: httpx.Limits, transport: TransportT | None) -> Any:
        raise NotImplementedError

    def _default_sleep(self) -> SleepT:
        raise NotImplementedError

    def set_token(self, token: str) -> None:
        """Use `token` from the next call on (tokens expire after 24 hours)."""
        self._core.token = check_token(token)

    @property
    def timeout(self) -> httpx.Timeout:
        return self._http.timeout  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__)


class Client(_Base[httpx.BaseTransport, Callable[[float], None]]):
    """Invokes FunctionGraph functions asynchronously; every error it raises is an fgs.FgsError."""

    _http: httpx.Client

    def _open(
        self, endpoint: str, timeout: httpx.Timeout, limits: httpx.Limits, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        return httpx.Client(base_url=endpoint, timeout=timeout, limits=limits, transport=transport)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        """Queue one run of the function; returns its request_id."""
        kwargs = self._core.request_kwargs(function_urn, payload)
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            response, exc = self._send(kwargs)
            delay = self._core.retry_delay(attempt, time.monotonic() - started, response, exc)
            if delay is None:
                return self._core.conclude(response, exc, attempt)
            self._sleep(delay)

    def _send(self, kwargs: dict[str, Any]) -> Outcome:
        try:
            return self._http.request(**kwargs), None
        except _NO_ANSWER as exc:
            return None, exc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Base[httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]]):
    """The asyncio twin of Client, used as `async with fgs.AsyncClient(...) as client`."""

    _http: httpx.AsyncClient

    def _open(
        self, endpoint: str, timeout: httpx.Timeout, limits: httpx.Limits, transport: httpx.AsyncBaseTransport | None
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=endpoint, timeout=timeout, limits=limits, transport=transport)

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        import asyncio  # here, not at the top: it would double the cost of `import fgs`

        return asyncio.sleep

    async def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        """Queue one run of the function; returns its request_id."""
        kwargs = self._core.request_kwargs(function_urn, payload)
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            response, exc = await self._send(kwargs)
            delay = self._core.retry_delay(attempt, time.monotonic() - started, response, exc)
            if delay is None:
                return self._core.conclude(response, exc, attempt)
            await self._sleep(delay)

    async def _send(self, kwargs: dict[str, Any]) -> Outcome:
        try:
            return await self._http.request(**kwargs), None
        except _NO_ANSWER as exc:
            return None, exc

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

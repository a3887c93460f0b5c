"""fgs.Client and fgs.AsyncClient: the generated client's request and models, with safe edges.

The two differ only in how they send and sleep; every decision lives in fgs._core.Core, and each
transport module (fgs._transport_sync, fgs._transport_async) is a thin layer over its HTTP library.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

import httpx

from fgs import _lifecycle
from fgs._body import DEFAULT_MAX_RESPONSE_BYTES
from fgs._checks import check_count, check_timeout
from fgs._core import Core
from fgs._lifecycle_methods import AsyncLifecycle, SyncLifecycle
from fgs._transport_sync import DeadlineTransport, exchange
from fgs.errors import InvalidRequestError
from fgs.retry import RetryPolicy

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RETRY = RetryPolicy()
TransportT = TypeVar("TransportT")
SleepT = TypeVar("SleepT")
T = TypeVar("T")
# A default that mypy takes for the declared type, so that the constructor can name what is missing.
_REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "<required>"})()


class _Base(Generic[TransportT, SleepT]):
    def __init__(
        self,
        endpoint: str = _REQUIRED,
        project_id: str = _REQUIRED,
        token: str = _REQUIRED,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 100,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: TransportT | None = None,
        sleep: SleepT | None = None,
    ) -> None:
        cls = type(self).__name__
        given = {"endpoint": endpoint, "project_id": project_id, "token": token}
        missing = [f"{name}=" for name, value in given.items() if value is _REQUIRED]
        if missing:
            raise InvalidRequestError(f"{cls}() needs {', '.join(missing)}")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidRequestError(f"{cls}(): retry must be an fgs.RetryPolicy or None")
        try:
            self._core = Core(endpoint, project_id, token, headers, retry or RetryPolicy.disabled())
            http_timeout, self._timeout = check_timeout(timeout)
            connections = check_count("max_connections", max_connections)
            self._max_response_bytes = check_count("max_response_bytes", max_response_bytes)
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"{cls}(): {exc}") from None
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._http = self._open(endpoint, http_timeout, limits, transport)
        self._sleep: SleepT = sleep if sleep is not None else self._default_sleep()

    def _open(self, endpoint: str, timeout: httpx.Timeout, limits: httpx.Limits, transport: TransportT | None) -> Any:
        raise NotImplementedError

    def _default_sleep(self) -> SleepT:
        raise NotImplementedError

    def set_token(self, token: str) -> None:
        """Use `token` from the next call on (tokens expire after 24 hours)."""
        try:
            self._core.set_token(token)
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"set_token(): {exc}") from None

    @property
    def timeout(self) -> httpx.Timeout:
        return self._http.timeout  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__)


class Client(_Base[httpx.BaseTransport, Callable[[float], None]], SyncLifecycle):
    """Invokes FunctionGraph functions asynchronously; every error it raises is an fgs.FgsError."""

    _http: httpx.Client

    def _open(
        self, endpoint: str, timeout: httpx.Timeout, limits: httpx.Limits, transport: httpx.BaseTransport | None
    ) -> httpx.Client:
        transport = transport or DeadlineTransport(limits)
        return httpx.Client(base_url=endpoint, timeout=timeout, limits=limits, transport=transport)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        """Queue one run of the function; returns its request_id."""
        core = self._core
        kwargs = core.request_kwargs(function_urn, payload)
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            budget = core.attempt_budget(self._timeout, attempt, time.monotonic() - started)
            outcome = exchange(self._http, kwargs, budget, self._max_response_bytes)
            delay = core.retry_delay(attempt, time.monotonic() - started, outcome)
            if delay is None:
                return core.conclude(outcome, attempt, budget)
            self._sleep(delay)

    def _call(self, call: _lifecycle.Call[T]) -> T:
        """One lifecycle operation, sent like invoke_async; retried further when it is idempotent."""
        core = self._core
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            budget = core.attempt_budget(self._timeout, attempt, time.monotonic() - started)
            outcome = exchange(self._http, call.kwargs, budget, self._max_response_bytes)
            delay = core.retry_delay(attempt, time.monotonic() - started, outcome, idempotent=call.idempotent)
            if delay is None:
                return _lifecycle.finish(core, call, outcome, attempt, budget)
            self._sleep(delay)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(_Base[httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]], AsyncLifecycle):
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
        from fgs._transport_async import exchange as exchange_async  # imports asyncio; see _default_sleep

        core = self._core
        kwargs = core.request_kwargs(function_urn, payload)
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            budget = core.attempt_budget(self._timeout, attempt, time.monotonic() - started)
            outcome = await exchange_async(self._http, kwargs, budget, self._max_response_bytes)
            delay = core.retry_delay(attempt, time.monotonic() - started, outcome)
            if delay is None:
                return core.conclude(outcome, attempt, budget)
            await self._sleep(delay)

    async def _call(self, call: _lifecycle.Call[T]) -> T:
        from fgs._transport_async import exchange as exchange_async

        core = self._core
        started, attempt = time.monotonic(), 0
        while True:
            attempt += 1
            budget = core.attempt_budget(self._timeout, attempt, time.monotonic() - started)
            outcome = await exchange_async(self._http, call.kwargs, budget, self._max_response_bytes)
            delay = core.retry_delay(attempt, time.monotonic() - started, outcome, idempotent=call.idempotent)
            if delay is None:
                return _lifecycle.finish(core, call, outcome, attempt, budget)
            await self._sleep(delay)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

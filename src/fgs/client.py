"""fgs.Client and fgs.AsyncClient: the generated client's request and models, with safe edges.

The two differ only in how they send and sleep; every decision lives in fgs._core.Core. Client sends on
httpx (fgs._transport_sync); AsyncClient on aiohttp (fgs._transport_aiohttp), or on an httpx transport
given as `transport=` (fgs._transport_async), e.g. in-process with no sockets. Each transport module is
imported when a client first needs it, which keeps `import fgs` cheap.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Protocol, Self, TypeVar

import httpx

from fgs import _lifecycle
from fgs._body import DEFAULT_MAX_RESPONSE_BYTES
from fgs._checks import check_count, check_timeout
from fgs._core import Core, Failure, Outcome, Request
from fgs._iam import HttpRequest, HttpResponse
from fgs._lifecycle_methods import AsyncLifecycle, SyncLifecycle
from fgs.credentials import Credentials, Token
from fgs.errors import InvalidRequestError
from fgs.retry import RetryPolicy
from fgs.settings import from_env, switch_logging

if TYPE_CHECKING:
    from fgs._transport_sync import SyncTransport
    from fgs.fanout import Outcome as FanoutOutcome
    from fgs.fanout import Pacer

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
DEFAULT_RETRY = RetryPolicy()
DEFAULT_CONCURRENCY = 16  # fgs.fanout's; repeated so that `import fgs` does not import it
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
        token: str | None = None,
        *,
        credentials: Credentials | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = DEFAULT_RETRY,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 100,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        transport: TransportT | None = None,
        sleep: SleepT | None = None,
    ) -> None:
        cls = type(self).__name__
        switch_logging()
        if token is not None and credentials is not None:
            raise InvalidRequestError(f"{cls}() takes token= or credentials=, not both")
        if endpoint is _REQUIRED or project_id is _REQUIRED or (token is None and credentials is None):
            # What is not passed comes from the environment, as the fgs command reads it.
            env = from_env()
            endpoint = (env.endpoint or endpoint) if endpoint is _REQUIRED else endpoint
            project_id = (env.project_id or project_id) if project_id is _REQUIRED else project_id
            if token is None and credentials is None:
                credentials = env.credentials
        given = {"endpoint": (endpoint, "FGS_ENDPOINT"), "project_id": (project_id, "FGS_PROJECT_ID")}
        missing = [f"{name}= (or {variable})" for name, (value, variable) in given.items() if value is _REQUIRED]
        if token is None and credentials is None:
            missing.append("token= or credentials= (or FGS_AUTH_TOKEN, an access key or an IAM login)")
        if missing:
            raise InvalidRequestError(f"{cls}() needs {', '.join(missing)}")
        if credentials is not None and not isinstance(credentials, Credentials):
            raise InvalidRequestError(f"{cls}(): credentials must be an fgs.Token, fgs.AccessKey or fgs.IamPassword")
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise InvalidRequestError(f"{cls}(): retry must be an fgs.RetryPolicy or None")
        try:
            credentials = credentials or Token(token)  # type: ignore[arg-type]  # checked by Token
            self._core = Core(endpoint, project_id, credentials, headers, retry or RetryPolicy.disabled())
            self._http_timeout, self._timeout = check_timeout(timeout)
            connections = check_count("max_connections", max_connections)
            self._max_response_bytes = check_count("max_response_bytes", max_response_bytes)
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"{cls}(): {exc}") from None
        self._http = self._open(connections, transport)
        self._sleep: SleepT = sleep if sleep is not None else self._default_sleep()

    def _open(self, connections: int, transport: TransportT | None) -> Any:
        raise NotImplementedError

    def _default_sleep(self) -> SleepT:
        raise NotImplementedError

    def set_token(self, token: str) -> None:
        """Use `token` from the next call on (tokens expire after 24 hours). Only for token credentials."""
        try:
            self._core.set_token(token)
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"set_token(): {exc}") from None

    @property
    def timeout(self) -> httpx.Timeout:
        return self._http_timeout

    def __repr__(self) -> str:
        return self._core.describe(type(self).__name__)


def _request(login: HttpRequest) -> Request:
    return Request(login.method, login.url, dict(login.headers), login.body)


class Client(_Base[httpx.BaseTransport, Callable[[float], None]], SyncLifecycle):
    """Invokes FunctionGraph functions asynchronously; every error it raises is an fgs.FgsError.

    `transport=` takes an httpx transport (httpx.MockTransport, httpx.WSGITransport, ...) to send through
    instead of the network; it then keeps its own timing.
    """

    _http: SyncTransport

    def _open(self, connections: int, transport: httpx.BaseTransport | None) -> SyncTransport:
        from fgs._transport_sync import SyncTransport  # here: httpcore is a tenth of `import fgs` otherwise

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        return SyncTransport(transport, self._http_timeout, limits)

    def _default_sleep(self) -> Callable[[float], None]:
        return time.sleep

    def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        """Queue one run of the function; returns its request_id."""
        return self._core.conclude(*self._send(self._core.invoke_request(function_urn, payload)), function_urn)

    def invoke_many(
        self,
        function_urn: str,
        payloads: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float | None = None,
        pacer: Pacer | None = None,
    ) -> Iterator[FanoutOutcome]:
        """One invoke_async per payload, `concurrency` at a time; outcomes in input order (see fgs.fanout)."""
        from fgs.fanout import invoke_many

        return invoke_many(self, function_urn, payloads, concurrency=concurrency, rate=rate, pacer=pacer)

    def _send(self, request: Request, *, idempotent: bool = False) -> tuple[Outcome, int, float]:
        """Send with credentials and retries; the last outcome, how many attempts, and the last budget."""
        core = self._core
        started, attempt, resent = time.monotonic(), 0, False
        while True:
            attempt += 1
            budget = core.attempt_budget(self._timeout, attempt, time.monotonic() - started)
            deadline = time.monotonic() + budget
            core.credentials.ensure_fresh(self._login(deadline))
            signed, added = core.authorize(request)
            outcome = self._http.exchange(signed, deadline - time.monotonic(), self._max_response_bytes)
            if core.reauthorize(outcome, added, resent):
                resent = True
                continue
            delay = core.retry_delay(attempt, time.monotonic() - started, outcome, idempotent=idempotent)
            if delay is None:
                return outcome, attempt, budget
            self._sleep(delay)

    def _call(self, call: _lifecycle.Call[T]) -> T:
        """One lifecycle operation, sent like invoke_async; retried further when it is idempotent."""
        return _lifecycle.finish(self._core, call, *self._send(call.request, idempotent=call.idempotent))

    def _login(self, deadline: float) -> Callable[[HttpRequest], HttpResponse]:
        """An IAM login through this client's transport, within the deadline of the call that needs it."""

        def send(login: HttpRequest) -> HttpResponse:
            budget = max(0.0, deadline - time.monotonic())
            return self._core.login_response(
                self._http.exchange(_request(login), budget, self._max_response_bytes), budget
            )

        return send

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _AsyncTransport(Protocol):
    async def exchange(self, request: Request, budget: float, limit: int) -> Outcome: ...

    async def aclose(self) -> None: ...


class AsyncClient(_Base[httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]], AsyncLifecycle):
    """The asyncio twin of Client, used as `async with fgs.AsyncClient(...) as client`.

    It sends on aiohttp. `transport=` takes an httpx async transport instead (httpx.ASGITransport,
    httpx.MockTransport, ...): the client then sends through httpx on it, e.g. in-process with no sockets.
    """

    _http: _AsyncTransport

    def _open(self, connections: int, transport: httpx.AsyncBaseTransport | None) -> _AsyncTransport:
        timeout = self._http_timeout
        if transport is not None:
            from fgs._transport_async import HttpxAsyncTransport

            limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
            return HttpxAsyncTransport(transport, timeout, limits)
        from fgs._transport_aiohttp import AiohttpTransport  # here: `import fgs` must not import aiohttp

        return AiohttpTransport(connections, timeout.connect, timeout.pool)

    def _default_sleep(self) -> Callable[[float], Awaitable[None]]:
        import asyncio  # here, not at the top: it would double the cost of `import fgs`

        return asyncio.sleep

    async def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        """Queue one run of the function; returns its request_id."""
        return self._core.conclude(*await self._send(self._core.invoke_request(function_urn, payload)), function_urn)

    def invoke_many(
        self,
        function_urn: str,
        payloads: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        rate: float | None = None,
        pacer: Pacer | None = None,
    ) -> AsyncIterator[FanoutOutcome]:
        """`async for outcome in client.invoke_many(...)`: in input order (see fgs.fanout.ainvoke_many)."""
        from fgs.fanout import ainvoke_many

        return ainvoke_many(self, function_urn, payloads, concurrency=concurrency, rate=rate, pacer=pacer)

    async def _send(self, request: Request, *, idempotent: bool = False) -> tuple[Outcome, int, float]:
        """Send with credentials and retries; the last outcome, how many attempts, and the last budget."""
        core = self._core
        started, attempt, resent = time.monotonic(), 0, False
        while True:
            attempt += 1
            budget = core.attempt_budget(self._timeout, attempt, time.monotonic() - started)
            deadline = time.monotonic() + budget
            outcome: Outcome | None = await self._fresh(deadline)
            if outcome is None:
                signed, added = core.authorize(request)
                outcome = await self._http.exchange(signed, deadline - time.monotonic(), self._max_response_bytes)
                if core.reauthorize(outcome, added, resent):
                    resent = True
                    continue
            delay = core.retry_delay(attempt, time.monotonic() - started, outcome, idempotent=idempotent)
            if delay is None:
                return outcome, attempt, budget
            await self._sleep(delay)

    async def _call(self, call: _lifecycle.Call[T]) -> T:
        """One lifecycle operation, sent like invoke_async; retried further when it is idempotent."""
        return _lifecycle.finish(self._core, call, *await self._send(call.request, idempotent=call.idempotent))

    async def _fresh(self, deadline: float) -> Failure | None:
        """Fresh credentials within the deadline; a timeout if waiting for a shared login outlasts it."""
        import asyncio

        credentials = self._core.credentials
        if type(credentials).aensure_fresh is Credentials.aensure_fresh:
            return None  # nothing to fetch: skip the timer on the hot path
        try:
            async with asyncio.timeout(deadline - time.monotonic()):
                await credentials.aensure_fresh(self._login(deadline))
        except TimeoutError:
            return Failure("timeout", "TimeoutError")
        return None

    def _login(self, deadline: float) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
        async def send(login: HttpRequest) -> HttpResponse:
            budget = max(0.0, deadline - time.monotonic())
            outcome = await self._http.exchange(_request(login), budget, self._max_response_bytes)
            return self._core.login_response(outcome, budget)

        return send

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

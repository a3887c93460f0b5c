"""The lifecycle methods of Client and AsyncClient: each builds a Call (fgs._lifecycle) and sends it.

Sending is the client's `_call`, the same loop as invoke_async: whole-call timeout per attempt, capped
body, retries by the call's idempotence. Everything else is decided in fgs._lifecycle.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from typing import Generic, TypeVar

from fgs import _lifecycle as life
from fgs._core import Core
from fgs.errors import InvocationNotFoundError
from fgs.models import AsyncConfig, Invocation, InvocationStatus

T = TypeVar("T")
RunsT = TypeVar("RunsT")
DEFAULT_WAIT_TIMEOUT, DEFAULT_POLL = 60.0, 0.5


class _Listing(Generic[RunsT]):
    _core: Core

    def _follow(self, pager: life.Pager) -> RunsT:
        raise NotImplementedError

    def list_invocations(
        self,
        function_urn: str,
        *,
        status: InvocationStatus | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page_size: int = life.DEFAULT_PAGE_SIZE,
    ) -> RunsT:
        """Every matching run, newest first, page after page to the end; each request_id once.

        An iterator on Client, an async iterator on AsyncClient. Arguments are checked at the call.
        """
        return self._follow(life.Pager.start(self._core, function_urn, status, since, until, page_size))


class SyncLifecycle(_Listing[Iterator[Invocation]]):
    def _call(self, call: life.Call[T]) -> T:
        raise NotImplementedError

    def get_invocation(self, function_urn: str, request_id: str) -> Invocation:
        """The run's record, from the query filtered by request_id; fgs.InvocationNotFoundError if not listed."""
        page = self._call(life.lookup(self._core, function_urn, request_id))
        return life.pick(self._core, page, request_id)

    def _follow(self, pager: life.Pager) -> Iterator[Invocation]:
        while (call := pager.call()) is not None:
            yield from pager.take(self._call(call))

    def cancel_invocation(self, function_urn: str, request_id: str) -> None:
        """Stop the run. As the page says, the function's other concurrent requests are stopped too."""
        self._call(life.cancel(self._core, function_urn, request_id))

    def wait(
        self,
        function_urn: str,
        request_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll: float = DEFAULT_POLL,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Invocation:
        """Poll until the run ends (SUCCESS, FAIL or DISCARD); fgs.WaitTimeoutError after `timeout` seconds."""
        waiter = life.Waiter.start(self._core, request_id, timeout, poll, time.monotonic())
        lookup = life.lookup(self._core, function_urn, request_id)
        while True:
            try:
                invocation: Invocation | None = life.pick(self._core, self._call(lookup), request_id)
            except InvocationNotFoundError:
                invocation = None  # accepted runs may take a moment to be listed
            if (ended := waiter.ended(invocation)) is not None:
                return ended
            delay = waiter.next_delay(time.monotonic())
            if delay is None:
                raise waiter.expired()
            sleep(delay)

    def get_async_config(self, function_urn: str) -> AsyncConfig:
        """The function's async settings; fgs.NotFoundError when it has none (or does not exist)."""
        return self._call(life.get_config(self._core, function_urn))

    def put_async_config(self, function_urn: str, config: AsyncConfig) -> AsyncConfig:
        """Set the function's async settings; returns them as the service stored them."""
        return self._call(life.put_config(self._core, function_urn, config))

    def delete_async_config(self, function_urn: str) -> None:
        """Remove the function's async settings; its runs fall back to the service's defaults."""
        self._call(life.delete_config(self._core, function_urn))


class AsyncLifecycle(_Listing[AsyncIterator[Invocation]]):
    """The same methods as SyncLifecycle, awaited; list_invocations is an async iterator."""

    async def _call(self, call: life.Call[T]) -> T:
        raise NotImplementedError

    async def get_invocation(self, function_urn: str, request_id: str) -> Invocation:
        page = await self._call(life.lookup(self._core, function_urn, request_id))
        return life.pick(self._core, page, request_id)

    async def _follow(self, pager: life.Pager) -> AsyncIterator[Invocation]:
        while (call := pager.call()) is not None:
            for invocation in pager.take(await self._call(call)):
                yield invocation

    async def cancel_invocation(self, function_urn: str, request_id: str) -> None:
        await self._call(life.cancel(self._core, function_urn, request_id))

    async def wait(
        self,
        function_urn: str,
        request_id: str,
        *,
        timeout: float = DEFAULT_WAIT_TIMEOUT,
        poll: float = DEFAULT_POLL,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> Invocation:
        if sleep is None:
            import asyncio  # here, not at the top: it would double the cost of `import fgs`

            sleep = asyncio.sleep
        waiter = life.Waiter.start(self._core, request_id, timeout, poll, time.monotonic())
        lookup = life.lookup(self._core, function_urn, request_id)
        while True:
            try:
                invocation: Invocation | None = life.pick(self._core, await self._call(lookup), request_id)
            except InvocationNotFoundError:
                invocation = None
            if (ended := waiter.ended(invocation)) is not None:
                return ended
            delay = waiter.next_delay(time.monotonic())
            if delay is None:
                raise waiter.expired()
            await sleep(delay)

    async def get_async_config(self, function_urn: str) -> AsyncConfig:
        return await self._call(life.get_config(self._core, function_urn))

    async def put_async_config(self, function_urn: str, config: AsyncConfig) -> AsyncConfig:
        return await self._call(life.put_config(self._core, function_urn, config))

    async def delete_async_config(self, function_urn: str) -> None:
        await self._call(life.delete_config(self._core, function_urn))

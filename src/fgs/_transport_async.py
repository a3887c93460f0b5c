"""AsyncClient on an httpx transport of the caller's (`transport=`): the whole attempt under one asyncio timeout.

The seam for in-process use with no sockets (httpx.MockTransport, httpx.ASGITransport, respx); the
default transport is aiohttp (fgs._transport_aiohttp).
"""

from __future__ import annotations

import asyncio

import httpx

from fgs._body import BodyReader
from fgs._core import Failure, Outcome, Request
from fgs._httpx import NO_ANSWER, failure, read_already, stream_kwargs


class HttpxAsyncTransport:
    def __init__(self, transport: httpx.AsyncBaseTransport, timeout: httpx.Timeout, limits: httpx.Limits) -> None:
        self._http = httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport)

    async def exchange(self, request: Request, budget: float, limit: int) -> Outcome:
        """One attempt: send, then read the answer up to `limit` bytes, all within `budget` seconds."""
        try:
            async with (
                asyncio.timeout(budget),
                self._http.stream(**stream_kwargs(request)) as response,
            ):
                if (already := read_already(response, limit)) is not None:
                    return already
                reader = BodyReader(response.status_code, response.headers, limit)
                async for chunk in response.aiter_raw():
                    if not reader.feed(chunk):
                        break
                return reader.answer()
        except TimeoutError:  # before NO_ANSWER: TimeoutError is an OSError
            return Failure("timeout", "TimeoutError")
        except NO_ANSWER as exc:
            return failure(exc)

    async def aclose(self) -> None:
        await self._http.aclose()

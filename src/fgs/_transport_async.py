"""AsyncClient's transport: httpx, with the whole attempt under one asyncio timeout."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from fgs._body import BodyReader
from fgs._core import Failure, Outcome
from fgs._httpx import NO_ANSWER, failure


async def exchange(http: httpx.AsyncClient, kwargs: dict[str, Any], budget: float, limit: int) -> Outcome:
    """One attempt: send, then read the answer up to `limit` bytes, all within `budget` seconds."""
    try:
        async with asyncio.timeout(budget), http.stream(**kwargs) as response:
            reader = BodyReader(response.status_code, response.headers, limit)
            async for chunk in response.aiter_raw():
                if not reader.feed(chunk):
                    break
            return reader.answer()
    except TimeoutError:  # before NO_ANSWER: TimeoutError is an OSError
        return Failure("timeout", "TimeoutError")
    except NO_ANSWER as exc:
        return failure(exc)

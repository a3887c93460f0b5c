"""httpx's exceptions, sorted into the failure kinds fgs._core decides on."""

from __future__ import annotations

from typing import Any

import httpx

from fgs._body import Answer, BodyReader
from fgs._core import Failure, Request

# Everything httpx raises for a request that got no usable answer.
NO_ANSWER = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError)


def failure(exc: BaseException) -> Failure:
    cause = type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return Failure("refused", cause)
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout):
        return Failure("connect-timeout", cause)
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return Failure("timeout", cause)
    return Failure("broken", cause)


def stream_kwargs(request: Request) -> dict[str, Any]:
    """The arguments of httpx's `stream()` that send `request` as it is (no body: no Content-Length either)."""
    return {"method": request.method, "url": request.url, "headers": request.headers, "content": request.body or None}


def read_already(response: httpx.Response, limit: int) -> Answer | None:
    """The answer of an in-process transport (httpx.MockTransport) that read the body itself, else None.

    Its raw stream is gone and the body it kept is decoded already, so it is read as it is, still capped.
    """
    if not response.is_stream_consumed:
        return None
    headers = response.headers.copy()
    headers.pop("content-encoding", None)
    reader = BodyReader(response.status_code, headers, limit)
    reader.feed(response.content)
    return reader.answer()

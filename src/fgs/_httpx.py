"""httpx's exceptions, sorted into the failure kinds fgs._core decides on."""

from __future__ import annotations

import httpx

from fgs._core import Failure

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

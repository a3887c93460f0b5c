"""Client's transport: httpx, with the whole-call deadline enforced on every socket operation.

httpcore applies its read timeout to each recv, so a peer trickling a byte at a time is never stopped.
The network backend here cuts every connect, read and write at the deadline of the call in progress,
which a context variable carries from Client to the socket (one per thread, so threads don't mix).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from fgs._body import BodyReader
from fgs._core import Outcome, Request
from fgs._httpx import NO_ANSWER, failure, read_already, stream_kwargs

_DEADLINE: ContextVar[float] = ContextVar("fgs_deadline", default=math.inf)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    left = _DEADLINE.get() - time.monotonic()
    if left <= 0:
        raise expired("the call's timeout ran out")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, on a connection pool whose sockets respect the call's deadline."""

    def __init__(self, limits: httpx.Limits) -> None:
        # Not super().__init__(): it would build a second pool (and SSL context) only to drop it.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_DeadlineBackend(),
        )


class SyncTransport:
    """What Client sends through: an httpx.Client on the deadline-aware pool, or on the caller's transport."""

    def __init__(self, transport: httpx.BaseTransport | None, timeout: httpx.Timeout, limits: httpx.Limits) -> None:
        self._http = httpx.Client(timeout=timeout, limits=limits, transport=transport or DeadlineTransport(limits))

    def exchange(self, request: Request, budget: float, limit: int) -> Outcome:
        """One attempt: send, then read the answer up to `limit` bytes, all within `budget` seconds."""
        reset = _DEADLINE.set(time.monotonic() + budget)
        try:
            with self._http.stream(**stream_kwargs(request)) as response:
                if (already := read_already(response, limit)) is not None:
                    return already
                reader = BodyReader(response.status_code, response.headers, limit)
                for chunk in response.iter_raw():
                    if not reader.feed(chunk):
                        break
                return reader.answer()
        except NO_ANSWER as exc:
            return failure(exc)
        finally:
            _DEADLINE.reset(reset)

    def close(self) -> None:
        self._http.close()

"""An httpx transport that hands each request to an ASGI app in this process: no socket, no port.

httpx's own ASGITransport is async-only, so this one runs the app on a private event loop thread and
waits for it. It keeps the request's read timeout (a planned delay or stall past it raises
httpx.ReadTimeout, as a socket would) and offers the `fgs_mock.drop` extension (a planned drop raises
httpx.RemoteProtocolError, as a closed connection does).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from fgs_mock.faults import DROP

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]


DISCONNECTED = "Server disconnected without sending a response."  # httpx's words for a closed connection


class _Dropped(Exception):
    pass


class InProcessTransport(httpx.BaseTransport):
    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fgs-mock-in-process", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._loop.is_closed():
            raise httpx.ConnectError("the in-process transport is closed", request=request)
        timeout = request.extensions.get("timeout", {}).get("read")
        future = asyncio.run_coroutine_threadsafe(self._exchange(request, request.read()), self._loop)
        try:
            status, headers, body = future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()  # the app sees the client leave, as over a socket
            raise httpx.ReadTimeout(f"no answer within {timeout} s", request=request) from None
        except _Dropped:
            raise httpx.RemoteProtocolError(DISCONNECTED, request=request) from None
        # A stream, not content=: content is read at once, and fgs.Client reads the stream itself.
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body), request=request)

    async def _exchange(self, request: httpx.Request, body: bytes) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        gone = asyncio.Event()
        sent_body = False
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        url = request.url
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "query_string": url.query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "server": (url.host, url.port or 80),
            "client": ("127.0.0.1", 0),
            "extensions": {DROP: gone.set},
        }
        await self._app(scope, receive, send)
        if gone.is_set() or not start:
            raise _Dropped
        return start["status"], list(start.get("headers", [])), b"".join(chunks)

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

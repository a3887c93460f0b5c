"""AsyncClient's default transport: aiohttp, with the whole attempt under one asyncio timeout.

Imported only when an AsyncClient sends on aiohttp, so that `import fgs` does not pay for aiohttp.
The exceptions are sorted here, by when they can happen: only a failure to get a connection means the
request never left. Everything later (a dropped connection, a reset, a garbled answer) may come after
the service took the call, so it is "broken" and never sent again.
"""

from __future__ import annotations

import asyncio

import aiohttp
from yarl import URL

from fgs._body import BodyReader
from fgs._core import Failure, Outcome, Request


def failure(exc: BaseException) -> Failure:
    """The failure kind, and as its cause the name httpx gives the same failure, so both clients word it alike."""
    # ConnectionTimeoutError is also a TimeoutError: it goes first. It covers waiting for a pooled connection.
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return Failure("connect-timeout", "ConnectTimeout")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return Failure("refused", "ConnectError")
    if isinstance(exc, TimeoutError):
        return Failure("timeout", "TimeoutError")
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError):
        return Failure("broken", "RemoteProtocolError")  # hung up, cut the body short, or garbled the answer
    if isinstance(exc, OSError):
        return Failure("broken", "ReadError")  # a reset or another socket error once connected
    return Failure("broken", type(exc).__name__)


# aiohttp's errors, and what a socket or a malformed answer raises underneath it.
NO_ANSWER = (aiohttp.ClientError, OSError)


class AiohttpTransport:
    """One aiohttp session per event loop (a session cannot move between loops), opened on first use."""

    def __init__(self, max_connections: int, connect: float | None, pool: float | None) -> None:
        self._limit = max_connections
        self._timeout = aiohttp.ClientTimeout(total=None, connect=pool, sock_connect=connect)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._urls: dict[str, URL] = {}

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or self._loop is not loop:
            if session is not None:
                self._drop(session)
            connector = aiohttp.TCPConnector(limit=self._limit, keepalive_timeout=5.0)
            session = self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                auto_decompress=False,  # fgs._body decompresses, with a bounded output
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("Content-Type",),  # never application/octet-stream on a body we did not type
            )
            self._loop = loop
        return session

    def _drop(self, session: aiohttp.ClientSession) -> None:
        """Let go of a session whose loop has ended (asyncio.run) or runs elsewhere; it cannot be awaited here."""
        connector, old_loop = session.connector, self._loop
        session.detach()
        if connector is None or old_loop is None:
            return
        if old_loop.is_closed():
            connector._close()  # only marks it closed: a closed loop's sockets go when they are collected
        else:
            old_loop.call_soon_threadsafe(connector._close)  # on its own loop, the one thread it may touch

    def _url(self, url: str) -> URL:
        # Already percent-encoded (and signed as such): yarl must not encode it again. Parsing is cached.
        parsed = self._urls.get(url)
        if parsed is None:
            if len(self._urls) >= 256:
                self._urls.clear()
            parsed = self._urls[url] = URL(url, encoded=True)
        return parsed

    async def exchange(self, request: Request, budget: float, limit: int) -> Outcome:
        """One attempt: send, then read the answer up to `limit` bytes, all within `budget` seconds."""
        session = self._open()
        try:
            async with (
                asyncio.timeout(budget),
                session.request(
                    request.method,
                    self._url(request.url),
                    headers=request.headers,
                    data=request.body or None,
                    allow_redirects=False,
                ) as response,
            ):
                reader = BodyReader(response.status, response.headers, limit)
                content = response.content
                while chunk := await content.readany():
                    if not reader.feed(chunk):
                        break
                return reader.answer()
        except NO_ANSWER as exc:  # TimeoutError included: it is an OSError
            return failure(exc)

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()
        elif session is not None:
            self._drop(session)

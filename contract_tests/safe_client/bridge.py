"""A respx router served over a loopback socket, so that AsyncClient's aiohttp transport meets the same
scripted answers as the httpx clients do in-process (respx intercepts httpx only).

Each request that arrives is rebuilt as an httpx.Request on the router's base URL, so routes match and
record calls as they would in-process; the answer goes back byte for byte (an encoded body stays so).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx

from contract_tests.auth.gate import read_body
from fgs_mock import serve_in_thread


class Bridge:
    def __init__(self, router: respx.MockRouter, base_url: str) -> None:
        self.router, self.base_url = router, base_url.rstrip("/")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        target = self.base_url + scope["raw_path"].decode("ascii")
        if scope["query_string"]:
            target += "?" + scope["query_string"].decode("ascii")
        headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
        request = httpx.Request(scope["method"], target, headers=headers, content=body)
        response = self.router.handler(request)  # records the call on its route, as in-process
        raw = b"".join(response.stream)  # type: ignore[arg-type]  # a ByteStream: the bytes as scripted
        names = {b"content-length", b"transfer-encoding", b"connection"}
        out = [(k, v) for k, v in response.headers.raw if k.lower() not in names]
        out.append((b"content-length", str(len(raw)).encode()))
        await send({"type": "http.response.start", "status": response.status_code, "headers": out})
        await send({"type": "http.response.body", "body": raw})


@contextmanager
def bridged(router: respx.MockRouter, base_url: str) -> Iterator[str]:
    """Serve `router` on loopback until the block ends; yields the URL to point a client at."""
    with serve_in_thread(Bridge(router, base_url)) as url:  # type: ignore[arg-type]
        yield url

"""Calls an ASGI app in-process, with no server: fast enough for property tests."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from urllib.parse import unquote

from fgs_mock.responses import Message
from fgs_mock.server import ASGIApp


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


def call(app: ASGIApp, method: str, raw_path: str, headers: list[tuple[bytes, bytes]], body: bytes = b"") -> Answer:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[Message] = []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    async def exchange() -> None:
        await app(scope, receive, send)

    asyncio.run(exchange())
    start = sent[0]
    return Answer(start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:]))

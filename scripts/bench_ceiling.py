"""The bare-stack ceiling: the mock's own uvicorn, HTTP parser (httptools) and event loop, serving an ASGI
app that only reads the body and answers 202 with a fresh UUID. No mock can be faster on this stack.

`python scripts/bench_ceiling.py PORT`; scripts/bench.py runs it beside the mock in `make bench`.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import uvicorn

from fgs_mock.clock import HttpDate
from fgs_mock.server import UVICORN

Message = MutableMapping[str, Any]
# The same 53 bytes as the mock's 202.
HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"53")]
DATE = HttpDate()  # the mock writes its own Date (uvicorn's is off in UVICORN), and so does this


async def app(
    scope: Message, receive: Callable[[], Awaitable[Message]], send: Callable[[Message], Awaitable[None]]
) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body", False):
        pass
    body = b'{"request_id":"' + str(uuid.uuid4()).encode() + b'"}'
    await send({"type": "http.response.start", "status": 202, "headers": [*HEADERS, (b"date", DATE())]})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    # Configured as fgs_mock.server configures its uvicorn, with uvicorn's own httptools protocol.
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), http="httptools", **UVICORN)


if __name__ == "__main__":
    main()

"""Running the mock on loopback: in a background thread for tests, or in the foreground for `make mock`."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager

import uvicorn

from fgs_mock.responses import Receive, Scope, Send

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HOST = "127.0.0.1"


def _config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    # No access log and no lifespan: both cost time per request or at start and give nothing here.
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = HOST, port: int = 0) -> Iterator[str]:
    """Serve `app` until the block ends; yields the base URL. Port 0 picks a free port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(_config(app, host, sock.getsockname()[1]))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="fgs-mock", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the mock server did not start")
        time.sleep(0.005)
    try:
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve_forever(app: ASGIApp, host: str, port: int) -> None:
    uvicorn.Server(_config(app, host, port)).run()

"""Running the mock: in a background thread for tests, or in the foreground for `make mock`."""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import uvicorn

from fgs_mock.protocol import Limits, guarded_protocol
from fgs_mock.responses import MockApp, Receive, Scope, Send

ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HOST = "127.0.0.1"
# No access log, no lifespan, no proxy headers (the mock reads no client address) and no Server header:
# each costs time per request or at start and gives nothing here. scripts/bench_ceiling.py uses the same.
UVICORN: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "lifespan": "off",
    "proxy_headers": False,
    "server_header": False,
    "date_header": False,  # the app writes its own, from the clock at each answer (fgs_mock.clock.HttpDate)
}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything is announced: a port in use fails here (OSError)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _check_exposure(app: ASGIApp, host: str) -> None:
    if isinstance(app, MockApp) and not app.control.token_set and not is_loopback(host):
        raise ValueError("off loopback, the control routes need a control token")


def _engine(app: ASGIApp) -> AbstractContextManager[object]:
    """While the mock serves, its engine runs what it accepts."""
    return app.backend.engine.running() if isinstance(app, MockApp) else nullcontext()


class _Server(uvicorn.Server):
    """uvicorn's server, whose event loop also runs the mock engine's passes over canned behaviours."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if isinstance(self.config.app, MockApp):
            self.config.app.backend.engine.serve_canned_in(asyncio.get_running_loop())

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if isinstance(self.config.app, MockApp):
            self.config.app.backend.engine.stop_serving_canned()
        await super().shutdown(sockets=sockets)


def _server(app: ASGIApp, sock: socket.socket, limits: Limits) -> uvicorn.Server:
    config = uvicorn.Config(
        app, http=guarded_protocol(limits), **UVICORN, timeout_keep_alive=max(1, round(limits.head_timeout))
    )
    return _Server(config)


@contextmanager
def running_in_thread(server: uvicorn.Server, sockets: list[socket.socket] | None = None) -> Iterator[None]:
    """Run a uvicorn server in a daemon thread until the block ends; fail if it does not start in 10 s."""
    thread = threading.Thread(target=server.run, kwargs={"sockets": sockets}, name="fgs-mock", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the mock server did not start")
        time.sleep(0.005)
    try:
        yield
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_in_thread(app: ASGIApp, host: str = HOST, port: int = 0, limits: Limits | None = None) -> Iterator[str]:
    """Serve `app` until the block ends; yields the base URL. Port 0 picks a free port."""
    _check_exposure(app, host)
    sock = bind(host, port)
    try:
        server = _server(app, sock, limits or Limits())
        with _engine(app), running_in_thread(server, [sock]):
            yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        sock.close()


def serve_forever(app: ASGIApp, sock: socket.socket, limits: Limits | None = None) -> None:
    """Serve in this thread until the server is told to stop; the process is the mock's own."""
    _check_exposure(app, sock.getsockname()[0])
    # What start-up made lives as long as the process: out of the collector's sight, a full collection
    # walks only what serving makes, 2 ms instead of 17 to 23 (the mock's p99 at 10 connections).
    gc.freeze()
    with _engine(app):
        _server(app, sock, limits or Limits()).run(sockets=[sock])

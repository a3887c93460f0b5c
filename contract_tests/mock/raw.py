"""A mock on a real loopback socket, and raw sockets to talk to it as a hostile peer would."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fgs_mock import DEFAULT_FUNCTION_URN, DEFAULT_PROJECT_ID, DEFAULT_TOKEN, Backend, Limits, create_app
from fgs_mock.server import serve_in_thread

PATH = f"/v2/{DEFAULT_PROJECT_ID}/fgs/functions/{quote(DEFAULT_FUNCTION_URN, safe='')}/invocations-async"
# Short timeouts keep the tests fast; the defaults are what the README documents.
FAST = Limits(head_timeout=0.5, body_timeout=0.5)


@dataclass
class Running:
    host: str
    port: int
    backend: Backend

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock


@contextmanager
def running(limits: Limits = FAST, backend: Backend | None = None) -> Iterator[Running]:
    backend = backend if backend is not None else Backend.with_defaults()
    with serve_in_thread(create_app(backend), limits=limits) as base_url:
        url = urlsplit(base_url)
        assert url.hostname is not None
        assert url.port is not None
        yield Running(url.hostname, url.port, backend)


def request(
    headers: list[tuple[str, str]] | None = None, body: bytes = b"{}", *, path: str = PATH, method: str = "POST"
) -> bytes:
    """A complete HTTP/1.1 request; `headers` replace the usual token, media type and length."""
    if headers is None:
        headers = [
            ("X-Auth-Token", DEFAULT_TOKEN),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
        ]
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def answer(sock: socket.socket, timeout: float = 5) -> bytes:
    """Everything the server sends until it closes the connection or `timeout` passes."""
    sock.settimeout(timeout)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else 0


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed the connection within `seconds`, and what it sent before."""
    deadline = time.monotonic() + seconds
    received = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def wait_until(condition: object, seconds: float = 2) -> bool:
    """Poll a zero-argument callable until it is true; the server thread records asynchronously."""
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return bool(condition())


def response(sock: socket.socket, timeout: float = 5) -> bytes:
    """One whole response with a Content-Length, read without waiting for the connection to close."""
    sock.settimeout(timeout)
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length and (chunk := sock.recv(65536)):
        body += chunk
    return head + b"\r\n\r\n" + body

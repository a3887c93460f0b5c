"""A hostile HTTP peer on a real loopback socket, and a way to call it with either safe client.

Peer runs `handler(peer, conn)` in a thread for each connection it accepts on 127.0.0.1 (port 0);
handlers write whatever bytes they like, as slowly or as much as they like, until the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

import fgs
from contract_tests.support.identities import PROJECT, URN

TOKEN = "HOSTILE-PEER-SECRET-7c3a"
KINDS = ["sync", "async"]
Handler = Callable[["Peer", socket.socket], None]


class Peer:
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        self.requests: list[bytes] = []
        self.sent = 0
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def __enter__(self) -> Self:
        self._spawn(self._accept)
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stopped.set()
        with self._lock:
            # shutdown, not only close: on Linux it is what wakes a thread blocked in accept() or recv().
            for sock in [self.listener, *self._conns]:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handler(self, conn)
        except OSError:
            pass  # the client hung up, which is what a capped or timed-out read does
        finally:
            conn.close()

    def read_request(self, conn: socket.socket) -> bytes:
        """The request's head and Content-Length body, as bytes."""
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                raise ConnectionResetError("client left before a whole request")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
            0,
        )
        while len(body) < length:
            body += conn.recv(65536)
        self.requests.append(head + b"\r\n\r\n" + body)
        return head

    def send(self, conn: socket.socket, data: bytes) -> None:
        conn.sendall(data)
        self.sent += len(data)

    def trickle(self, conn: socket.socket, pieces: Iterable[bytes], every: float) -> None:
        """Sends one piece every `every` seconds until the pieces or the test run out."""
        for piece in pieces:
            if self.stopped.wait(every):
                return
            self.send(conn, piece)


def answer(status: int, body: bytes = b"", headers: Iterable[tuple[str, str | bytes]] = ()) -> bytes:
    """A whole HTTP/1.1 answer with Content-Length; header values may be raw bytes."""
    lines = [f"HTTP/1.1 {status} X".encode(), f"Content-Length: {len(body)}".encode(), b"Connection: close"]
    lines += [
        name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()) for name, value in headers
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def call(
    kind: str, url: str, *, token: str = TOKEN, sleeps: list[float] | None = None, **options: Any
) -> tuple[str | fgs.FgsError, float]:
    """One invoke_async with Client or AsyncClient: what it returned or raised, and how long it took."""
    options.setdefault("retry", fgs.NO_RETRY)
    if sleeps is not None:
        options["sleep"] = sleeps.append if kind == "sync" else _recording(sleeps)
    started = time.monotonic()
    try:
        if kind == "sync":
            with fgs.Client(url, PROJECT, token, **options) as client:
                outcome: str | fgs.FgsError = client.invoke_async(URN, {"k": "v"})
        else:
            outcome = asyncio.run(_call_async(url, token, options))
    except fgs.FgsError as error:
        outcome = error
    return outcome, time.monotonic() - started


async def _call_async(url: str, token: str, options: dict[str, Any]) -> str:
    async with fgs.AsyncClient(url, PROJECT, token, **options) as client:
        return await client.invoke_async(URN, {"k": "v"})


def _recording(sleeps: list[float]) -> Callable[[float], Any]:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    return sleep

"""uvicorn's httptools protocol with the connection hygiene uvicorn lacks.

uvicorn only times out idle keep-alive connections, and only after a first response; it has no cap on
the header block with httptools and its `limit_concurrency` answers 503 instead of making room. Here:

- a request head must be complete within `head_timeout` of the connection opening or of the previous
  answer; a body within `body_timeout` of its head. Otherwise the connection closes (with 408 when part
  of a request had arrived);
- the head is capped at `max_header_bytes` and `max_headers` fields (431 past either);
- past `max_connections`, the connection idle the longest (no request being answered) is closed, so that
  slow or idle peers cannot starve a fresh one.
"""

from __future__ import annotations

import json
import math
from asyncio import Transport
from dataclasses import dataclass, field
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle

from fgs_mock.faults import DROP


@dataclass(frozen=True)
class Limits:
    head_timeout: float = 5.0
    body_timeout: float = 30.0
    max_header_bytes: int = 16 * 1024
    max_headers: int = 100
    max_connections: int = 1000

    def __post_init__(self) -> None:
        if min(self.head_timeout, self.body_timeout) <= 0:
            raise ValueError("timeouts must be positive")
        if min(self.max_header_bytes, self.max_headers, self.max_connections) < 1:
            raise ValueError("caps must be at least 1")


class _HeadTooLarge(Exception):
    pass


@dataclass
class _Connections:
    """One server's open connections, least recently active first (a dict keeps order and moves in O(1))."""

    open: dict[GuardedProtocol, None] = field(default_factory=dict)
    sweeping: bool = False


def _answer(status: int, code: str, message: str) -> bytes:
    body = json.dumps({"error_code": code, "error_msg": message}).encode()
    head = b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % len(body)
    return STATUS_LINE[status] + head + body


TOO_LARGE = _answer(431, "FSS.0431", "Request header fields too large.")
TIMED_OUT = _answer(408, "FSS.0408", "Request timeout.")


class _Coalesced:
    """A response cycle's view of the transport: the head waits for the first piece of body, so that an
    answer leaves in one write (one TCP segment, one system call) rather than two. The cycle writes the
    head as soon as the app starts its response, and the body in the very next step."""

    __slots__ = ("_cycle", "_head", "_headed", "_transport")

    def __init__(self, transport: Transport, cycle: RequestResponseCycle) -> None:
        self._transport = transport
        self._cycle: RequestResponseCycle | None = cycle
        self._head: bytes | None = None
        self._headed = False  # the head was written (or is held)

    def write(self, data: bytes) -> None:
        if self._head is not None:
            data, self._head = self._head + data, None
        elif not self._headed and self._cycle is not None and self._cycle.response_started:
            # 100 Continue is written before the response starts, so it never waits.
            self._head, self._headed = data, True
            return
        self._transport.write(data)

    def flush(self) -> None:
        if self._head is not None:
            self._transport.write(self._head)
            self._head = None

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def coalesce(cycle: RequestResponseCycle) -> None:
    """Make the cycle write each answer whole, in one write."""
    coalesced = _Coalesced(cycle.transport, cycle)
    cycle.transport = coalesced  # type: ignore[assignment]
    done = cycle.on_response

    def on_response() -> None:  # an answer without body (HEAD): its head leaves now
        coalesced.flush()
        # The cycle and its view of the transport point at each other: without this, each answer left
        # both (and the request they hold) to the collector, and full collections grew with the load.
        coalesced._cycle = None
        done()

    cycle.on_response = on_response


class GuardedProtocol(HttpToolsProtocol):
    limits: ClassVar[Limits]
    peers: ClassVar[_Connections]

    # A deadline per connection, checked by one sweep per server, rather than a timer armed and
    # cancelled twice for every request.
    _deadline = math.inf
    _in_head = True
    _head_bytes = 0  # raw bytes received while a head was incomplete
    _too_large = False  # the parse stopped on a head over the caps
    _started = False  # some bytes of the current request arrived

    def connection_made(self, transport: Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        registry = self.peers.open
        registry[self] = None
        if len(registry) > self.limits.max_connections:
            # None idle: every slot is answering a request, so the newcomer is the one to go.
            idle = next((c for c in registry if c is not self and c._idle()), self)
            del registry[idle]
            idle.transport.close()
        if not transport.is_closing():
            self._arm(self.limits.head_timeout)
        if not self.peers.sweeping:
            self.peers.sweeping = True
            self.loop.call_later(self._tick(), self._sweep)

    def connection_lost(self, exc: Exception | None) -> None:
        self.peers.open.pop(self, None)
        self._disarm()
        super().connection_lost(exc)

    def _tick(self) -> float:
        return min(1.0, max(0.01, min(self.limits.head_timeout, self.limits.body_timeout) / 4))

    def _sweep(self) -> None:
        now = self.loop.time()
        for connection in [c for c in self.peers.open if c._deadline <= now]:
            connection._expired()
        if self.peers.open:
            self.loop.call_later(self._tick(), self._sweep)
        else:
            self.peers.sweeping = False

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self, seconds: float) -> None:
        self._deadline = self.loop.time() + seconds

    def _disarm(self) -> None:
        self._deadline = math.inf

    def _expired(self) -> None:
        self._deadline = math.inf
        if not self.transport.is_closing():
            if self._started and self._idle():
                self.transport.write(TIMED_OUT)
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
            self._started = True
        # The parser stops on _HeadTooLarge from our callbacks; super() then calls send_400_response.
        super().data_received(data)
        if self._in_head and self._head_bytes > self.limits.max_header_bytes and not self.transport.is_closing():
            self._refuse()

    def send_400_response(self, msg: str) -> None:
        # uvicorn answers 400 to any parser error, including one our callbacks raised to stop the parse.
        if self._too_large:
            self._refuse()
        else:
            super().send_400_response(msg)

    def _refuse(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self.transport.write(TOO_LARGE)
            self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        # A planned drop (fgs_mock.faults): the app asks the server to close without answering.
        self.scope["extensions"] = {DROP: self.transport.close}  # type: ignore[dict-item]
        self._in_head = self._started = True
        self._too_large = False

    def on_headers_complete(self) -> None:
        # The caps are checked once the head is whole, not field by field: a callback per field cost
        # each request more than the check. A head that never ends is cut off by data_received's count
        # of raw bytes, which also bounds what is parsed before this.
        self._in_head = False
        limits = self.limits
        if len(self.headers) > limits.max_headers or (
            self._head_bytes > limits.max_header_bytes  # the raw bytes so far: the head is no larger
            and len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers) > limits.max_header_bytes
        ):
            self._too_large = True
            raise _HeadTooLarge
        self._head_bytes = 0
        registry = self.peers.open
        registry.pop(self, None)
        registry[self] = None  # most recently active now
        self._arm(self.limits.body_timeout)
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.transport is self.transport:  # None: an upgrade, refused
            coalesce(self.cycle)

    def on_message_complete(self) -> None:
        self._in_head = True
        self._started = False
        super().on_message_complete()
        # Answered before its body ended (a refused control call): from now on, the next head is due.
        if self.cycle.response_complete:
            self._arm(self.limits.head_timeout)
        else:
            self._disarm()

    def on_response_complete(self) -> None:
        # uvicorn's, less the keep-alive timer it arms here and cancels at the next request (2 µs a request):
        # the deadline armed below closes an idle connection as surely, with the head timeout.
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif self._in_head:
            self._arm(self.limits.head_timeout)


def guarded_protocol(limits: Limits) -> type[GuardedProtocol]:
    """A protocol class for one server: its own limits and its own registry of connections."""
    return type("Guarded", (GuardedProtocol,), {"limits": limits, "peers": _Connections()})

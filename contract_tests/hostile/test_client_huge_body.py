"""Attack: an answer too large to hold, a 50 MB 202 or an endless chunked one. Reading stops at the
client's cap (max_response_bytes, 1 MiB by default) with a ProtocolError, and memory stays near it."""

from __future__ import annotations

import socket
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call

CHUNK = b" " * 65536
PEAK_LIMIT = 8 << 20  # the cap, a few receive buffers and httpx's own; reading it all took 50 MB and more


def _fifty_megabytes(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.send(conn, b"HTTP/1.1 202 Accepted\r\nContent-Length: 50000000\r\n\r\n")
    for _ in range(50_000_000 // len(CHUNK)):
        peer.send(conn, CHUNK)


def _endless_chunks(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.send(conn, b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n")
    peer.send(conn, _chunk(b'{"request_id":"r"'))
    chunk = _chunk(CHUNK)
    for _ in range(1024):  # 64 MiB, then an end, so that a client without a cap finishes (and fails the test)
        peer.send(conn, chunk)
    peer.send(conn, _chunk(b"}") + _chunk(b""))


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _measured(kind: str, url: str, **options: Any) -> tuple[str | fgs.FgsError, int]:
    tracemalloc.start()
    try:
        outcome, _ = call(kind, url, **options)
        return outcome, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("handler", [_fifty_megabytes, _endless_chunks], ids=["50MB", "endless-chunked"])
def test_a_huge_answer_stops_at_the_cap(kind: str, handler: Callable[[Peer, socket.socket], None]) -> None:
    with Peer(handler) as peer:
        outcome, peak = _measured(kind, peer.url, timeout=20.0)
    assert isinstance(outcome, fgs.ProtocolError), outcome
    assert not isinstance(outcome, fgs.TransportError)
    assert outcome.status == 202
    assert "max_response_bytes" in str(outcome)
    assert peak < PEAK_LIMIT
    assert peer.sent < 40_000_000  # the client hung up long before the end


def _sized(size: int) -> Callable[[Peer, socket.socket], None]:
    def handler(peer: Peer, conn: socket.socket) -> None:
        peer.read_request(conn)
        body = b'{"request_id":"r"}'
        peer.send(conn, answer(202, body + b" " * (size - len(body))))

    return handler


@pytest.mark.parametrize("kind", KINDS)
def test_the_cap_is_settable(kind: str) -> None:
    with Peer(_sized(300)) as peer:
        assert call(kind, peer.url, max_response_bytes=300)[0] == "r"
        outcome, _ = call(kind, peer.url, max_response_bytes=299)
    assert isinstance(outcome, fgs.ProtocolError)
    assert "limit of 299 bytes" in str(outcome)


def _huge_refusal(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.send(conn, b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n")
    peer.send(conn, b'{"error_code":"FSS.1051","error_msg":"')
    for _ in range(50_000_000 // len(CHUNK)):
        peer.send(conn, CHUNK)


@pytest.mark.parametrize("kind", KINDS)
def test_a_huge_error_answer_stops_at_the_cap_and_keeps_no_body(kind: str) -> None:
    with Peer(_huge_refusal) as peer:
        outcome, peak = _measured(kind, peer.url, timeout=20.0)
    assert isinstance(outcome, fgs.ProtocolError), outcome
    assert (outcome.status, outcome.body, outcome.error_code) == (404, None, None)
    assert "max_response_bytes" in str(outcome)
    assert peak < PEAK_LIMIT
    assert peer.sent < 40_000_000

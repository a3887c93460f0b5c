"""Attack: a peer that trickles its answer, a header line or a body byte at a time, never idle long
enough for a per-read timeout. `timeout` bounds the whole call; across retries max_total does."""

from __future__ import annotations

import itertools
import socket

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call

SLACK = 0.5  # thread start-up and a loaded 2-core machine; the attack itself ran for 45 s and more


def _header_trickle(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.send(conn, b"HTTP/1.1 202 Accepted\r\n")
    peer.trickle(conn, (f"X-Slow-{n}: 1\r\n".encode() for n in itertools.count()), every=0.2)


def _body_trickle(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.send(conn, b"HTTP/1.1 202 Accepted\r\nContent-Length: 100000\r\n\r\n")
    peer.trickle(conn, itertools.repeat(b" "), every=0.2)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("handler", [_header_trickle, _body_trickle], ids=["headers", "body"])
def test_a_trickled_answer_is_cut_at_the_timeout(kind: str, handler: object) -> None:
    with Peer(handler) as peer:  # type: ignore[arg-type]
        outcome, elapsed = call(kind, peer.url, timeout=1.0)
    assert isinstance(outcome, fgs.RequestTimeoutError), outcome
    assert elapsed < 1.0 + SLACK
    assert "within 1 s" in str(outcome)
    assert len(peer.requests) == 1  # a timed-out call may have been accepted: never sent again


def _busy_then_trickle(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    if len(peer.requests) == 1:
        peer.send(conn, answer(503, headers=[("Retry-After", "1")]))
    else:
        _body_trickle_after_request(peer, conn)


def _body_trickle_after_request(peer: Peer, conn: socket.socket) -> None:
    peer.send(conn, b"HTTP/1.1 202 Accepted\r\nContent-Length: 100000\r\n\r\n")
    peer.trickle(conn, itertools.repeat(b" "), every=0.2)


@pytest.mark.parametrize("kind", KINDS)
def test_across_retries_max_total_stays_the_bound(kind: str) -> None:
    # 503, a 1 s wait, then a trickle: the second attempt gets only what is left of max_total (1.5 s),
    # not a whole new timeout (2 s), so the call ends near 2.5 s rather than 3 s.
    policy = fgs.RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.001, max_total=2.5)
    with Peer(_busy_then_trickle) as peer:
        outcome, elapsed = call(kind, peer.url, timeout=2.0, retry=policy)
    assert isinstance(outcome, fgs.RequestTimeoutError), outcome
    assert len(peer.requests) == 2
    assert 2.4 < elapsed < 2.5 + 0.4  # without the bound: 3 s

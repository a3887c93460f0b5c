"""Attack: a 503 whose Retry-After is not ASCII digits: '²' (as UTF-8, or the raw latin-1 byte), or
Arabic-Indic digits that int() reads as 15. Such values are ignored: the client backs off as it would
without the header, and nothing but an FgsError can escape."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call

POLICY = fgs.RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.01, max_total=60)
HOSTILE = {
    "superscript-utf8": "²".encode(),
    "superscript-latin1": b"\xb2",
    "arabic-indic-15": "\u0661\u0665".encode(),
    "fullwidth-3": "\uff13".encode(),
    "digits-then-junk": b"3\xb2",
}


def _busy_once(retry_after: bytes) -> Callable[[Peer, socket.socket], None]:
    def handler(peer: Peer, conn: socket.socket) -> None:
        peer.read_request(conn)
        if len(peer.requests) == 1:
            peer.send(conn, answer(503, headers=[("Retry-After", retry_after)]))
        else:
            peer.send(conn, answer(202, b'{"request_id":"r"}'))

    return handler


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("retry_after", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_non_ascii_retry_after_is_ignored(kind: str, retry_after: bytes) -> None:
    sleeps: list[float] = []
    with Peer(_busy_once(retry_after)) as peer:
        outcome, _ = call(kind, peer.url, retry=POLICY, sleeps=sleeps)
    assert outcome == "r"
    assert len(peer.requests) == 2
    assert len(sleeps) == 1
    assert sleeps[0] <= POLICY.backoff_max  # the header asked for nothing the client should honour


@pytest.mark.parametrize("kind", KINDS)
def test_ascii_digits_are_still_honoured(kind: str) -> None:
    sleeps: list[float] = []
    with Peer(_busy_once(b"7")) as peer:
        assert call(kind, peer.url, retry=POLICY, sleeps=sleeps)[0] == "r"
    assert sleeps == [7.0]

"""Attack: a small gzip (or deflate) body that inflates far past any sane answer, behind a valid 202.

The cap counts decompressed bytes and the inflater never produces more than the room left, so the
call fails with a ProtocolError after about 1 MiB of output instead of returning success."""

from __future__ import annotations

import socket
import tracemalloc
import zlib
from collections.abc import Callable

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call

INFLATED = 256 << 20  # enough to show the bound; compressing a whole GiB would only slow the test
PEAK_LIMIT = 8 << 20


def _bomb(wbits: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    block = b" " * (1 << 20)
    parts = [packer.compress(b'{"request_id":"r"}')]
    parts += [packer.compress(block) for _ in range(INFLATED >> 20)]
    return b"".join([*parts, packer.flush()])


BOMBS = {"gzip": _bomb(zlib.MAX_WBITS | 16), "deflate": _bomb(zlib.MAX_WBITS)}


def _serving(coding: str, body: bytes) -> Callable[[Peer, socket.socket], None]:
    def handler(peer: Peer, conn: socket.socket) -> None:
        peer.read_request(conn)
        peer.send(conn, answer(202, body, headers=[("Content-Encoding", coding)]))

    return handler


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("coding", sorted(BOMBS))
def test_a_compression_bomb_fails_within_bounded_memory(kind: str, coding: str) -> None:
    assert len(BOMBS[coding]) < 1 << 20
    with Peer(_serving(coding, BOMBS[coding])) as peer:
        tracemalloc.start()
        try:
            outcome, _ = call(kind, peer.url)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert isinstance(outcome, fgs.ProtocolError), outcome
    assert "max_response_bytes" in str(outcome)
    assert peak < PEAK_LIMIT


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS | 16, zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["gzip", "zlib", "raw"])
def test_honest_compressed_answers_are_read(kind: str, wbits: int) -> None:
    packer = zlib.compressobj(6, zlib.DEFLATED, wbits)
    body = packer.compress(b'{"request_id":"compressed-1"}') + packer.flush()
    coding = "gzip" if wbits > zlib.MAX_WBITS else "deflate"
    with Peer(_serving(coding, body)) as peer:
        assert call(kind, peer.url)[0] == "compressed-1"
        assert b"accept-encoding: gzip, deflate" in peer.requests[0].lower()


@pytest.mark.parametrize("kind", KINDS)
def test_an_encoding_it_did_not_ask_for_is_refused(kind: str) -> None:
    with Peer(_serving("br", b"\x0b\x02\x80{}\x03")) as peer:
        outcome, _ = call(kind, peer.url)
    assert isinstance(outcome, fgs.ProtocolError)
    assert "Content-Encoding" in str(outcome)

"""Attack: connections that send nothing, or trickle their head a byte at a time, to be held forever."""

from __future__ import annotations

import gc
import math
import time

from contract_tests.mock.raw import FAST, closed_within, request, running, status, wait_until
from fgs_mock.protocol import GuardedProtocol


def test_an_idle_connection_is_closed_after_the_head_timeout() -> None:
    with running() as mock:
        sock = mock.connect()
        closed, sent = closed_within(sock, FAST.head_timeout + 2)
        assert closed
        assert sent == b""  # nothing of a request came, so there is nothing to answer


def test_after_an_answer_an_idle_connection_is_closed_after_the_head_timeout() -> None:
    # uvicorn's own keep-alive timer, armed at every answer and cancelled at the next request (2 µs a
    # request), is not: the guards' deadline does its work.
    with running() as mock:
        sock = mock.connect()
        sock.sendall(request())
        assert status(sock.recv(65536)) == 202
        me = sock.getsockname()
        (peer,) = (p for p in gc.get_objects() if isinstance(p, GuardedProtocol) and p.client == me)
        assert wait_until(lambda: peer._deadline != math.inf)  # the answer is complete: the next head is due
        assert peer.timeout_keep_alive_task is None
        closed, sent = closed_within(sock, FAST.head_timeout + 2)
        assert closed
        assert sent == b""


def test_a_head_trickled_byte_by_byte_is_cut_off_with_408() -> None:
    with running() as mock:
        sock = mock.connect()
        began = time.monotonic()
        received = b""
        for byte in request():
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                break
            # Kept across bytes: the 408 may come in one wait and the close (or a reset, once the next
            # byte reaches a closed socket) in the next, which reads nothing more.
            closed, more = closed_within(sock, 0.05)
            received += more
            if closed or received or time.monotonic() - began > FAST.head_timeout + 2:
                break
        assert time.monotonic() - began < FAST.head_timeout + 2
        assert status(received) == 408
        assert len(mock.backend.invocations) == 0


def test_a_body_that_never_ends_is_cut_off_and_not_recorded() -> None:
    with running() as mock:
        sock = mock.connect()
        sock.sendall(request(body=b"").replace(b"Content-Length: 0", b"Content-Length: 100") + b'{"k":1}')
        closed, _ = closed_within(sock, FAST.body_timeout + 2)
        assert closed
        assert len(mock.backend.invocations) == 0


def test_a_keep_alive_connection_serves_again_within_the_timeout() -> None:
    with running() as mock:
        sock = mock.connect()
        for _ in range(3):
            sock.sendall(request())
            assert status(sock.recv(65536)) == 202
            time.sleep(FAST.head_timeout / 3)
        assert len(mock.backend.invocations) == 3

"""Attack: thousands of idle or slow connections use up the server, and a fresh valid request fails.

Here 50 slow connections against a limit of 40, rather than thousands of sockets in CI.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import httpx

from contract_tests.mock.raw import PATH, closed_within, running
from fgs_mock import DEFAULT_TOKEN, Limits

LIMITS = Limits(head_timeout=60, body_timeout=60, max_connections=40)


def _open(count: int, connect: object) -> Iterator[socket.socket]:
    assert callable(connect)
    for _ in range(count):
        sock = connect()
        assert isinstance(sock, socket.socket)
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")  # a head begun and never finished
        yield sock


def test_slow_connections_past_the_limit_do_not_starve_a_fresh_request() -> None:
    with running(LIMITS) as mock, ExitStack() as stack:
        slow = list(_open(50, mock.connect))
        for sock in slow:
            stack.callback(sock.close)
        answer = httpx.post(
            mock.base_url + PATH, json={}, headers={"X-Auth-Token": DEFAULT_TOKEN}, timeout=httpx.Timeout(5)
        )
        assert answer.status_code == 202
        # The oldest slow ones made room: at least the 10 past the limit, and the fresh request's.
        closed = sum(closed_within(sock, 0.2)[0] for sock in slow[:15])
        assert closed >= 11
        assert not closed_within(slow[-1], 0.2)[0]


def test_a_busy_server_at_its_limit_turns_the_newcomer_away_not_a_request_in_progress() -> None:
    limits = Limits(head_timeout=60, body_timeout=60, max_connections=2)
    with running(limits) as mock:
        busy = []
        for _ in range(2):  # two requests whose bodies are still coming: neither is idle
            sock = mock.connect()
            sock.sendall(
                f"POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Auth-Token: {DEFAULT_TOKEN}\r\n"
                "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{".encode()
            )
            busy.append(sock)
        closed_within(busy[-1], 0.2)  # let the server read both heads
        newcomer = mock.connect()
        assert closed_within(newcomer, 2)[0]
        for sock in busy:
            sock.sendall(b"}")
            assert closed_within(sock, 0.3)[1].startswith(b"HTTP/1.1 202")
        assert len(mock.backend.invocations) == 2

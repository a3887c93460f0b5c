"""Attack: a 10 MB header, or 100,000 headers, buffered by the server and answered 202."""

from __future__ import annotations

import contextlib
import socket

from contract_tests.mock.raw import PATH, answer, running, status
from fgs_mock import DEFAULT_TOKEN, Limits


def _send(sock: socket.socket, data: bytes) -> None:
    # The server may answer 431 and close while the rest is still on its way.
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        sock.sendall(data)


def _head(extra: bytes) -> bytes:
    return (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token: {DEFAULT_TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 2\r\n"
    ).encode() + extra


def test_a_10_mb_header_gets_431() -> None:
    with running() as mock:
        sock = mock.connect()
        _send(sock, _head(b"X-Big: " + b"a" * 10_000_000 + b"\r\n\r\n{}"))
        assert status(answer(sock)) == 431
        assert len(mock.backend.invocations) == 0


def test_100_000_headers_get_431() -> None:
    with running() as mock:
        sock = mock.connect()
        _send(sock, _head(b"".join(b"X-H%d: v\r\n" % i for i in range(100_000)) + b"\r\n{}"))
        assert status(answer(sock)) == 431
        assert len(mock.backend.invocations) == 0


def test_a_head_just_over_the_cap_in_one_packet_gets_431_and_one_under_gets_202() -> None:
    limits = Limits(max_header_bytes=2048, max_headers=20)
    with running(limits) as mock:
        for filler, expected in ((1900, 431), (1000, 202)):
            sock = mock.connect()
            _send(sock, _head(b"X-Pad: " + b"p" * filler + b"\r\n\r\n{}"))
            assert status(answer(sock, timeout=1)) == expected
        sock = mock.connect()
        _send(sock, _head(b"".join(b"X-H%d: v\r\n" % i for i in range(20)) + b"\r\n{}"))
        assert status(answer(sock, timeout=1)) == 431

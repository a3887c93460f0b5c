"""Attack: a POST whose body is cut short, then a hang-up. No 202 went out, so nothing may be recorded."""

from __future__ import annotations

import time

from contract_tests.mock.raw import request, running, status
from fgs_mock import DEFAULT_TOKEN


def _settle() -> None:
    # Long enough for the server thread to have handled the hang-up (and, before the fix, recorded it).
    time.sleep(0.3)


def test_content_length_100_with_7_bytes_then_close_records_nothing() -> None:
    with running() as mock:
        sock = mock.connect()
        head = request(body=b"")
        head = head.replace(b"Content-Length: 0", b"Content-Length: 100")
        sock.sendall(head + b'{"k":1}')  # 7 bytes, valid JSON on their own
        time.sleep(0.1)
        sock.close()
        _settle()
        assert len(mock.backend.invocations) == 0
        assert mock.backend.invocations.counters().accepted == 0


def test_chunked_body_without_its_last_chunk_then_close_records_nothing() -> None:
    with running() as mock:
        sock = mock.connect()
        headers = [
            ("X-Auth-Token", DEFAULT_TOKEN),
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ]
        sock.sendall(request(headers, body=b"2\r\n{}\r\n"))
        time.sleep(0.1)
        sock.close()
        _settle()
        assert len(mock.backend.invocations) == 0


def test_the_same_requests_completed_are_recorded_once_each() -> None:
    # The other side of the rule: a whole body is recorded, once, and answered 202.
    with running() as mock:
        for raw in (
            request(body=b'{"k": 1}'),
            request(
                [
                    ("X-Auth-Token", DEFAULT_TOKEN),
                    ("Content-Type", "application/json"),
                    ("Transfer-Encoding", "chunked"),
                ],
                body=b"2\r\n{}\r\n0\r\n\r\n",
            ),
        ):
            sock = mock.connect()
            sock.sendall(raw)
            assert status(sock.recv(65536)) == 202
            sock.close()
        assert len(mock.backend.invocations) == 2

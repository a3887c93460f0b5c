"""Attack: a 202 whose request_id is huge, empty, or carries CR, LF, NUL or other bytes that would
travel into logs and later query URLs. Only 1 to 64 visible ASCII characters are usable; anything
else is a ProtocolError whose text shows the value escaped and cut short, never raw."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call

UNUSABLE = {
    "1MiB": "a" * (1 << 20),
    "65-chars": "a" * 65,
    "CRLF": "abc\r\nX-Injected: 1",
    "LF": "abc\ndef",
    "NUL": "abc\x00def",
    "empty": "",
    "space": "abc def",
    "tab": "abc\tdef",
    "DEL": "abc\x7f",
    "non-ASCII": "abc\u202edef",
    "number": 12345,
    "missing": None,
}


def _accepting(request_id: object) -> Callable[[Peer, socket.socket], None]:
    body = json.dumps({} if request_id is None else {"request_id": request_id}).encode()

    def handler(peer: Peer, conn: socket.socket) -> None:
        peer.read_request(conn)
        peer.send(conn, answer(202, body))

    return handler


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("request_id", UNUSABLE.values(), ids=UNUSABLE.keys())
def test_an_unusable_request_id_is_a_protocol_error(kind: str, request_id: object) -> None:
    with Peer(_accepting(request_id)) as peer:
        outcome, _ = call(kind, peer.url, max_response_bytes=2 << 20)
    assert isinstance(outcome, fgs.ProtocolError), outcome
    assert outcome.status == 202
    text = str(outcome) + repr(outcome)
    assert len(str(outcome)) < 200
    assert not any(c in text for c in "\r\n\x00\x7f\t\u202e")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("request_id", ["r", "a" * 64, "0c1f5e1a-3b6d-4e0a-9c8f-2d7b6a5e4f3c", "!~"])
def test_a_usable_request_id_is_returned(kind: str, request_id: str) -> None:
    with Peer(_accepting(request_id)) as peer:
        assert call(kind, peer.url)[0] == request_id

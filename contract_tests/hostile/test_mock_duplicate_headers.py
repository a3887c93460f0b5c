"""Attack: a singular header sent twice with different values (valid token, then wrong) was answered 202."""

from __future__ import annotations

import json

import pytest

from contract_tests.mock.raw import request, response, running, status
from fgs_mock import DEFAULT_TOKEN

JSON = ("Content-Type", "application/json")
LENGTH = ("Content-Length", "2")
TOKEN = ("X-Auth-Token", DEFAULT_TOKEN)


@pytest.mark.parametrize(
    "headers",
    [
        [TOKEN, ("X-Auth-Token", "wrong"), JSON, LENGTH],
        [("X-Auth-Token", "wrong"), TOKEN, JSON, LENGTH],
        [TOKEN, JSON, ("Content-Type", "text/plain"), LENGTH],
        [TOKEN, JSON, LENGTH, ("Content-Length", "3")],
        [TOKEN, JSON, LENGTH, ("Host", "elsewhere")],
    ],
    ids=["token-valid-then-wrong", "token-wrong-then-valid", "content-type", "content-length", "host"],
)
def test_a_singular_header_twice_with_different_values_gets_400(headers: list[tuple[str, str]]) -> None:
    with running() as mock:
        sock = mock.connect()
        sock.sendall(request(headers, b"{}"))
        raw = response(sock)
        assert status(raw) == 400
        if raw.split(b"\r\n\r\n", 1)[1].startswith(b"{"):
            assert json.loads(raw.split(b"\r\n\r\n", 1)[1])["error_code"] == "FSS.0400"
        assert len(mock.backend.invocations) == 0


def test_the_same_value_twice_is_one_value() -> None:
    with running() as mock:
        sock = mock.connect()
        sock.sendall(request([TOKEN, TOKEN, JSON, JSON, LENGTH], b"{}"))
        assert status(sock.recv(65536)) == 202

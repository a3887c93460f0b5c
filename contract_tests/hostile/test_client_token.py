"""Attack: tokens that a header cannot carry cleanly, and servers that echo the token back escaped.

A token is refused, on construction and on set_token, unless every character is visible ASCII. An
echo is blanked in every spelling a server may use: raw, JSON-escaped (`\\/`, `\\uXXXX`) or
percent-encoded, in str, repr, error_msg and body."""

from __future__ import annotations

import json
import re
import socket
import urllib.parse

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call
from contract_tests.support.identities import PROJECT

SECRET = 'MIIa/b+c=Secret"<9>'
BAD_TOKENS = {
    "ESC": "abc\x1bdef",
    "DEL": "abc\x7fdef",
    "VT": "abc\x0bdef",
    "space": "abc def",
    "tab": "abc\tdef",
    "NUL": "abc\x00def",
    "non-ASCII": "abcédef",
}


def _literals(token: str) -> list[str]:
    """The token as a JSON string literal, escaped the ways JSON encoders do (all decode to the token)."""
    plain = json.dumps(token)
    return [
        plain,
        plain.replace("/", "\\/"),  # PHP, some Java encoders
        plain.replace("<", "\\u003c").replace(">", "\\u003E"),  # Go's HTML-safe JSON
        '"' + "".join(c if c.isalnum() else f"\\u{ord(c):04x}" for c in token) + '"',  # every sign escaped
    ]


def _percent(token: str) -> list[str]:
    upper = urllib.parse.quote(token, safe="")
    return [upper, re.sub("%[0-9A-F]{2}", lambda m: m[0].lower(), upper)]


def _spellings(token: str) -> list[str]:
    return [token, *(literal[1:-1] for literal in _literals(token)), *_percent(token)]


@pytest.mark.parametrize("bad", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
@pytest.mark.parametrize("cls", [fgs.Client, fgs.AsyncClient])
def test_a_token_a_header_cannot_carry_is_refused(cls: type[fgs.Client], bad: str) -> None:
    with pytest.raises(fgs.InvalidRequestError, match="visible ASCII") as caught:
        cls("http://127.0.0.1:9", PROJECT, bad)
    assert bad not in str(caught.value)
    client = cls("http://127.0.0.1:9", PROJECT, "good-token")
    with pytest.raises(fgs.InvalidRequestError, match=r"set_token\(\)") as caught:
        client.set_token(bad)
    assert bad not in str(caught.value)


def _echoing(peer: Peer, conn: socket.socket) -> None:
    head = peer.read_request(conn).decode("latin-1")
    token = next(line.split(": ", 1)[1] for line in head.split("\r\n") if line.lower().startswith("x-auth-token:"))
    literals, percent = _literals(token), _percent(token)
    message = " | ".join([literals[1][1:-1], literals[3][1:-1], *percent])
    body = f'{{"error_code": "FSS.0401", "error_msg": "token {message}", "echo": [{", ".join(literals)}]}}'
    peer.send(conn, answer(401, body.encode()))


@pytest.mark.parametrize("kind", KINDS)
def test_an_echoed_token_is_blanked_in_every_spelling(kind: str) -> None:
    with Peer(_echoing) as peer:
        outcome, _ = call(kind, peer.url, token=SECRET)
    assert isinstance(outcome, fgs.AuthenticationError), outcome
    exposed = [str(outcome), repr(outcome), outcome.error_msg or "", (outcome.body or b"").decode()]
    for text in exposed:
        for spelling in _spellings(SECRET):
            assert spelling not in text
    assert (outcome.error_msg or "").count("<redacted>") == 4
    assert (outcome.body or b"").count(b"<redacted>") == 8

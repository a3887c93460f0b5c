"""Attack: a connection that fails. Only a request that never left is sent again; one the peer read and
then hung up on (or reset) may have started a run, so it is never retried, whichever transport sends it."""

from __future__ import annotations

import asyncio
import socket
import struct
import subprocess
import sys

import pytest

import fgs
from contract_tests.hostile.peers import KINDS, Peer, answer, call

RETRY = fgs.RetryPolicy(max_attempts=3, backoff_base=0.001, backoff_max=0.002)


def _hang_up(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)


def _reset(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST


def _half_answer(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.send(conn, b'HTTP/1.1 202 Accepted\r\nContent-Length: 100\r\n\r\n{"request_id"')


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("handler", [_hang_up, _reset, _half_answer], ids=["hang-up", "reset", "half-answer"])
def test_a_request_that_reached_the_peer_is_never_sent_again(kind: str, handler: object) -> None:
    with Peer(handler) as peer:  # type: ignore[arg-type]
        outcome, _ = call(kind, peer.url, retry=RETRY, sleeps=[])
    assert isinstance(outcome, fgs.TransportError)
    assert not isinstance(outcome, fgs.RequestTimeoutError)
    assert outcome.attempts == 1
    assert len(peer.requests) == 1
    assert str(outcome).startswith("the connection to http://127.0.0.1:")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("kind", KINDS)
def test_a_refused_connection_is_retried(kind: str) -> None:
    sleeps: list[float] = []
    outcome, _ = call(kind, f"http://127.0.0.1:{_closed_port()}", retry=RETRY, sleeps=sleeps)
    assert isinstance(outcome, fgs.TransportError)
    assert (outcome.attempts, len(sleeps)) == (3, 2)
    assert str(outcome).endswith("(ConnectError)")


def test_async_client_sends_on_aiohttp_unless_given_an_httpx_transport() -> None:
    import httpx

    from fgs._transport_aiohttp import AiohttpTransport
    from fgs._transport_async import HttpxAsyncTransport

    assert isinstance(fgs.AsyncClient("http://h", "p", "t")._http, AiohttpTransport)
    given = fgs.AsyncClient("http://h", "p", "t", transport=httpx.MockTransport(lambda _: httpx.Response(202)))
    assert isinstance(given._http, HttpxAsyncTransport)


def test_import_fgs_does_not_import_aiohttp() -> None:
    probe = "import sys, fgs; fgs.Client('http://h', 'p', 't'); print('aiohttp' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout == "False\n"


def test_one_async_client_serves_several_event_loops() -> None:
    """A session belongs to one loop; the client opens another when it is used from a new one."""

    def answering(peer: Peer, conn: socket.socket) -> None:
        peer.read_request(conn)
        peer.send(conn, answer(202, b'{"request_id":"r"}'))

    with Peer(answering) as peer:
        client = fgs.AsyncClient(peer.url, "p", "t", retry=None)
        first = asyncio.run(client.invoke_async("urn", {}))
        second = asyncio.run(client.invoke_async("urn", {}))

        async def close() -> None:
            await client.aclose()

        asyncio.run(close())
    assert (first, second) == ("r", "r")

"""Attack: peers that refuse, drop or stall the connection. The error names the endpoint as
scheme://host:port (never a password or the token), and both clients word it the same."""

from __future__ import annotations

import socket
from typing import Any

import pytest

import fgs
from contract_tests.hostile.peers import TOKEN, Peer, call


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed on return: nothing listens there


def _drop(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)


def _stall(peer: Peer, conn: socket.socket) -> None:
    peer.read_request(conn)
    peer.stopped.wait(30)


def _both(url: str, **options: Any) -> tuple[fgs.FgsError, fgs.FgsError]:
    sync, _ = call("sync", url, **options)
    async_, _ = call("async", url, **options)
    assert isinstance(sync, fgs.TransportError), sync
    assert isinstance(async_, fgs.TransportError), async_
    return sync, async_


def test_a_refused_connection_names_the_endpoint_alike() -> None:
    port = _free_port()
    sync, async_ = _both(f"http://user:hunter2@127.0.0.1:{port}/base")
    assert str(sync) == str(async_) == f"could not connect to http://127.0.0.1:{port} (ConnectError)"
    assert type(sync) is type(async_) is fgs.TransportError


@pytest.mark.parametrize(("handler", "timeout"), [(_drop, 10.0), (_stall, 0.5)], ids=["dropped", "stalled"])
def test_a_failed_exchange_names_the_endpoint_alike(handler: object, timeout: float) -> None:
    with Peer(handler) as peer:  # type: ignore[arg-type]
        sync, async_ = _both(peer.url, timeout=timeout)
    assert str(sync) == str(async_)
    assert type(sync) is type(async_)
    assert peer.url in str(sync)
    for error in (sync, async_):
        assert TOKEN not in str(error) + repr(error)
        assert error.body is None  # no answer came: there is no body to show

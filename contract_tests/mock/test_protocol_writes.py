"""Each answer leaves in one write: uvicorn's own response cycle, with the mock's transport in between."""

from __future__ import annotations

import asyncio
import gc
import logging
import weakref
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from fgs_mock.protocol import coalesce


class Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None: ...
    def resume_reading(self) -> None: ...


def _cycle(
    method: str = "POST", *, keep_alive: bool = True, expect_100: bool = False
) -> tuple[Any, Transport, list[int]]:
    transport = Transport()
    completed: list[int] = []
    cycle = RequestResponseCycle(
        scope={"type": "http", "method": method, "http_version": "1.1", "path": "/", "headers": []},  # type: ignore[typeddict-item]
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=expect_100,
        keep_alive=keep_alive,
        on_response=lambda: completed.append(1),
    )
    coalesce(cycle)
    return cycle, transport, completed


START = {"type": "http.response.start", "status": 202, "headers": [(b"content-length", b"2")]}
BODY = {"type": "http.response.body", "body": b"{}"}


def test_the_head_waits_for_the_body_and_both_leave_in_one_write() -> None:
    cycle, transport, completed = _cycle()

    async def answer() -> None:
        await cycle.send(START)
        assert transport.writes == []  # held
        await cycle.send(BODY)

    asyncio.run(answer())
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 202 ")
    assert transport.writes[0].endswith(b"\r\n\r\n{}")
    assert completed == [1]


def test_an_answer_to_head_has_no_body_and_its_head_still_leaves() -> None:
    cycle, transport, completed = _cycle("HEAD")

    async def answer() -> None:
        await cycle.send(START)
        await cycle.send(BODY)

    asyncio.run(answer())
    assert len(transport.writes) == 1
    assert transport.writes[0].startswith(b"HTTP/1.1 202 ")
    assert transport.writes[0].endswith(b"\r\n\r\n")
    assert completed == [1]


@pytest.mark.parametrize("keep_alive", [True, False])
def test_a_body_in_pieces_leaves_head_and_first_piece_together_then_each_piece(keep_alive: bool) -> None:
    cycle, transport, _ = _cycle(keep_alive=keep_alive)
    start = {**START, "headers": [(b"content-length", b"4")]}

    async def answer() -> None:
        await cycle.send(start)
        await cycle.send({"type": "http.response.body", "body": b"ab", "more_body": True})
        await cycle.send({"type": "http.response.body", "body": b"cd"})

    asyncio.run(answer())
    assert [w[-2:] for w in transport.writes] == [b"ab", b"cd"]
    assert transport.closed is not keep_alive


def test_100_continue_is_never_held() -> None:
    cycle, transport, _ = _cycle(expect_100=True)
    cycle.more_body = False
    cycle.message_event.set()  # the body is there

    async def read() -> None:
        await cycle.receive()

    asyncio.run(read())
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_closing_after_a_head_without_body_sends_the_head_first() -> None:
    cycle, transport, _ = _cycle()

    async def answer() -> None:
        await cycle.send(START)

    asyncio.run(answer())
    cycle.transport.close()
    assert len(transport.writes) == 1
    assert transport.closed


def test_an_answered_cycle_leaves_nothing_for_the_collector() -> None:
    # The cycle and its view of the transport pointed at each other: every answer left both (and its
    # request) for the collector, whose full collections then took 5 to 7 ms at 64 connections.
    cycle, _, completed = _cycle()

    async def answer(cycle: Any) -> None:
        await cycle.send(START)
        await cycle.send(BODY)

    asyncio.run(answer(cycle))
    assert completed == [1]
    gone = weakref.ref(cycle)
    gc.disable()
    try:
        del cycle
        assert gone() is None  # freed as its last reference went, not left to a collection
    finally:
        gc.enable()

"""Planned faults, played out on the wire: latency, an error status, a stall, or a dropped connection.

An ASGI app cannot close its connection, so the server offers that as a scope extension,
`scope["extensions"]["fgs_mock.drop"]`: the guarded uvicorn protocol and the in-process transport of
`fgs_mock.testing` both provide it.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from fgs_mock.models import Fault

if TYPE_CHECKING:
    from fgs_mock.responses import Receive, Scope

DROP = "fgs_mock.drop"


async def _hung_up(receive: Receive, seconds: float) -> bool:
    """Whether the client left within `seconds` (forever when infinite)."""

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    try:
        await asyncio.wait_for(until_disconnect(), None if math.isinf(seconds) else seconds)
    except TimeoutError:
        return False
    return True


async def play(fault: Fault, scope: Scope, receive: Receive) -> bool:
    """Wait out the fault's delay, drop or stall; True when the call is over with no answer to send."""
    if fault.delay and await _hung_up(receive, fault.delay):
        return True
    if fault.stall:
        await _hung_up(receive, math.inf)
        return True
    if fault.drop:
        drop: Callable[[], None] | None = scope.get("extensions", {}).get(DROP)
        if drop is None:
            raise RuntimeError(f"this server offers no {DROP} extension, so it cannot drop a connection")
        drop()
        await _hung_up(receive, math.inf)
        return True
    return False


def retry_after(fault: Fault) -> list[tuple[bytes, bytes]]:
    return [] if fault.retry_after is None else [(b"retry-after", str(fault.retry_after).encode())]

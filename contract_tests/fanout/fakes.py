"""In-process stand-ins for the clients, and a clock that only moves when someone sleeps."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import Any

import fgs


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds

    async def asleep(self, seconds: float) -> None:
        target = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, target)


Refusal = Callable[[int], fgs.FgsError | None]


class FakeClient:
    """Accepts {"n": n} as request_id "rid-n", unless `refuse(n)` names the error to raise instead.

    `events` records ("send", n, time) and ("429", n, time) in the order they happened.
    """

    def __init__(self, refuse: Refusal = lambda n: None, clock: Callable[[], float] = lambda: 0.0) -> None:
        self.refuse, self.clock = refuse, clock
        self.events: list[tuple[str, int, float]] = []
        self._lock = threading.Lock()

    def answer(self, payload: Mapping[str, Any]) -> str:
        return self.reply(self.send(payload))

    def send(self, payload: Mapping[str, Any]) -> int:
        n = int(payload["n"])
        with self._lock:
            self.events.append(("send", n, self.clock()))
        return n

    def reply(self, n: int) -> str:
        error = self.refuse(n)
        if error is not None:
            if isinstance(error, fgs.RateLimitError):
                with self._lock:
                    self.events.append(("429", n, self.clock()))
            raise error
        return f"rid-{n}"

    def sends(self) -> list[tuple[int, float]]:
        return [(n, t) for kind, n, t in self.events if kind == "send"]

    def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        return self.answer(payload)


class FakeAsyncClient:
    """The same answers, awaited: as a real client, each call sends, then yields to the loop once for the answer."""

    def __init__(self, inner: FakeClient) -> None:
        self.inner = inner

    async def invoke_async(self, function_urn: str, payload: Mapping[str, Any]) -> str:
        n = self.inner.send(payload)
        await asyncio.sleep(0)
        return self.inner.reply(n)


def rate_limited(n: int, retry_after: float | None = None) -> fgs.RateLimitError:
    error = fgs.RateLimitError("HTTP 429 FSS.0429: slow down", status=429, error_code="FSS.0429", attempts=3)
    if retry_after is not None:
        error.retry_after = retry_after
    return error

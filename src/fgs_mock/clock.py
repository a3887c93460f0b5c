"""The emulator's time: epoch seconds that advance with the monotonic clock, not with the wall clock.

Run ages, durations and IAM token lifetimes are differences of these readings, so the wall clock
stepping back or forward while the mock runs (NTP, a VM resumed, an operator) shortens or stretches
none of them. The readings stay UTC epoch seconds, as the pages show them: the wall clock is read once,
when the clock is made. `STEADY` is made at import, before `--workers` forks, so every worker of one
mock, and each one that replaces a dead worker, reads the same time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate


class SteadyClock:
    def __init__(self, wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._offset = wall() - monotonic()

    def __call__(self) -> float:
        return self._offset + self._monotonic()


STEADY = SteadyClock()


class HttpDate:
    """An answer's Date header: the clock's time at the answer, whole seconds, formatted once a second.

    uvicorn's own Date is refreshed by its main loop about once a second: on a loaded machine, or with
    the mock in a thread of a busy process, it lagged by more than the 2 s a conformance window allows
    for, and a run was listed outside the window its Date put it in.
    """

    __slots__ = ("_clock", "_second", "_value")

    def __init__(self, clock: Callable[[], float] = STEADY) -> None:
        self._clock = clock
        self._second = -1
        self._value = b""

    def __call__(self) -> bytes:
        second = int(self._clock())
        if second != self._second:  # two threads may both format it: the same value either way
            self._value = formatdate(second, usegmt=True).encode()
            self._second = second
        return self._value

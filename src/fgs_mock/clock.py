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


class SteadyClock:
    def __init__(self, wall: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._offset = wall() - monotonic()

    def __call__(self) -> float:
        return self._offset + self._monotonic()


STEADY = SteadyClock()

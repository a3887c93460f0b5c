"""Progress of invoke-many: a redrawn bar with rate and ETA on a terminal, a plain line per tenth otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

_WIDTH = 24
_REDRAW = 0.1  # seconds between redraws: drawing per answer would cost more than the answers


class Progress:
    def __init__(self, total: int, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.done = total, 0
        self._stream, self._clock = stream, clock
        self._tty = stream.isatty()
        self._started = self._drawn = clock()
        self._next_tenth = 1

    def advance(self) -> None:
        self.done += 1
        if self._tty:
            if self._clock() - self._drawn >= _REDRAW or self.done == self.total:
                self._draw()
        elif self.total and self.done * 10 >= self._next_tenth * self.total:
            self._next_tenth = self.done * 10 // self.total + 1
            self._stream.write(self._status() + "\n")
            self._stream.flush()

    def finish(self) -> None:
        if self._tty and self.done:
            self._draw()
            self._stream.write("\n")
            self._stream.flush()

    def _draw(self) -> None:
        filled = _WIDTH * self.done // self.total if self.total else _WIDTH
        bar = "#" * filled + "." * (_WIDTH - filled)
        self._stream.write(f"\r[{bar}] {self._status()}\x1b[K")
        self._stream.flush()
        self._drawn = self._clock()

    def _status(self) -> str:
        elapsed = self._clock() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = 100 * self.done // self.total if self.total else 100
        eta = _clock_time((self.total - self.done) / rate) if rate > 0 else "?"
        return f"{self.done}/{self.total} ({share}%) {rate:.0f}/s ETA {eta}"


def _clock_time(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"

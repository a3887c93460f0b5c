"""Request ids: time-ordered version-7 UUIDs (RFC 9562), written as `str(uuid.UUID)` writes them.

The store indexes every call by its request id. Random (version 4) ids landed all over that index:
each insert touched a page of its own, and the cost of an insert grew with the store (in memory, 8 µs
a call at first, 12 to 22 µs past 128,000 calls; on file, one more page written per commit). Ids that
start with the time in milliseconds are appended at the index's end, as the rows are. They keep 74
random bits, so ids made in the same millisecond, or by two workers, do not repeat.

Random bits come from one `os.urandom` read per 409 ids, cut from its hex: on the 202 path,
`uuid.uuid4()`'s read per id and the UUID object it builds were a measurable share of a call.
"""

from __future__ import annotations

import os
import threading
import time

_CHUNK = 4096  # bytes read from os.urandom at once: 409 ids of 19 random hex digits (74 bits) each
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}  # RFC 9562 variant bits


class _Ids:
    __slots__ = ("_at", "_lock", "_pool")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool = ""
        self._at = 0

    def forget(self) -> None:
        """After a fork: the child must not hand out the ids its parent already holds."""
        self._lock = threading.Lock()
        self._pool, self._at = "", 0

    def __call__(self) -> str:
        with self._lock:
            at = self._at
            if at + 20 > len(self._pool):
                self._pool, at = os.urandom(_CHUNK).hex(), 0
            self._at = at + 20
            h = self._pool[at : at + 20]
        ms = f"{time.time_ns() // 1_000_000:012x}"
        return f"{ms[:8]}-{ms[8:]}-7{h[:3]}-{_VARIANT[h[3]]}{h[4:7]}-{h[7:19]}"


uuid7 = _Ids()
os.register_at_fork(after_in_child=uuid7.forget)

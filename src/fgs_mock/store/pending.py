"""Calls a store in memory holds before they reach SQLite: the serving thread's side of the store.

In memory, a call is stored once it is here. Every read and write of the store takes these calls into
SQLite first, within its own transaction, so nothing can tell them from rows; the thread that answers
202s only appends to a list, and the engine's next pass inserts them in one batch. A file store never
uses this: there a 202 means the call is in the file.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

Row = tuple[Any, ...]
# Calls held before the serving thread inserts them itself: if the store is free past MOST, in any case
# past MOST_HELD. The engine's pass (every 10 ms) normally takes them long before either.
MOST = 256
MOST_HELD = 8 * MOST


class Pending:
    __slots__ = ("_bytes", "_lock", "_rows")

    def __init__(self) -> None:
        self._rows: list[Row] = []
        self._bytes = 0
        self._lock = threading.Lock()  # never held across a statement: the serving thread never waits long

    def __bool__(self) -> bool:
        return bool(self._rows)

    def add(self, rows: Sequence[Row], size: int) -> int:
        """Hold these rows (bodies of `size` bytes in all); how many are held now."""
        with self._lock:
            self._rows += rows
            self._bytes += size
            return len(self._rows)

    def take(self) -> tuple[list[Row], int]:
        """Every row held, oldest first, and their body bytes; the buffer is empty after."""
        with self._lock:
            rows, size = self._rows, self._bytes
            self._rows, self._bytes = [], 0
        return rows, size

    def give_back(self, rows: list[Row], size: int) -> None:
        """Rows a failed insert took: they stay first in line, ahead of any that came meanwhile."""
        with self._lock:
            self._rows[:0] = rows
            self._bytes += size

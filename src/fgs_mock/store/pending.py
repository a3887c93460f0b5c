"""Calls a store in memory holds before they reach SQLite: the serving thread's side of the store.

In memory, a call is stored once it is here. Every write of the store, and every read of its calls and
runs, takes these calls into SQLite first, within its own transaction, so nothing can tell them from
rows; the thread that answers 202s only appends to a list, and the engine's passes in the serving loop
insert them a slice at a time. A file store never uses this: there a 202 means the call is in the file.
Nor does a store made with `hold=False`, as `fgs-mock` makes it: it inserts each group as a file does.
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
    __slots__ = ("_lock", "_rows")

    def __init__(self) -> None:
        self._rows: list[Row] = []
        self._lock = threading.Lock()  # never held across a statement: the serving thread never waits long

    def __bool__(self) -> bool:
        return bool(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: Sequence[Row]) -> int:
        """Hold these rows; how many are held now."""
        with self._lock:
            self._rows += rows
            return len(self._rows)

    def take(self, most: int | None = None) -> list[Row]:
        """The `most` oldest rows held (every one when None); they are held no more."""
        with self._lock:
            if most is None or most >= len(self._rows):
                rows, self._rows = self._rows, []
            else:
                rows = self._rows[:most]
                del self._rows[:most]
        return rows

    def give_back(self, rows: list[Row]) -> None:
        """Rows a failed insert took: they stay first in line, ahead of any that came meanwhile."""
        with self._lock:
            self._rows[:0] = rows

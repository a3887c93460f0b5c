"""Invocations the run may cause. Each 202 on a live endpoint starts a real, billed function run."""

from __future__ import annotations

import threading


class Budget:
    """Planned invocations ask first; every 202 is counted, planned or not.

    A broken endpoint may accept a call that should have been refused (a near-miss token, say): that
    still starts a run, so it is counted, and planned calls stop once the count reaches the limit.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        self.refused = 0  # planned calls not sent because the budget was spent
        self._lock = threading.Lock()

    def allows(self) -> bool:
        with self._lock:
            if self.limit is not None and self.spent >= self.limit:
                self.refused += 1
                return False
            return True

    def caused(self) -> None:
        with self._lock:
            self.spent += 1

    def describe(self) -> str:
        limit = "unlimited" if self.limit is None else str(self.limit)
        return f"invocations caused: {self.spent} of {limit}; calls not sent for budget: {self.refused}"

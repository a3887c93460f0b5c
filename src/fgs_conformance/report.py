"""What each check did: its outcome, the statuses it saw, why it failed; and the Markdown report."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

BUDGET_SKIP = "invocation budget spent"


@dataclass
class Outcome:
    check: str  # the concern, e.g. "auth"
    name: str  # the test within it, readable
    outcome: str  # passed, failed, skipped
    reason: str = ""

    @property
    def skipped_for_budget(self) -> bool:
        return self.outcome == "skipped" and BUDGET_SKIP in self.reason


@dataclass
class Recorder:
    current: str = "(preflight)"
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, status: int) -> None:
        with self._lock:
            self.statuses[self.current][status] += 1

    def counts(self) -> Counter[str]:
        counted = Counter(o.outcome for o in self.outcomes.values())
        counted["skipped for budget"] = sum(o.skipped_for_budget for o in self.outcomes.values())
        return counted

    def skipped_for_budget(self) -> Counter[str]:
        """How many tests of each check the budget left out."""
        return Counter(o.check for o in self.outcomes.values() if o.skipped_for_budget)

    def markdown(self, *, header: Iterable[str], footer: Iterable[str]) -> str:
        lines = ["# Conformance report", "", *(f"{line}  " for line in header), ""]
        lines += ["| check | test | outcome | statuses seen (count) |", "| --- | --- | --- | --- |"]
        for nodeid, done in self.outcomes.items():
            seen = ", ".join(f"{s} ({n})" for s, n in sorted(self.statuses.get(nodeid, Counter()).items()))
            outcome = f"{done.outcome}: {done.reason}" if done.outcome != "passed" and done.reason else done.outcome
            cell = outcome.replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {done.check} | {done.name} | {cell} | {seen or '-'} |")
        return "\n".join([*lines, "", *footer]) + "\n"


def redact(text: str, secrets: Iterable[str]) -> str:
    # Longest first, so a secret that contains another is blanked whole.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "[REDACTED]")
    return text


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

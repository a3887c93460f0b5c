"""Which check saw which statuses, written as a readable summary next to the JUnit XML."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Recorder:
    current: str = "(outside a test)"
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    outcomes: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, status: int) -> None:
        with self._lock:
            self.statuses[self.current][status] += 1

    def summary(self, *, target: str, budget_line: str) -> str:
        lines = [
            "# Contract check summary",
            "",
            f"Target: {target}  ",
            budget_line,
            "",
            "| check | outcome | statuses seen (count) |",
            "| --- | --- | --- |",
        ]
        for nodeid, outcome in self.outcomes.items():
            seen = ", ".join(f"{s} ({n})" for s, n in sorted(self.statuses.get(nodeid, Counter()).items()))
            lines.append(f"| `{nodeid.split('::', 1)[-1]}` | {outcome} | {seen or '-'} |")
        passed = sum(1 for o in self.outcomes.values() if o == "passed")
        lines += ["", f"{passed} of {len(self.outcomes)} checks passed."]
        return "\n".join(lines) + "\n"


def redact(text: str, secret: str) -> str:
    return text.replace(secret, "[REDACTED]") if secret else text


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

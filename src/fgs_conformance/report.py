"""What each check did: its outcome, the statuses it saw, why it failed; and the Markdown report."""

from __future__ import annotations

import contextlib
import threading
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

BUDGET_SKIP = "invocation budget spent"
TOO_BUSY = "too busy to check"
# A skip whose reason starts so is not a gap in the run: the check has nothing to hold this endpoint or
# credential to (signatures on a token run, config changes not allowed). --fail-on-skip ignores it.
NOT_APPLICABLE = "does not apply"


@dataclass
class Outcome:
    check: str  # the concern, e.g. "auth"
    name: str  # the test within it, readable
    outcome: str  # passed, failed, skipped
    reason: str = ""

    @property
    def skipped_for_budget(self) -> bool:
        return self.outcome == "skipped" and BUDGET_SKIP in self.reason

    @property
    def too_busy(self) -> bool:
        return self.outcome == "skipped" and self.reason.startswith(TOO_BUSY)

    @property
    def inconclusive(self) -> bool:
        """Skipped for want of budget, time or quiet, not because the check does not apply to this run."""
        return self.outcome == "skipped" and not self.reason.startswith(NOT_APPLICABLE)


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
        counted["inconclusive"] = sum(o.inconclusive for o in self.outcomes.values())
        return counted

    def skipped_for_budget(self) -> Counter[str]:
        """How many tests of each check the budget left out."""
        return Counter(o.check for o in self.outcomes.values() if o.skipped_for_budget)

    def too_busy(self) -> Counter[str]:
        """How many tests of each check were skipped because the endpoint was too busy to conclude."""
        return Counter(o.check for o in self.outcomes.values() if o.too_busy)

    def skip_reasons(self) -> list[str]:
        """The distinct reasons tests were skipped, in the order first met."""
        return list(dict.fromkeys(o.reason for o in self.outcomes.values() if o.outcome == "skipped"))

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


def write_junit(path: Path, reason: str, *, after_pytest: bool) -> None:
    """Put the run's verdict into a JUnit file as an errored test, so CI shows why: into the one pytest
    wrote in this run, or a new one when pytest never ran (or wrote nothing readable)."""
    root = ET.Element("testsuites", name="fgs-conformance")
    if after_pytest:
        with contextlib.suppress(OSError, ET.ParseError):
            root = ET.parse(path).getroot()  # noqa: S314 - the file pytest wrote in this run
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        suite = ET.SubElement(root, "testsuite", name="fgs-conformance")
    for counter in ("tests", "errors"):
        suite.set(counter, str(int(suite.get(counter, "0")) + 1))
    for counter in ("failures", "skipped"):
        suite.set(counter, suite.get(counter, "0"))
    case = ET.SubElement(suite, "testcase", classname="fgs-conformance", name="verdict")
    ET.SubElement(case, "error", message=reason).text = reason
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)

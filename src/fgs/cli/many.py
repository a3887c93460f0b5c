"""`fgs invoke-many`: every line of a JSONL file as one invocation, journaled so a rerun goes on safely."""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

import fgs
from fgs.cli.env import UsageError
from fgs.cli.journal import ACCEPTED, FAILED, PENDING, RETRIABLE, SENT, Journal, Row, not_sent, outcome_unknown
from fgs.cli.progress import Progress
from fgs.fanout import Pacer, invoke_many

SHOWN = 10  # failures and unknown lines named one by one; the journal holds them all


class Event(NamedTuple):
    line: int
    payload: Mapping[str, Any]


@dataclass
class Run:
    events: Path
    journal: Journal
    resend_unknown: bool
    err: TextIO
    retry_failed: bool = False
    lines: deque[int] = field(default_factory=deque)  # lines handed to the fan-out, not yet answered
    before: dict[str, int] = field(default_factory=dict)  # the journal's totals before this run
    accepted = failed = bad = unsent = 0

    def wanted(self, row: Row | None) -> bool:
        if row is None or row.state == PENDING:
            return True
        if row.state == SENT:
            return self.resend_unknown
        return row.state == FAILED and self.retry_failed and row.status in RETRIABLE

    def survey(self) -> int:
        """Checks the journal against the input before anything is sent; the number of lines to send."""
        self.before = self.journal.totals()
        to_send = last = 0
        for line, digest, _ in read_lines(self.events):
            last = line
            row = self.journal.row(line)
            if row is not None and row.digest != digest:
                raise UsageError(f"line {line} of {self.events} changed since journal {self.journal.path} was written")
            to_send += self.wanted(row)
        if self.journal.last_line() > last:
            raise UsageError(f"journal {self.journal.path} has lines that {self.events} lacks; use another journal")
        return to_send

    def to_send(self, progress: Progress) -> Iterator[Event]:
        for line, digest, raw in read_lines(self.events):
            row = self.journal.row(line)
            if not self.wanted(row):
                continue
            try:
                payload = parse(raw)
            except ValueError as exc:
                self.bad += 1
                self.journal.bad_line(line, digest, f"bad input: {exc}")
                self.err.write(f"fgs: line {line}: skipped: {exc}\n")
                progress.advance()
                continue
            self.journal.add_pending(line, digest)
            self.lines.append(line)
            yield Event(line, payload)


class JournaledClient:
    """Marks each call sent (committed) before it goes out, and records its answer as soon as it arrives."""

    def __init__(self, client: fgs.Client, journal: Journal) -> None:
        self._client, self._journal = client, journal

    def invoke_async(self, function_urn: str, event: Event, /) -> str:
        self._journal.mark_sent(event.line)
        try:
            request_id = self._client.invoke_async(function_urn, event.payload)
        except fgs.FgsError as error:
            self._journal.failed(event.line, error)
            raise
        self._journal.accepted(event.line, request_id)
        return request_id


def send_all(client: fgs.Client, function_urn: str, run: Run, *, concurrency: int, pacer: Pacer, out: TextIO) -> int:
    progress = Progress(run.survey(), run.err)
    sender = JournaledClient(client, run.journal)
    try:
        outcomes = invoke_many(sender, function_urn, run.to_send(progress), concurrency=concurrency, pacer=pacer)
        with closing(outcomes):
            for outcome in outcomes:
                line = run.lines.popleft()
                progress.advance()
                if isinstance(outcome, str):
                    run.accepted += 1
                    continue
                if not_sent(outcome):
                    run.unsent += 1
                elif not outcome_unknown(outcome):
                    run.failed += 1
                    if run.failed <= SHOWN:
                        run.err.write(f"fgs: line {line}: {outcome}\n")
                if run.accepted == 0 and isinstance(outcome, fgs.AuthenticationError | fgs.PermissionDeniedError):
                    # The credentials are wrong for every line alike: sending the rest would only repeat it.
                    run.err.write(
                        f"fgs: stopped: the first answers refused the credentials (HTTP {outcome.status}), so the "
                        "other lines were not sent; fix them, then run again with --retry-failed\n"
                    )
                    break
    finally:
        progress.finish()
    return summarise(run, out)


def summarise(run: Run, out: TextIO) -> int:
    unknown, first = run.journal.unknown(SHOWN)
    if run.failed > SHOWN:
        run.err.write(f"fgs: {run.failed - SHOWN} more failures are in the journal\n")
    if unknown:
        named = ", ".join(map(str, first)) + (f" and {unknown - len(first)} more" if unknown > len(first) else "")
        run.err.write(
            f"fgs: {unknown} calls have an unknown outcome (sent, no answer): lines {named}. "
            "They may have started a run, so they are not sent again; --resend-unknown sends them.\n"
        )
    totals = run.journal.totals()
    # From the journal, so that calls answered after a stop are counted as they were recorded.
    accepted, failed = (totals[state] - run.before.get(state, 0) for state in (ACCEPTED, FAILED))
    unsent = f", {run.unsent} not sent (no connection; a rerun sends them)" if run.unsent else ""
    out.write(
        f"this run: {accepted} accepted, {max(failed - run.bad, 0)} failed{unsent}, {run.bad} bad lines skipped; "
        f"journal {run.journal.path}: {totals[ACCEPTED]} accepted, {totals[FAILED]} failed, {unknown} unknown, "
        f"{totals[PENDING]} not sent\n"
    )
    return 0 if totals[FAILED] == unknown == totals[PENDING] == 0 else 1


def read_lines(path: Path) -> Iterator[tuple[int, str, bytes]]:
    """(line number, payload hash, the line) for each line that is not blank; one line in memory at a time."""
    try:
        with path.open("rb") as stream:
            for number, raw in enumerate(stream, start=1):
                stripped = raw.strip()
                if stripped:
                    yield number, hashlib.sha256(stripped).hexdigest(), stripped
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def parse(raw: bytes) -> Mapping[str, Any]:
    """One event: a JSON object. ValueError says, briefly, why a line is not one."""
    try:
        payload = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    except ValueError as exc:
        raise ValueError(f"not JSON ({str(exc).split(':')[0]})") from None
    if not isinstance(payload, dict):
        raise ValueError(f"not a JSON object but {type(payload).__name__}")
    return payload


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")

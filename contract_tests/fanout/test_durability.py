"""Interrupting `fgs invoke-many`: after SIGKILL or Ctrl-C, a rerun with the same journal sends each event once.

The command runs in a child process; the mock is served in this one, so its stored bodies can be read.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from contract_tests.fanout.cli_harness import URN, Mock, command, fgs, journal_rows, mock, write_events

EVENTS = 5000
CONCURRENCY = 8


def start_and_stop(
    mock: Mock, args: list[str], after: int, stop: Callable[[subprocess.Popen[str]], None]
) -> tuple[int, str]:
    """Starts the command; stops it with `stop` once the mock has accepted `after` calls. Its exit status
    and stderr."""
    process = subprocess.Popen(
        command(*args), env=mock.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while len(mock.backend.invocations) < after:
            assert process.poll() is None, "the command ended before it could be interrupted"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        stop(process)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in stderr, stderr
    return process.returncode, stderr


def test_after_sigkill_a_rerun_accepts_every_event_once_apart_from_the_listed_unknowns(tmp_path: Path) -> None:
    events, journal = write_events(tmp_path / "events.jsonl", EVENTS), tmp_path / "journal.db"
    args = ["invoke-many", URN, str(events), "--journal", str(journal), "--concurrency", str(CONCURRENCY)]
    with mock() as served:
        status, _ = start_and_stop(served, args, after=1500, stop=lambda p: p.send_signal(signal.SIGKILL))
        assert status == -signal.SIGKILL
        accepted_before_rerun = len(served.backend.invocations)
        assert accepted_before_rerun < EVENTS

        rerun = fgs(args, served.env())

        unknown = [line for line, (state, _) in journal_rows(journal).items() if state == "sent"]
        assert rerun.returncode == (1 if unknown else 0), rerun.stderr
        assert len(unknown) <= CONCURRENCY  # only calls that were in flight at the kill
        if unknown:
            listed = re.search(r"unknown outcome \(sent, no answer\): lines ([\d, ]+)\.", rerun.stderr)
            assert listed is not None, rerun.stderr
            assert [int(n) for n in listed.group(1).split(", ")] == unknown
        seqs = served.seqs()
        unknown_seqs = {line - 1 for line in unknown}
        assert {seq for seq, count in seqs.items() if count > 1} == set()  # nothing accepted twice
        assert set(seqs) | unknown_seqs == set(range(EVENTS))  # everything else accepted
        rows, ids = journal_rows(journal), served.request_ids()
        assert all(rows[seq + 1] == ("accepted", ids[seq]) for seq in range(EVENTS) if seq not in unknown_seqs)

        last = fgs([*args, "--resend-unknown"], served.env())

        assert last.returncode == 0, last.stderr
        seqs = served.seqs()
        assert set(seqs) == set(range(EVENTS))
        assert {seq for seq, count in seqs.items() if count > 1} <= unknown_seqs  # at most those, at most twice
        assert max(seqs.values()) <= 2


def test_after_ctrl_c_the_calls_in_flight_are_answered_and_a_rerun_sends_the_rest(tmp_path: Path) -> None:
    events, journal = write_events(tmp_path / "events.jsonl", 1000), tmp_path / "journal.db"
    args = ["invoke-many", URN, str(events), "--journal", str(journal)]
    with mock() as served:
        status, stderr = start_and_stop(
            served, [*args, "--rate", "300"], after=100, stop=lambda p: p.send_signal(signal.SIGINT)
        )
        assert status == 130
        rows = journal_rows(journal)
        states = [state for state, _ in rows.values()]
        told = f"journal {journal}: {states.count('accepted')} accepted, {states.count('failed')} failed, 0 unknown"
        assert f"fgs: interrupted; {told}; run it again to go on\n" in stderr  # the journal's own counts
        assert 100 <= sum(state == "accepted" for state, _ in rows.values()) < 1000
        assert all(state != "sent" for state, _ in rows.values())  # every call that went out got its answer

        rerun = fgs(args, served.env())

        assert rerun.returncode == 0, rerun.stderr
        assert served.seqs() == {n: 1 for n in range(1000)}

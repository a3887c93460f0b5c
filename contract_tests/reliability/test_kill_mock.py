"""The whole mock killed under load: every 202 is in the store after a restart, once, and every run ends."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from contract_tests.reliability.harness import HELLO, KEEP_ALL, Load, all_final, listing, mock, wait_for

# Runs take a moment, so that some are under way when the mock dies and the restart must end them.
RUNS = ("--function", f"{HELLO}=succeed,duration=0.2,concurrency=100000")


def test_sigkill_under_64_connections_loses_no_202_and_every_run_ends(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.db")
    with mock("--store", db, *KEEP_ALL, *RUNS) as running:
        started = time.monotonic()
        load = Load(running.url).start(seconds=10)
        # Killed well into the 10 s, with checkpoints behind it.
        wait_for(
            lambda: time.monotonic() - started >= 3 and len(load.acked) >= 2000, 30, "3 s and 2,000 calls under load"
        )
        os.kill(running.process.pid, signal.SIGKILL)
        load.join()
    assert load.answers.keys() == {202}, load.answers  # until the kill, nothing but 202s
    acked = set(load.acked)
    assert len(acked) == len(load.acked)
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as store:  # read-only: no checkpoint at close
        (under_way,) = store.execute("SELECT COUNT(*) FROM invocation WHERE status IN ('WAIT', 'RUNNING')").fetchone()
    assert under_way, "no run was under way when the mock died: the restart would show nothing"
    with mock("--store", db, *KEEP_ALL, *RUNS) as again:
        counters, ids = listing(again.url)
        assert acked <= set(ids), f"{len(acked - set(ids))} calls answered 202 were lost"
        assert len(ids) == len(set(ids)) == counters["accepted"] == counters["retained"]
        # Calls committed but cut off before their 202 left may be stored too: never more than the load sent.
        assert len(ids) - len(acked) <= load.connections
        wait_for(lambda: all_final(again.url), 30, "every run reached a final status")
        assert set(listing(again.url)[0]["statuses"]) == {"SUCCESS"}

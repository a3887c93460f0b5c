"""The whole mock killed under load: every 202 is in the store after a restart, once, and every run ends."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from contract_tests.reliability.harness import KEEP_ALL, QUICK, Load, all_final, listing, mock, wait_for


def test_sigkill_under_64_connections_loses_no_202_and_every_run_ends(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.db")
    with mock("--store", db, *KEEP_ALL, *QUICK) as running:
        load = Load(running.url).start(seconds=10)
        wait_for(lambda: len(load.acked) >= 2000, 30, "2,000 calls accepted under load")
        os.kill(running.process.pid, signal.SIGKILL)
        load.join()
    assert load.answers.keys() == {202}, load.answers  # until the kill, nothing but 202s
    acked = set(load.acked)
    assert len(acked) == len(load.acked)
    with mock("--store", db, *KEEP_ALL, *QUICK) as again:
        counters, ids = listing(again.url)
        assert acked <= set(ids), f"{len(acked - set(ids))} calls answered 202 were lost"
        assert len(ids) == len(set(ids)) == counters["accepted"] == counters["retained"]
        # Calls committed but cut off before their 202 left may be stored too: never more than the load sent.
        assert len(ids) - len(acked) <= load.connections
        wait_for(lambda: all_final(again.url), 30, "every run reached a final status")
        assert set(listing(again.url)[0]["statuses"]) == {"SUCCESS"}
